"""The peaks service: `create_app(settings)` builds the FastAPI app on the shared platform."""
from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

from services.peaks.config import Settings
from services.peaks.models import metadata, platform_tables
from shared.parties import PartyRegistry
from shared.platform import ServiceSpec, build_app

HERE = Path(__file__).parent


def _routers():
    return []


SPEC = ServiceSpec(
    name="peaks",
    title='Yeongnam Alps summit certification — Ulju-gun',
    description="Climbers upload a photo at each of the Yeongnam Alps summits; photos are verified (EXIF GPS, time, duplicates), doubtful ones reviewed, and finishers certified with the five municipalities' names. Partner municipalities pull photos and figures through an open API.",
    version="0.1.0",
    parties=PartyRegistry.from_json(HERE / "data" / "parties.json"),
    metadata=metadata,
    tables=platform_tables,
    migrations_dir=HERE / "migrations",
    routers=_routers,
    about=json.loads((HERE / "data" / "about.json").read_text(encoding="utf-8")),
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(SPEC, settings or Settings())
