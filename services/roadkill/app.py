"""The roadkill service: `create_app(settings)` builds the FastAPI app on the shared platform."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

from services.roadkill import models
from services.roadkill.answers.webhooks import WEBHOOKS
from services.roadkill.config import Settings
from services.roadkill.parties.autopilot import RoadkillPolicy
from services.roadkill.parts import RoadkillParts, RoadkillPlatform, build_parts
from shared.errors import Problem
from shared.platform import ServiceSpec, build_app

HERE = Path(__file__).parent


def _routers():
    from services.roadkill import ui  # the trainer's pages under /ui/
    from services.roadkill.routes import agency, analytics, geodata, incidents, open311, voice_reports

    return [voice_reports.router, geodata.router, agency.router, incidents.router, open311.router,
            analytics.router, ui.router]


def _open311_errors(request: Request, problem: Problem) -> Response:
    """Open311 prescribes its own error shape ([{code, description}]) under /open311/ (imported at
    call time, so the routes module and this one cannot import each other in a cycle)."""
    from services.roadkill.routes.open311 import error_formatter

    return error_formatter(request, problem)


def _seed(platform: RoadkillPlatform) -> None:
    from services.roadkill.flows import demo_incidents

    demo_incidents.seed(platform)


def _on_startup(platform: RoadkillPlatform) -> None:
    # Delays come from this instance's settings, so the policy is built per platform.
    platform.autopilot_policy = RoadkillPolicy(base_delay_s=platform.settings.autopilot_delay_s)
    platform.parts.network  # noqa: B018 - load the road network before the first request


SPEC: ServiceSpec[RoadkillParts] = ServiceSpec.in_folder(
    HERE,
    models,
    routers=_routers,
    webhooks=WEBHOOKS,
    seed=_seed,
    autopilot_policy=RoadkillPolicy(),
    error_formatters=[("/open311/", _open311_errors)],
    on_startup=_on_startup,
    parts=build_parts,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(SPEC, settings or Settings())
