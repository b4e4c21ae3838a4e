"""Open311 GeoReport v2 use cases: a service request filed through the same intake as a voice report,
and the reads behind GET requests / tokens (the documents themselves are built by domain.georeport)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from services.roadkill.domain.report_result import IntakeResult
from services.roadkill.flows import intake
from services.roadkill.models import incident, report
from services.roadkill.parts import RoadkillPlatform
from services.roadkill.schemas import ReportIn
from shared import rrn


def create_request(platform: RoadkillPlatform, data: ReportIn, *, partner: str, personal_hashes: dict[str, str],
                   token: str, description: str) -> IntakeResult:
    """One service request in one transaction: intake (merge or new incident) and the reporter's own words
    (a resident registration number in them masked first: it is stored nowhere and reaches no party)."""
    description = rrn.redact(description)
    with platform.db.session() as session:
        result = intake.submit_report(session, platform, data, partner=partner, source="open311",
                                      personal_hashes=personal_hashes, token=token)
        if description:
            session.execute(update(report).where(report.c.id == result.report_id).values(description=description))
    return result


_COLUMNS = [incident.c[k] for k in ("id", "status", "species", "species_confirmed", "road_name", "carriageway",
                                     "municipality", "agency", "decision", "report_count", "complaint_no",
                                     "outcome", "lat", "lon", "created_at", "updated_at", "cleared_at")]


def get_requests(platform: RoadkillPlatform, ids: Sequence[str]) -> list[Any]:
    with platform.db.read_session() as s:
        rows = s.execute(select(*_COLUMNS).where(incident.c.id.in_(list(ids)))).all()
    order = {v: i for i, v in enumerate(ids)}
    return sorted(rows, key=lambda r: order.get(r.id, 0))


def list_requests(platform: RoadkillPlatform, *, start: datetime, end: datetime, status: str | None, page: int,
                  page_size: int) -> list[Any]:
    """Newest first on the (created_at, id) index; `page` is the Open311 page/page_size extension."""
    c = incident.c
    q = select(*_COLUMNS).where(c.created_at >= start, c.created_at <= end)
    if status == "closed":
        q = q.where(c.status == "closed")
    elif status == "open":
        q = q.where(c.status != "closed")
    q = q.order_by(c.created_at.desc(), c.id.desc()).limit(page_size).offset((page - 1) * page_size)
    with platform.db.read_session() as s:
        return s.execute(q).all()


def incident_of_token(platform: RoadkillPlatform, token: str) -> str | None:
    with platform.db.read_session() as s:
        return s.execute(select(report.c.incident_id).where(report.c.token == token)).scalar()
