"""Who a page region is shown to: the party whose key the region's request carries.

The pages are public shells; the browser fetches their regions with the acting party's key. A region
for the counsellors needs bukgu-hub's key, the agency inbox an agency's key. Without the right key a
region shows only the lock (who is asking and who may see it), never data.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from services.onestop.flows.common import HUB
from services.onestop.parts import OnestopPlatform
from services.onestop.routes.deps import PlatformDep
from shared.auth import Principal


@dataclass(frozen=True)
class Gate:
    """The caller of one region request (`who`, None without a key) and the party it needs (`need`)."""

    platform: OnestopPlatform
    who: Principal | None
    need: str  # HUB or "agency"

    @property
    def allowed(self) -> bool:
        if self.who is None:
            return False
        return "agency" in self.who.roles if self.need == "agency" else self.who.party == HUB

    def show(self, build: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The region's template context: {"who", "allowed", "need"}, plus
        `build(platform, who, *args, **kwargs)` when the caller may see the region."""
        ctx: dict[str, Any] = {"who": self.who, "allowed": self.allowed, "need": self.need}
        if ctx["allowed"]:
            ctx.update(build(self.platform, self.who, *args, **kwargs))
        return ctx


def acting(p: OnestopPlatform, request: Request) -> Principal | None:
    """The party whose key the request carries (`Authorization: Bearer …` or `X-API-Key`), if any."""
    auth = request.headers.get("authorization", "")
    key = auth[7:].strip() if auth[:7].lower() == "bearer " else (request.headers.get("x-api-key") or "").strip()
    return p.keys.resolve(key) if key else None


def counsellor_gate(request: Request, p: PlatformDep) -> Gate:
    return Gate(p, acting(p, request), HUB)


def agency_gate(request: Request, p: PlatformDep) -> Gate:
    return Gate(p, acting(p, request), "agency")


# A stored key is looked up in the database, so these are plain `def` dependencies (a worker thread).
ForCounsellors = Annotated[Gate, Depends(counsellor_gate)]
ForAgencies = Annotated[Gate, Depends(agency_gate)]
