"""Seed data: in demo mode, a handful of incidents via the normal intake so pages are never empty."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import exists, select

from services.roadkill.flows import intake
from services.roadkill.models import incident
from services.roadkill.schemas import ReportIn
from shared.db import advisory_lock

if TYPE_CHECKING:
    from services.roadkill.parts import RoadkillPlatform

log = logging.getLogger("services.roadkill.flows.demo_incidents")

# (lat, lon, heading, transcript): one per road class and the off-network case, Korean and English.
DEMO_REPORTS = (
    (36.86, 127.1652, 185.0, "경부고속도로 2차로에 고라니가 치여 있어요"),
    (36.8653, 126.900, 270.0, "There's a dead raccoon dog on the shoulder"),
    (36.65, 127.0101, None, "지방도에 고양이 로드킬 있어요"),
    (36.85, 127.1402, 0.0, "a cat was run over in the first lane"),
    (36.30, 126.67, None, "꿩이 죽어 있어요"),  # Misan-myeon, Boryeong: off the mapped roads
)


def seed(platform: RoadkillPlatform) -> None:
    """Idempotent: does nothing unless demo mode is on and there is no incident at all."""
    s = platform.settings
    if not (s.demo_mode and getattr(s, "seed_demo_incidents", True)):
        return
    with platform.db.session() as session:
        # Several replicas may start at once: one seeds, the others then see its incidents.
        advisory_lock(session, "roadkill-seed", "demo")
        if session.execute(select(exists().where(incident.c.id.isnot(None)))).scalar():
            return
        now = platform.clock()
        for n, (lat, lon, heading, text) in enumerate(DEMO_REPORTS):
            data = ReportIn(reporter=f"demo-driver-{n}", consent=True, transcript=text, lat=lat, lon=lon,
                            accuracy_m=8.0, heading_deg=heading, speed_kmh=70.0 if heading is not None else None,
                            reported_at=now - timedelta(minutes=5 * (len(DEMO_REPORTS) - n)))
            intake.submit_report(session, platform, data, partner="tmap")
    log.info("demo incidents seeded", extra={"count": len(DEMO_REPORTS)})
