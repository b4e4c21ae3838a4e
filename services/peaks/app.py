"""The peaks service: `create_app(settings)` builds the FastAPI app on the shared platform."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.peaks import models
from services.peaks.answers.webhooks import WEBHOOKS
from services.peaks.config import Settings
from services.peaks.domain.service_clock import (
    HEADER,
    RealNow,
    ServiceClock,
    describe,
    reading_of,
    system_now,
)
from services.peaks.flows.open_api import subscription_gone
from services.peaks.flows.seed import seed
from services.peaks.parts import build_parts
from services.peaks.routes.deps import accept_climber_tokens
from shared.platform import Platform, ServiceSpec, build_app

HERE = Path(__file__).parent


# Multipart overhead on top of the 25 MB photo limit; bigger uploads get 413 before being read.
PHOTO_BODY_LIMIT = 26_000_000


def _routers():
    from services.peaks import ui  # the trainer's pages under /ui/ (kit.router first)
    from services.peaks.routes import (
        awards,
        catalogue,
        certificates,
        climbers,
        gallery,
        open_api,
        photos,
        review,
    )

    return [m.router for m in (catalogue, climbers, photos, review, awards, gallery, open_api,
                               certificates)] + ui.routers


SPEC = ServiceSpec.in_folder(
    HERE,
    models,
    routers=_routers,
    webhooks=WEBHOOKS,
    seed=seed,
    body_limits={"/v1/photos": PHOTO_BODY_LIMIT},
    cors_get_prefixes=["/open/v1/"],
    parts=build_parts,
    about_extra=lambda platform: {"clock": describe(platform.clock)},
    endpoint_gone=subscription_gone,
)


def create_app(settings: Settings | None = None, *, real_now: RealNow = system_now) -> FastAPI:
    """The peaks app. `real_now` is the real-time source of the service clock (tests pin "today" with it):
    real time, CLOCK_AT, or in demo mode between seasons a training clock (see `service_clock`)."""
    settings = settings or Settings()
    app = build_app(SPEC, settings)
    accept_climber_tokens(app.state.platform)  # an Idempotency-Key is scoped to the climber
    app.state.platform.clock = ServiceClock(demo_mode=settings.demo_mode, clock_at=settings.clock_at,
                                            real_now=real_now)
    app.add_middleware(ClockHeaderMiddleware, platform=app.state.platform)
    return app


class ClockHeaderMiddleware:
    """Adds `Service-Clock: <mode>;date="<service date>";real-date="<real date>"` to every response."""

    def __init__(self, app, platform: Platform[Any]):
        self.app = app
        self.platform = platform

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_clock(message) -> None:
            if message["type"] == "http.response.start":
                value = reading_of(self.platform.clock).header_value().encode("ascii")
                message = {**message, "headers": [*message.get("headers", []), (HEADER.lower().encode(), value)]}
            await send(message)

        await self.app(scope, receive, send_with_clock)

