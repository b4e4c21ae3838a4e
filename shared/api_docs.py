"""The platform's own documentation pages: Swagger UI and ReDoc served from this service (no CDN), favicon.

The assets come from the fastapi-offline package (docs/dependencies.md, "API documentation assets").
"""
from __future__ import annotations

import base64
import functools
import hashlib
import importlib.metadata
import mimetypes
import re
from pathlib import Path
from urllib.parse import parse_qs

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import Headers
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from shared.access import DocsPages
from shared.auth import PUBLIC

PLATFORM_STATIC = Path(__file__).parent / "static"
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
DOCS_ASSETS_PATH = "/docs/assets"
# A new package version brings new files, so it is the cache-busting token of their URLs.
DOCS_ASSETS_VERSION = importlib.metadata.version("fastapi-offline")
IMMUTABLE = "public, max-age=31536000, immutable"
# ReDoc always draws Redocly's logo from Redocly's CDN beside its "API docs by Redocly" link: offline that
# is a request the CSP blocks (and logs as an error). The bundle this platform serves draws an empty
# image there instead; the attribution link and its text stay.
DOCS_REWRITES = {"redoc.standalone.js": (
    "https://cdn.redoc.ly/redoc/logo-mini.svg",
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E")}
FAVICON_CACHE = "public, max-age=86400"  # a fixed URL: browsers revalidate (ETag) after a day
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


class VersionedStaticFiles(StaticFiles):
    """Starlette's static files (ETag, Last-Modified, 304) with a Cache-Control header.

    A URL carrying the current version (`?v=<version>`) never changes its content, so browsers keep it
    for a year; any other URL is revalidated on every use.
    """

    def __init__(self, *, directory: Path, version: str, rewrites: dict[str, tuple[str, str]] | None = None):
        super().__init__(directory=directory)
        self.version = version
        self.rewritten = {name: _rewritten(directory / name, old, new)
                          for name, (old, new) in (rewrites or {}).items()}

    def url(self, name: str, root_path: str = "") -> str:
        return f"{root_path}{DOCS_ASSETS_PATH}/{name}?v={self.version}"

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path in self.rewritten and scope["method"] in ("GET", "HEAD"):
            body, etag = self.rewritten[path]
            if etag in Headers(scope=scope).get("if-none-match", ""):
                response = Response(status_code=304, headers={"ETag": etag})
            else:
                response = Response(body, headers={"ETag": etag},
                                    media_type=mimetypes.guess_type(path)[0] or "application/octet-stream")
        else:
            response = await super().get_response(path, scope)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        response.headers["Cache-Control"] = IMMUTABLE if query.get("v") == [self.version] else "no-cache"
        return response


@functools.cache
def _rewritten(path: Path, old: str, new: str) -> tuple[bytes, str]:
    """A file's content with `old` replaced (an asset that must not reach out), and its ETag."""
    body = path.read_bytes().replace(old.encode(), new.encode())
    return body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def docs_csp(html: str) -> str:
    """Content-Security-Policy of a documentation page: its own inline scripts by hash, nothing inline else.

    Inline styles stay allowed (ReDoc's styled-components and Swagger UI's highlighter write them);
    ReDoc runs its search index in a worker built from a blob: URL.
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html))
    return ("default-src 'self'; " + f"script-src 'self' {hashes}".rstrip() + "; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
            "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'")


def _docs_page(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = docs_csp(page.body.decode())
    page.headers["Cache-Control"] = "no-cache"
    return page


def docs_router(app: FastAPI, assets: VersionedStaticFiles) -> APIRouter:
    """`/docs` (Swagger UI), `/docs/oauth2-redirect`, `/redoc` (public in demo mode or with PUBLIC_API_DOCS,
    else 404: `shared.access.DocsPages`), `/favicon.ico` and `/favicon.svg` (public)."""
    router = APIRouter(include_in_schema=False, dependencies=[PUBLIC])
    pages = [Depends(DocsPages())]
    icons = StaticFiles(directory=PLATFORM_STATIC)
    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @router.get("/docs", response_class=HTMLResponse, dependencies=pages)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _docs_page(get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} — API reference",
            swagger_js_url=assets.url("swagger-ui-bundle.js", root),
            swagger_css_url=assets.url("swagger-ui.css", root), swagger_favicon_url=f"{root}/favicon.ico",
            oauth2_redirect_url=f"{root}{redirect_url}", init_oauth=app.swagger_ui_init_oauth,
            # No validator badge: Swagger UI would send the spec's URL to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})}))

    @router.get(redirect_url, response_class=HTMLResponse, dependencies=pages)
    def swagger_ui_redirect() -> HTMLResponse:
        return _docs_page(get_swagger_ui_oauth2_redirect_html())

    @router.get("/redoc", response_class=HTMLResponse, dependencies=pages)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _docs_page(get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} — API reference (ReDoc)",
            redoc_js_url=assets.url("redoc.standalone.js", root), redoc_favicon_url=f"{root}/favicon.ico",
            with_google_fonts=False))

    async def icon(request: Request, name: str) -> Response:
        response = await icons.get_response(name, request.scope)
        response.headers["Cache-Control"] = FAVICON_CACHE
        return response

    @router.get("/favicon.ico")
    async def favicon_ico(request: Request) -> Response:
        return await icon(request, "favicon.ico")

    @router.get("/favicon.svg")
    async def favicon_svg(request: Request) -> Response:
        return await icon(request, "favicon.svg")

    return router


def install(app: FastAPI) -> None:
    """Mounts the documentation pages, their assets and the favicon on a service's app."""
    assets = VersionedStaticFiles(directory=DOCS_ASSETS, version=DOCS_ASSETS_VERSION, rewrites=DOCS_REWRITES)
    app.include_router(docs_router(app, assets))
    app.mount(DOCS_ASSETS_PATH, assets, name="docs-assets")
