"""CORS for the open API's GET routes only: other routes never answer cross-origin requests."""
from __future__ import annotations

import json

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

# Response headers a browser script on another origin may read. `Service-Clock` is a service clock's reading
# (peaks sends it: which day the service believes it is and why), so a partner's page can tell a training
# clock's date from the real one.
EXPOSED_HEADERS = ["ETag", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                   "Service-Clock"]


class PathCORSMiddleware:
    def __init__(self, app: ASGIApp, prefixes: list[str]):
        self.app = app
        self.prefixes = tuple(prefixes)
        self.cors = CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET"], allow_credentials=False,
                                   allow_headers=["Authorization", "If-None-Match", "X-API-Key"],
                                   expose_headers=EXPOSED_HEADERS, max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.prefixes and scope["path"].startswith(self.prefixes):
            method = scope["method"]
            if method in ("GET", "HEAD"):
                return await self.cors(scope, receive, send)
            headers = dict(scope.get("headers") or [])
            asked = headers.get(b"access-control-request-method", b"").upper()
            if method == "OPTIONS" and b"origin" in headers and asked:
                if asked in (b"GET", b"HEAD"):
                    return await self.cors(scope, receive, send)
                # A refused preflight carries no Access-Control-Allow-Origin at all.
                return await _refuse_preflight(scope, receive, send, asked.decode("latin-1"))
            # Writes under the prefix (e.g. a partner's webhook subscription) get no CORS headers.
        return await self.app(scope, receive, send)


async def _refuse_preflight(scope: Scope, receive: Receive, send: Send, method: str) -> None:
    from shared.errors import PROBLEM_JSON, problem_body

    body = json.dumps(problem_body(
        scope.get("app"), 400, "cors-method-not-allowed",
        f"Cross-origin {method[:20]} is not allowed here; the open API allows GET only.",
        instance=scope["path"])).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
                            (b"vary", b"Origin")]})
    await send({"type": "http.response.body", "body": body})
