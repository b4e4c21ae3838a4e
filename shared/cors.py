"""CORS for the open API's GET routes only: other routes never answer cross-origin requests."""
from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send


class PathCORSMiddleware:
    def __init__(self, app: ASGIApp, prefixes: list[str]):
        self.app = app
        self.prefixes = tuple(prefixes)
        self.cors = CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET"], allow_credentials=False,
                                   allow_headers=["Authorization", "If-None-Match", "X-API-Key"],
                                   expose_headers=["ETag", "Retry-After", "X-RateLimit-Limit",
                                                   "X-RateLimit-Remaining", "X-RateLimit-Reset"], max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.prefixes and scope["path"].startswith(self.prefixes):
            return await self.cors(scope, receive, send)
        return await self.app(scope, receive, send)
