"""The per-service platform object and the FastAPI app factory every service uses."""
from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import importlib.metadata
import logging
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast
from urllib.parse import parse_qs

import anyio
import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import MetaData, event, select
from starlette.datastructures import Headers
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from shared import migrations
from shared.auth import PUBLIC, KeyResolver
from shared.cors import PathCORSMiddleware
from shared.db import Database, utcnow
from shared.errors import ErrorFormatter, install_error_handlers
from shared.idempotency import IdempotencyMiddleware
from shared.middleware import PlatformMiddleware
from shared.observability import Metrics, check_database, configure_logging, health_router
from shared.parties import PartyRegistry
from shared.relay import Relay
from shared.settings import ServiceSettings
from shared.sim import Autopilot, AutopilotPolicy, sim_router
from shared.tables import PlatformTables
from shared.writer import BatchWriter

if TYPE_CHECKING:
    from shared.ui.sse import EventHub

log = logging.getLogger("shared.platform")
BackgroundTask = Callable[["Platform", asyncio.Event], Awaitable[None]]
PartsT = TypeVar("PartsT")


@dataclass
class ServiceSpec(Generic[PartsT]):
    """Everything that makes one service different from another, as data.

    `parts` builds the service's own typed parts (a dataclass: road network, storage, rate
    limiters…) once, when the platform is built; they are then `platform.parts`.
    """

    name: str
    title: str
    description: str
    version: str
    parties: PartyRegistry
    metadata: MetaData
    tables: PlatformTables
    migrations_dir: Path
    routers: Callable[[], Sequence[APIRouter]]
    about: dict[str, Any]
    seed: Callable[[Platform], None] | None = None
    autopilot_policy: AutopilotPolicy = field(default_factory=AutopilotPolicy)
    error_formatters: Sequence[tuple[str, ErrorFormatter]] = ()
    body_limits: dict[str, int] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)
    cors_get_prefixes: list[str] = field(default_factory=list)
    background: Sequence[BackgroundTask] = ()
    on_startup: Callable[[Platform], None] | None = None
    # Extra fields of `GET /v1/about` computed per request (e.g. the service clock), merged over `about`.
    about_extra: Callable[[Platform], dict[str, Any]] | None = None
    parts: Callable[[Platform[PartsT]], PartsT] | None = None


