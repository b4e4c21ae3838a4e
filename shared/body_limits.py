"""Request body limits: one per route, matched exactly, and a small one for callers without a valid credential.

`ServiceSpec.body_limits` maps route path templates (`/v1/photos`, `/v1/photos/{photo_id}`) to their
own limit; every other path has `MAX_BODY_BYTES`. A template matches its route only, never the paths
below it (the peaks upload limit does not open `/v1/photos/{id}/review` to 26 MB). Whoever presents no
valid API key or token may send at most `MAX_ANONYMOUS_BODY_BYTES` on any route: a larger declared
length is refused before a byte is read, and a chunked body is cut off once it passes the limit. The
credential is only looked up for a body that big, so ordinary requests pay nothing.
"""
from __future__ import annotations

import re

from starlette.routing import compile_path
from starlette.types import Scope

from shared.auth import caller_identity


class BodyLimits:
    def __init__(self, default: int, routes: dict[str, int] | None = None):
        self.default = default
        self.routes: list[tuple[re.Pattern[str], int]] = [
            (compile_path(template)[0], limit) for template, limit in (routes or {}).items()]

    def for_path(self, path: str) -> int:
        """The limit of the route at `path` (its template matched in full), else the default."""
        for pattern, limit in self.routes:
            if pattern.match(path):
                return limit
        return self.default


def anonymous_limit(scope: Scope) -> int | None:
    """`MAX_ANONYMOUS_BODY_BYTES` of the service handling `scope` (None outside a platform app)."""
    platform = getattr(getattr(scope.get("app"), "state", None), "platform", None)
    return None if platform is None else platform.settings.max_anonymous_body_bytes


async def presents_valid_credential(scope: Scope) -> bool:
    """Whether the request carries a key or token the service accepts (a cached lookup, else one query)."""
    try:
        return await caller_identity(scope["app"].state.platform, dict(scope.get("headers") or [])) is not None
    except Exception:
        # The database is down: the route's own limit still bounds the body, and the route's
        # authentication answers 503 for the same reason.
        return True
