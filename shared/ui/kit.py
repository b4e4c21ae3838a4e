"""The UI kit a service includes: templates, static files, the landing page and the live-event stream."""
from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, Undefined
from sqlalchemy import func, select

from shared.auth import PUBLIC
from shared.deps import PlatformDep, find_platform
from shared.errors import Problem
from shared.ui import cases, charts, sequence
from shared.ui.about import case_view
from shared.ui.sse import EventHub, VersionFn, hub_for, sse_response

if TYPE_CHECKING:
    from shared.platform import Platform

HERE = Path(__file__).parent
KIT_TEMPLATES = HERE / "templates"
KIT_STATIC = HERE / "static"
TOPIC_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,100}$")
MAX_TOPICS = 20
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".svg": "image/svg+xml", ".json": "application/json", ".png": "image/png", ".ico": "image/x-icon"}

# A topic's version as a function of the platform (bound per request); see `UIKit(versions=...)`.
PlatformVersion = Callable[["Platform"], Any]


@dataclass(frozen=True)
class NavItem:
    """One entry of the page navigation: `NavItem("Console", "/ui/console", "File and route reports")`."""

    label: str
    href: str
    description: str = ""


def trace_version(platform: Platform) -> tuple[int, int]:
    """Changes whenever a hop is recorded or a delivery attempt is made (by any process)."""
    t = platform.tables
    with platform.db.read_session() as s:
        seq = s.scalar(select(func.max(t.trace.c.seq))) or 0
        attempt = s.scalar(select(func.max(t.attempt.c.id))) or 0
    return int(seq), int(attempt)


DEFAULT_VERSIONS: dict[str, PlatformVersion] = {"trace": trace_version}


def make_templates(templates_dirs: Sequence[Path] = (), *, strict: bool = False) -> Jinja2Templates:
    """Jinja2 templates: the service's own dirs first, then the kit (base.html, ui/macros.html)."""
    loader = ChoiceLoader([FileSystemLoader([str(d) for d in templates_dirs]), FileSystemLoader(str(KIT_TEMPLATES))])
    # No trim_blocks: it would glue attributes written on separate lines around {% if %} tags.
    env = Environment(loader=loader, autoescape=True,
                      undefined=StrictUndefined if strict else Undefined)
    env.globals.update(
        svg_sequence=sequence.svg_sequence, sequence_figure=sequence.sequence_figure,
        trace_table=sequence.trace_table, svg_bar_chart=charts.svg_bar_chart, svg_line_chart=charts.svg_line_chart)
    return Jinja2Templates(env=env)


class StaticFiles:
    """Serves the kit's files (then any extra dirs) with content-hash cache busting."""

    def __init__(self, dirs: Sequence[Path]):
        self.dirs = [d.resolve() for d in dirs]
        self._cache: dict[str, tuple[Path, str]] = {}

    def find(self, name: str) -> tuple[Path, str] | None:
        hit = self._cache.get(name)
        if hit is not None:
            return hit
        if not name or name.startswith("/") or "\\" in name or ".." in name.split("/"):
            return None
        for root in self.dirs:
            path = (root / name).resolve()
            if path.is_file() and path.is_relative_to(root):
                etag = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
                self._cache[name] = (path, etag)
                return path, etag
        return None

    def url(self, name: str) -> str:
        found = self.find(name)
        return f"/ui/static/{name}" + (f"?v={found[1]}" if found else "")

    def response(self, request: Request, name: str) -> Response:
        found = self.find(name)
        if found is None:
            raise Problem(404, "not-found", f"No static file {name!r}.")
        path, etag = found
        quoted = f'"{etag}"'
        # A URL carrying the current hash never changes, so browsers may keep it for good.
        cache = ("public, max-age=31536000, immutable" if request.query_params.get("v") == etag else "no-cache")
        headers = {"ETag": quoted, "Cache-Control": cache}
        if request.headers.get("if-none-match") == quoted:
            return Response(status_code=304, headers=headers)
        media = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Response(path.read_bytes(), media_type=media, headers=headers)


