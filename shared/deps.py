"""FastAPI dependencies every service shares: the running platform.

Routes declare what they need in their signature instead of reaching into `request.app.state`:

    @router.post("/things")
    def create(platform: PlatformDep, body: ThingIn) -> ThingOut:
        return things.create(platform, body)  # the flow opens, commits and closes its transaction

There is no session dependency on purpose: in the plan (docs/architecture.md) a flow owns its
transaction, so it has committed before the route shapes the answer, and a failed commit reaches the
error handlers as problem+json (5xx), never a 2xx. A service's `routes/deps.py` narrows `PlatformDep`
to its typed parts.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from shared.platform import Platform


def find_platform(conn: HTTPConnection) -> Platform[Any] | None:
    """The platform of the app serving the request, or None for an app built without `build_app`
    (the ui kit's own tests). The one place that reads `app.state.platform`."""
    return getattr(conn.app.state, "platform", None)


async def get_platform(request: Request) -> Platform[Any]:
    """The platform of the app serving the request (async: solved on the event loop, no thread hop)."""
    platform = find_platform(request)
    if platform is None:
        raise RuntimeError("this app has no platform: build it with shared.platform.build_app")
    return platform


PlatformDep = Annotated[Platform[Any], Depends(get_platform)]
