"""The onestop service: `create_app(settings)` builds the FastAPI app on the shared platform."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.onestop import models
from services.onestop.answers.webhooks import WEBHOOKS
from services.onestop.config import Settings
from services.onestop.flows.seed import seed
from services.onestop.parties.autopilot import OnestopAutopilot
from services.onestop.parts import OnestopParts, OnestopPlatform, build_parts
from shared.platform import ServiceSpec, build_app

HERE = Path(__file__).parent


def _routers():
    from services.onestop import ui
    from services.onestop.routes import agency, cases, hsds, meetings, referrals, residents, states, stats

    # The agencies' API first: it is what machines poll, and FastAPI matches routes in order (twice per
    # request), so the routers ahead of it cost every call (~20 % of the framework overhead measured).
    # No path of the agency router overlaps another router's.
    return [agency.router, hsds.router, residents.router, cases.router, referrals.router, meetings.router,
            stats.router, states.router, *ui.routers]  # ui: the trainer's pages under /ui/ (kit.router first)


def _on_startup(platform: OnestopPlatform) -> None:
    platform.autopilot_policy.configure(platform.settings)


SPEC: ServiceSpec[OnestopParts] = ServiceSpec.in_folder(
    HERE,
    models,
    routers=_routers,
    webhooks=WEBHOOKS,
    seed=seed,
    autopilot_policy=OnestopAutopilot(),
    on_startup=_on_startup,
    parts=build_parts,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(SPEC, settings or Settings())
