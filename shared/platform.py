"""The per-service platform object and the FastAPI app factory every service uses."""
from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import anyio
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import MetaData, event, select

from shared import api_docs, endpoints, migrations
from shared.auth import KeyResolver
from shared.cors import PathCORSMiddleware
from shared.db import Database, utcnow
from shared.errors import ErrorFormatter, install_error_handlers
from shared.idempotency import IdempotencyMiddleware
from shared.middleware import PlatformMiddleware
from shared.observability import Metrics, check_database, configure_logging, health_router
from shared.parties import PartyRegistry
from shared.pii_guard import RRNQueryGuard
from shared.query import single_valued_query
from shared.reference import Frozen, Items, Text, load, read_json
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
    # A message's own target URL (a partner's subscription) answered 410 Gone: called in the relay's
    # transaction with (session, platform, party, url) so the service stops that subscription.
    endpoint_gone: Callable[[Any, Platform[PartsT], str, str], None] | None = None
    # The signed webhooks the hub sends (`shared.openapi.WebhookEvent`s), documented as OpenAPI 3.1 `webhooks`.
    webhooks: Sequence[Any] = ()

    @classmethod
    def in_folder(cls, folder: Path, models: ModuleType, **fields: Any) -> ServiceSpec[Any]:
        """The spec of a service laid out by the plan: named after its folder, its tables from its
        `models` module (`metadata`, `platform_tables`), its parties, about text and API front matter
        (`api.json`: title, description, tags) from `data/`, its Alembic history in `migrations/`, its
        version the distribution's."""
        api = load(folder / "data" / "api.json", ApiFrontMatter)
        return cls(name=folder.name, version=_distribution_version(), metadata=models.metadata,
                   tables=models.platform_tables, parties=PartyRegistry.from_json(folder / "data" / "parties.json"),
                   about=read_json(folder / "data" / "about.json"), migrations_dir=folder / "migrations",
                   title=api.title, description=api.description, tags=[t.model_dump() for t in api.tags], **fields)


class ApiTag(Frozen):
    name: Text
    description: Text


class ApiFrontMatter(Frozen):
    """data/api.json: what the service's OpenAPI document and docs pages open with."""

    title: Text
    description: Text
    tags: Items[ApiTag] = ()


def _distribution_version() -> str:
    try:
        return importlib.metadata.version("cpa")
    except importlib.metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


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
        """Database and migrations (cached 10 s once at head), then webhook endpoints: parties without a
        usable endpoint and the messages held for them (`shared.endpoints`), read every time."""
        state = self._schema_readiness()
        if state["migrations_at_head"]:
            with self.db.read_session() as s:
                state = {**state, "webhooks": endpoints.readiness(s, self)}
        return state

    def _schema_readiness(self) -> dict[str, Any]:
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
                  docs_url=None, redoc_url=None, dependencies=[Depends(single_valued_query)])
    app.state.platform = platform
    install_error_handlers(app, spec.error_formatters)
    # The service's own routes first: requests are matched in order, and these carry the load.
    for router in spec.routers():
        app.include_router(router)
    app.include_router(health_router())
    from shared.ops import ops_router  # local import: ops depends on auth helpers defined above

    app.include_router(ops_router(spec))
    if settings.demo_mode:  # simulated parties exist only in demo mode: nothing else may post to them
        app.include_router(sim_router())
    api_docs.install(app)
    app.add_middleware(IdempotencyMiddleware)
    # Outside the idempotency layer: a query or path holding a resident registration number is refused
    # before anything records the request.
    app.add_middleware(RRNQueryGuard)
    if spec.cors_get_prefixes:
        app.add_middleware(PathCORSMiddleware, prefixes=spec.cors_get_prefixes)
    app.add_middleware(PlatformMiddleware, max_body=settings.max_body_bytes, body_limits=spec.body_limits,
                       metrics=platform.metrics, service=spec.name)
    return app