class UIKit:
    """Everything a service's trainer pages share. Build one per service, include `kit.router`.

    `spec` may be None: the spec is then read from the app's platform (`shared.deps`) at request
    time, which lets a service create the kit at import time, before its SPEC exists.
    `assets` names the service's own stylesheets (.css) and scripts (.js, deferred) in `static_dirs`:
    every page links them after the kit's ui.css and ui.js.
    `versions` maps a topic to a function of the platform whose value changes when the topic's
    data changes; it is polled (1 s) for every open stream, so changes made by another process
    still reach the page. A topic `name:detail` falls back to the version of `name`.
    """

    def __init__(self, spec: Any = None, *, pages: Sequence[NavItem] = (), templates_dirs: Sequence[Path] = (),
                 static_dirs: Sequence[Path] = (), assets: Sequence[str] = (),
                 versions: Mapping[str, PlatformVersion] | None = None):
        self.spec = spec
        self.pages = list(pages)
        self.templates = make_templates(templates_dirs)
        self.static = StaticFiles([KIT_STATIC, *static_dirs])
        self.versions = dict(DEFAULT_VERSIONS if versions is None else versions)
        self._local_hub = EventHub()  # only for apps without a platform (tests, demos)
        self.templates.env.globals["static_url"] = self.static.url
        # The service's own stylesheets and scripts (from static_dirs), linked by base.html after the kit's.
        self.templates.env.globals["service_assets"] = list(assets)
        self.router = self._build_router()

    # ---- helpers for service routes -------------------------------------------------------
    def spec_of(self, request: Request) -> Any:
        if self.spec is not None:
            return self.spec
        platform = find_platform(request)
        if platform is None:
            raise RuntimeError("a UIKit without a spec needs an app built by shared.platform.build_app")
        return platform.spec

    def hub(self, request: Request) -> EventHub:
        platform = find_platform(request)
        return hub_for(platform) if platform is not None else self._local_hub

    def context(self, request: Request, **extra: Any) -> dict[str, Any]:
        """What base.html needs; service pages add their own keys."""
        spec = self.spec_of(request)
        platform = find_platform(request)
        demo = bool(platform.settings.demo_mode) if platform is not None else True
        nav = [NavItem("About", "/ui/", "The case as the handbook reports it, each fact with its source"),
               *self.pages, NavItem("Three cases", "/ui/three-cases", "The three cases side by side")]
        case = case_view(spec)
        return {"request": request, "service": {"name": spec.name, "title": spec.title, "version": spec.version,
                                                "description": spec.description},
                "case": case, "parties": case["parties"], "operator": spec.parties.operator, "nav": nav,
                "current_path": request.url.path, "demo_mode": demo, "act_as": False,
                "events_url": "/ui/events", "page_title": "", **extra}

    def render(self, request: Request, name: str, context: Mapping[str, Any] | None = None, *,
               status_code: int = 200, **extra: Any) -> HTMLResponse:
        """`kit.render(request, "console.html", {"items": items}, act_as=True)`."""
        ctx = self.context(request, **{**(context or {}), **extra})
        return self.templates.TemplateResponse(request, name, ctx, status_code=status_code)

    def live_page(self, router: APIRouter, path: str, *, name: str, page: str, body: str, title: str,
                  context: Callable[[Any], Mapping[str, Any]]) -> None:
        """A page at `path` and its live region at `/partials{path}` on `router`, both rendered from
        `context(platform)`: `page` extends base.html and includes `body`, which the region re-renders."""

        @router.get(path, response_class=HTMLResponse, name=name)
        def page_view(request: Request, platform: PlatformDep) -> HTMLResponse:
            return self.render(request, page, context(platform), page_title=title)

        @router.get(f"/partials{path}", response_class=HTMLResponse, name=f"{name}_partial")
        def partial_view(request: Request, platform: PlatformDep) -> HTMLResponse:
            return self.render(request, body, context(platform))

    def stream(self, request: Request, topics: Sequence[str]) -> Response:
        """An SSE response for `topics` (with polling fallback when a platform is present)."""
        platform = find_platform(request)
        versions: dict[str, VersionFn] = {}
        bound: dict[int, VersionFn] = {}  # one bound function per version source: polled once per tick
        if platform is not None:
            for topic in topics:
                fn = self.versions.get(topic) or self.versions.get(topic.split(":", 1)[0])
                if fn is not None:
                    versions[topic] = bound.setdefault(id(fn), _bind(fn, platform))
        return sse_response(request, self.hub(request), topics, versions=versions)

    # ---- routes ----------------------------------------------------------------------------
    def _build_router(self) -> APIRouter:
        # The pages are public: the page acts as a party only by sending that party's key from the
        # browser (fetch), so every API call still goes through RequireParty.
        router = APIRouter(prefix="/ui", tags=["ui"], include_in_schema=False, dependencies=[PUBLIC])
        kit = self

        @router.get("/", response_class=HTMLResponse, name="ui_landing", dependencies=[PUBLIC])
        def landing(request: Request) -> HTMLResponse:
            return kit.render(request, "ui/landing.html", page_title="About this case", activity=_activity(request))

        @router.get("/three-cases", response_class=HTMLResponse, name="ui_three_cases", dependencies=[PUBLIC])
        async def three_cases(request: Request) -> HTMLResponse:
            platform = find_platform(request)
            if platform is None:
                raise Problem(404, "not-found", "The three-cases page needs a running service.")
            return kit.render(request, "ui/three_cases.html", cases.page_context(await cases.columns(platform)),
                              page_title="The three cases side by side")

        @router.get("/partials/activity", response_class=HTMLResponse, name="ui_activity", dependencies=[PUBLIC])
        def activity(request: Request) -> HTMLResponse:
            return kit.render(request, "ui/activity.html", activity=_activity(request))

        @router.get("/events", name="ui_events", dependencies=[PUBLIC])
        async def events(request: Request, topic: list[str] = Query(default_factory=list)) -> Response:
            topics = list(dict.fromkeys(topic))
            if not topics or len(topics) > MAX_TOPICS or not all(TOPIC_RE.match(t) for t in topics):
                raise Problem(422, "validation-error", f"Give 1–{MAX_TOPICS} `topic` parameters of letters, "
                              "digits and . _ : - (up to 100 characters each).",
                              errors=[{"field": "topic", "message": "1–20 topics matching [A-Za-z0-9_.:-]{1,100}"}])
            return kit.stream(request, topics)

        @router.get("/static/{name:path}", name="ui_static", dependencies=[PUBLIC])
        def static(request: Request, name: str) -> Response:
            return kit.static.response(request, name)

        return router


