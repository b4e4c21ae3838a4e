"""The roadkill service: `create_app(settings)` builds the FastAPI app on the shared platform."""
from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

from services.roadkill.config import Settings
from services.roadkill.models import metadata, platform_tables
from shared.parties import PartyRegistry
from shared.platform import ServiceSpec, build_app

HERE = Path(__file__).parent


def _routers():
    return []


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
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(SPEC, settings or Settings())
