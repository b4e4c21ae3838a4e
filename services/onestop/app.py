"""The onestop service: `create_app(settings)` builds the FastAPI app on the shared platform."""
from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI

from services.onestop.config import Settings
from services.onestop.models import metadata, platform_tables
from shared.parties import PartyRegistry
from shared.platform import ServiceSpec, build_app

HERE = Path(__file__).parent


def _routers():
    return []


SPEC = ServiceSpec(
    name="onestop",
    title='One-stop finance, employment and welfare referrals — Buk-gu, Gwangju',
    description='Counsellors at one centre assess a resident once, see which agencies can help and why, record consent per agency (PIPA Art. 17(2)), and send closed-loop referrals that carry only the consented data. Agencies answer through their own API; stalled or declined referrals come up at case-management meetings.',
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