def _bind(fn: PlatformVersion, platform: Platform) -> VersionFn:
    return lambda: fn(platform)


def _activity(request: Request) -> dict[str, Any] | None:
    """Aggregate message counts only (no subjects, no fields): safe on a public page."""
    platform = find_platform(request)
    if platform is None:
        return None
    t = platform.tables
    with platform.db.read_session() as s:
        by_status = dict(s.execute(select(t.outbox.c.status, func.count()).group_by(t.outbox.c.status)).all())
        hops = s.scalar(select(func.count()).select_from(t.trace)) or 0
        api_calls = s.scalar(select(func.count()).select_from(t.trace).where(t.trace.c.channel == "api")) or 0
    return {"hops": hops, "api_calls": api_calls, "webhooks": sum(by_status.values()),
            "by_status": {**{k: by_status.get(k, 0) for k in ("pending", "delivering", "delivered", "dead")},
                          # waiting for an operator (no endpoint, or a disabled one): shown when there are any
                          **{k: by_status[k] for k in ("no-endpoint", "disabled") if by_status.get(k)}}}


def ui_router(spec: Any = None, *, pages: Sequence[NavItem] = (), templates_dirs: Sequence[Path] = (),
              static_dirs: Sequence[Path] = (), versions: Mapping[str, PlatformVersion] | None = None) -> APIRouter:
    """Shortcut when a service needs only the router; `router.kit` is the UIKit behind it."""
    kit = UIKit(spec, pages=pages, templates_dirs=templates_dirs, static_dirs=static_dirs, versions=versions)
    kit.router.kit = kit  # type: ignore[attr-defined]
    return kit.router
