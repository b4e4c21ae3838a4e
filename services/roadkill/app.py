"""The roadkill service: `create_app(settings)` builds the FastAPI app on the shared platform."""
from __future__ import annotations

import importlib
import json
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from services.roadkill.config import Settings
from services.roadkill.models import metadata, platform_tables
from services.roadkill.parties.autopilot import RoadkillPolicy
from shared.errors import PROBLEM_JSON, Problem
from shared.parties import PartyRegistry
from shared.platform import Platform, ServiceSpec, build_app

HERE = Path(__file__).parent
# Route modules, each exposing `router`; the optional ones are built in parallel and may be absent.
ROUTE_MODULES = ("voice_reports", "geodata", "agency", "incidents")
OPTIONAL_ROUTE_MODULES = ("open311", "analytics")


def _optional(name: str):
    try:
        return importlib.import_module(f"services.roadkill.routes.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"services.roadkill.routes.{name}":
            raise
        return None


def _routers():
    mods = [importlib.import_module(f"services.roadkill.routes.{n}") for n in ROUTE_MODULES]
    mods += [m for m in (_optional(n) for n in OPTIONAL_ROUTE_MODULES) if m is not None]
    mods.append(importlib.import_module("services.roadkill.ui"))  # the trainer's pages under /ui/
    return [m.router for m in mods]


def _open311_errors(request: Request, problem: Problem) -> Response:
    """Open311 prescribes its own error shape ([{code, description}]) under /open311/; the Open311
    module provides `error_formatter` (resolved at call time, so importing it cannot cycle)."""
    mod = _optional("open311")
    formatter = getattr(mod, "error_formatter", None) if mod else None
    if formatter is not None:
        return formatter(request, problem)
    return JSONResponse(problem.body(instance=request.url.path), status_code=problem.status,
                        media_type=PROBLEM_JSON, headers=problem.headers)


def _seed(platform: Platform) -> None:
    from services.roadkill import seed

    seed.seed(platform)


def _on_startup(platform: Platform) -> None:
    # Delays come from this instance's settings, so the policy is built per platform.
    platform.autopilot_policy = RoadkillPolicy(base_delay_s=platform.settings.autopilot_delay_s)
    from services.roadkill.intake import road_network

    road_network(platform)  # load the road network before the first request


SPEC = ServiceSpec(
    name="roadkill",
    title='Roadkill report router — Chungcheongnam-do',
    description='Voice reports from a navigation partner are parsed, routed to the road agency in charge, merged with duplicates and handed off ACRC → MOLIT → road agency → Ministry of Environment as signed webhooks, with a trace of every hop. Also an Open311 GeoReport v2 interface.',
    version="0.1.0",
    parties=PartyRegistry.from_json(HERE / "data" / "parties.json"),
    metadata=metadata,
    tables=platform_tables,
    migrations_dir=HERE / "migrations",
    routers=_routers,
    about=json.loads((HERE / "data" / "about.json").read_text(encoding="utf-8")),
    seed=_seed,
    autopilot_policy=RoadkillPolicy(),
    error_formatters=[("/open311/", _open311_errors)],
    tags=[{"name": "reports", "description": "Voice-report intake (navigation partner)"},
          {"name": "routing", "description": "Jurisdiction decisions and the road network"},
          {"name": "agency", "description": "Agency API: inbox and steps (ACRC, MOLIT, road agencies)"},
          {"name": "incidents", "description": "Incidents, hazards and traces"}],
    on_startup=_on_startup,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(SPEC, settings or Settings())
