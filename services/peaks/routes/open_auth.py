"""The open API's caller: a municipality's API key (remembered briefly), then a token from its rate bucket;
and the route class that puts the rate-limit headers on every answer, errors included."""
from __future__ import annotations

import hashlib
import inspect
import threading
import time
from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.auth import Principal, RequireParty
from shared.deps import find_platform
from shared.errors import Problem

PRINCIPAL_CACHE_S = 2.0
_bearer = HTTPBearer(auto_error=False, description="A municipality's open API key")


class OpenKey(RequireParty):
    """A municipality's API key (async: no thread hop on the hot path), then one token from its bucket.

    Keys resolved by the platform's KeyResolver are remembered here for 2 s (a revoked key stops
    working within that plus the resolver's own 5 s cache). The rate decision is left in
    `request.state.open_api_headers` for `OpenRoute` to put on the answer, whatever it is.
    """

    def __init__(self, *parties: str):
        super().__init__(*parties)
        self._known: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    async def __call__(self, request: Request,  # type: ignore[override]
                       creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
        key = creds.credentials.strip() if creds and creds.credentials else request.headers.get("x-api-key")
        if not key:
            raise Problem(401, "unauthorized", "An API key is required: send `Authorization: Bearer <key>`.",
                          headers={"WWW-Authenticate": "Bearer"})
        platform = find_platform(request)
        assert platform is not None
        digest = hashlib.sha256(key.encode()).hexdigest()
        now = time.monotonic()
        known = self._known.get(digest)
        if known is not None and known[0] > now:
            principal: Principal | None = known[1]
        else:
            principal = await run_in_threadpool(platform.keys.resolve, key)
            if principal is not None:
                with self._lock:
                    if len(self._known) > 10_000:
                        self._known.clear()
                    self._known[digest] = (now + PRINCIPAL_CACHE_S, principal)
        if principal is None:
            raise Problem(401, "unauthorized", "The API key is not valid.", headers={"WWW-Authenticate": "Bearer"})
        if not self.allows(principal):
            raise Problem(403, "forbidden", f"Party '{principal.party}' may not use the open API.",
                          allowed=sorted(self.parties))
        request.state.principal = principal
        decision = platform.parts.limiter.take(digest)  # the per-key token buckets (`PeaksParts.limiter`)
        headers = decision.headers()
        request.state.open_api_headers = headers
        if not decision.allowed:
            raise Problem(429, "rate-limited",
                          f"Rate limit of {decision.limit} requests in a burst exceeded for this key; "
                          f"retry in {decision.retry_after_s} s.", headers=headers)
        return principal


class OpenRoute(APIRoute):
    """Puts the rate-limit headers on every answer of the open API, errors included."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handler(request)
            except Problem as exc:
                exc.headers = {**getattr(request.state, "open_api_headers", {}), **exc.headers}
                raise
            except RequestValidationError as exc:
                response = request.app.exception_handlers[RequestValidationError](request, exc)
                if inspect.isawaitable(response):
                    response = await response
            for k, v in getattr(request.state, "open_api_headers", {}).items():
                response.headers.setdefault(k, v)
            return response

        return route
