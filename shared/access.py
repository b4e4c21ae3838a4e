"""Who may see the platform's operator surfaces outside demo mode: `/metrics` and the documentation pages.

Both are `Public` for the authorization matrix (it runs in demo mode, where everything stays open);
outside demo mode `/metrics` needs the operator's key or `METRICS_TOKEN`, and `/docs` and `/redoc`
answer 404 unless the operator sets `PUBLIC_API_DOCS=true`.
"""
from __future__ import annotations

import hmac

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from shared.auth import Public, _bearer, presented_key
from shared.errors import Problem


class OpenInDemo(Public):
    """Public in demo mode; outside it only for the operator's key, or a token the operator configured.

    A `Public` for the authorization matrix (which runs in demo mode); `/metrics` uses it with
    `METRICS_TOKEN`, so a Prometheus scraper needs no party key.
    """

    def __init__(self, token_setting: str | None = None):
        self.token_setting = token_setting

    async def __call__(self, request: Request,  # type: ignore[override]
                       creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
        platform = request.app.state.platform
        if platform.settings.demo_mode:
            return None
        key = presented_key(request.headers.get("authorization"), request.headers.get("x-api-key"))
        if not key:
            raise Problem(401, "unauthorized", "Outside demo mode this needs the operator's API key"
                          + (f" or {self.token_setting.upper()}" if self.token_setting else "") + ".",
                          headers={"WWW-Authenticate": "Bearer"})
        token = getattr(platform.settings, self.token_setting, None) if self.token_setting else None
        if token is not None and hmac.compare_digest(key.encode(), token.get_secret_value().encode()):
            return None
        principal = await platform.keys.aresolve(key)
        if principal is None:
            raise Problem(401, "unauthorized", "The API key is not valid.", headers={"WWW-Authenticate": "Bearer"})
        if principal.party != platform.parties.operator:
            raise Problem(403, "forbidden", f"Party '{principal.party}' may not use this operation.",
                          allowed=[platform.parties.operator])
        return None


class DocsPages(Public):
    """The documentation pages: public in demo mode or when the operator sets PUBLIC_API_DOCS, else 404
    (a browser cannot send a key with a page request). `/openapi.json` stays public: integrators need it."""

    def __call__(self, request: Request) -> None:  # type: ignore[override]
        settings = request.app.state.platform.settings
        if not (settings.demo_mode or settings.public_api_docs):
            raise Problem(404, "not-found", "API documentation pages are not published here; the OpenAPI "
                          "document is at /openapi.json.")
        return None