class Platform(Generic[PartsT]):
    """Database, parties, keys, metrics, relay and autopilot of one running service.

    Every part is a typed attribute set here, when the app is built: the shared ones on the
    platform itself (`clock`, `ui_hub`), the service's own in `parts` (from `ServiceSpec.parts`).
    """

    def __init__(self, spec: ServiceSpec[PartsT], settings: ServiceSettings):
        from shared.ui.sse import EventHub  # local: the ui kit's dependencies import this module

        self.spec = spec
        self.settings = settings
        self.parties = spec.parties
        self.tables = spec.tables
        self.db = Database(settings)
        self.metrics = Metrics(spec.name)
        self.keys = KeyResolver(self)
        self.autopilot_policy = spec.autopilot_policy
        self.relay = Relay(self)
        # Group commit for hot write paths (intake): one thread, many jobs per transaction.
        self.writer = BatchWriter(self.db, name=f"{spec.name}-writer")
        self.autopilot = Autopilot(self)
        # The service clock (tests and demos put a fixed one here).
        self.clock: Callable[[], datetime] = utcnow
        # Live updates of the trainer pages (`shared.ui.sse`): one hub per running service.
        self.ui_hub: EventHub = EventHub()
        self._external: tuple[float, set[str]] = (0.0, set())
        self._ready_cache: tuple[float, dict[str, Any]] | None = None
        event.listen(self.db.Session, "after_commit", self._after_commit)
        self.metrics.add_outbox_collector(self)
        # Last: a service's parts may use every shared part above.
        self.parts: PartsT = cast(PartsT, spec.parts(self) if spec.parts is not None else None)

    def _after_commit(self, session) -> None:
        if session.info.pop("outbox_enqueued", False):
            self.relay.notify()

    def sim_url(self, party: str) -> str:
        return f"{self.settings.base_url}/sim/{party}/webhooks"

    def external_parties(self) -> set[str]:
        """Parties configured with an external webhook URL (the autopilot leaves them alone)."""
        expires, cached = self._external
        if time.monotonic() < expires:
            return cached
        e = self.tables.endpoint
        with self.db.read_session() as s:
            cached = set(s.scalars(select(e.c.party).where(e.c.enabled.is_(True))))
        self._external = (time.monotonic() + 2.0, cached)
        return cached

    def prepare(self) -> None:
        """Schema, migrations and seed data (what `make run` does before serving)."""
        if self.settings.auto_migrate:
            migrations.upgrade(self.db, self.spec.migrations_dir)
        if self.settings.seed_on_start and self.spec.seed is not None:
            self.spec.seed(self)
        if self.spec.on_startup is not None:
            self.spec.on_startup(self)

    def readiness(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._ready_cache and self._ready_cache[0] > now:
            check_database(self.db.read_engine)
            return self._ready_cache[1]
        with self.db.read_engine.connect() as conn:
            current = migrations.current_heads(conn, self.db.schema)
        heads = migrations.script_heads(self.spec.migrations_dir)
        state = {"database": "reachable", "migrations_at_head": current == heads,
                 "revision": sorted(current), "head": sorted(heads)}
        if state["migrations_at_head"]:
            self._ready_cache = (now + 10.0, state)
        return state


def _operation_id(route: APIRoute) -> str:
    tag = str(route.tags[0]).replace(" ", "_") if route.tags else "default"
    return f"{tag}-{route.name}"


# -- API documentation and favicon, served by the service itself (no CDN) --------------------
# Swagger UI and ReDoc ship in the `fastapi-offline` wheel (docs/dependencies.md, "API documentation
# assets"); the favicon is the project's own (shared/static/).

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
    """`/docs` (Swagger UI), `/docs/oauth2-redirect`, `/redoc`, `/favicon.ico` and `/favicon.svg`: public."""
    router = APIRouter(include_in_schema=False, dependencies=[PUBLIC])
    icons = StaticFiles(directory=PLATFORM_STATIC)
    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @router.get("/docs", response_class=HTMLResponse)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _docs_page(get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} — API reference",
            swagger_js_url=assets.url("swagger-ui-bundle.js", root),
            swagger_css_url=assets.url("swagger-ui.css", root), swagger_favicon_url=f"{root}/favicon.ico",
            oauth2_redirect_url=f"{root}{redirect_url}", init_oauth=app.swagger_ui_init_oauth,
            # No validator badge: Swagger UI would send the spec's URL to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})}))

    @router.get(redirect_url, response_class=HTMLResponse)
    def swagger_ui_redirect() -> HTMLResponse:
        return _docs_page(get_swagger_ui_oauth2_redirect_html())

    @router.get("/redoc", response_class=HTMLResponse)
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


def build_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    platform = Platform(spec, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging(settings.log_level, settings.log_json)
        await anyio.to_thread.run_sync(platform.prepare)
        platform.db.start_checkpointer()
        stop = asyncio.Event()
        tasks = []
        if settings.relay_enabled:
            tasks.append(asyncio.create_task(platform.relay.run(stop), name=f"{spec.name}-relay"))
        if settings.autopilot:
            tasks.append(asyncio.create_task(platform.autopilot.run(stop), name=f"{spec.name}-autopilot"))
        for bg in spec.background:
            tasks.append(asyncio.create_task(bg(platform, stop)))
        app.state.stop_event = stop
        log.info("service started", extra={"service": spec.name, "relay": settings.relay_enabled,
                                           "autopilot": settings.autopilot, "demo_mode": settings.demo_mode})
        try:
            yield
        finally:
            stop.set()
            if tasks:
                _done, pending = await asyncio.wait(tasks, timeout=5.0)
                for t in pending:
                    t.cancel()
            await anyio.to_thread.run_sync(platform.writer.close)
            platform.db.dispose()

    # Documentation pages are the platform's own (docs_router): their assets come from this service.
    app = FastAPI(title=spec.title, version=spec.version, description=spec.description, lifespan=lifespan,
                  generate_unique_id_function=_operation_id, openapi_tags=spec.tags or None,
                  docs_url=None, redoc_url=None)
    app.state.platform = platform
    install_error_handlers(app, spec.error_formatters)
    # The service's own routes first: requests are matched in order, and these carry the load.
    for router in spec.routers():
        app.include_router(router)
    app.include_router(health_router())
    from shared.ops import ops_router  # local import: ops depends on auth helpers defined above

    app.include_router(ops_router(spec))
    app.include_router(sim_router())
    docs_assets = VersionedStaticFiles(directory=DOCS_ASSETS, version=DOCS_ASSETS_VERSION, rewrites=DOCS_REWRITES)
    app.include_router(docs_router(app, docs_assets))
    app.mount(DOCS_ASSETS_PATH, docs_assets, name="docs-assets")
    app.add_middleware(IdempotencyMiddleware)
    if spec.cors_get_prefixes:
        app.add_middleware(PathCORSMiddleware, prefixes=spec.cors_get_prefixes)
    app.add_middleware(PlatformMiddleware, max_body=settings.max_body_bytes, body_limits=spec.body_limits,
                       metrics=platform.metrics, service=spec.name)
    return app
