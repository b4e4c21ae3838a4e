"""Read models of the trainer's pages (ui/): SQL aggregates and indexed reads, one read transaction each."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from services.roadkill.domain import incident_states
from services.roadkill.flows import analytics, queries
from services.roadkill.models import incident, incident_event, report
from services.roadkill.parts import RoadkillPlatform
from shared import trace

OPEN_MARKERS_MAX = 500  # markers on the map; the board pages through the rest


def incidents_version(platform: RoadkillPlatform) -> tuple[int, str]:
    """Changes when an incident moves (a history row) or a report is merged: two primary-key maxima."""
    with platform.db.read_session() as s:
        ev = s.scalar(select(func.max(incident_event.c.id))) or 0
        rp = s.scalar(select(func.max(report.c.id))) or ""
    return int(ev), str(rp)


def open_incidents(platform: RoadkillPlatform) -> list[Any]:
    i = incident.c
    with platform.db.read_session() as s:
        return s.execute(select(incident).where(i.status.in_(incident_states.machine().open_states))
                         .order_by(i.created_at.desc(), i.id.desc()).limit(OPEN_MARKERS_MAX)).all()


def segment_counts(platform: RoadkillPlatform) -> list[tuple[str, int, int]]:
    """(road_id, stored 500 m segment, incidents) over every incident on a mapped road."""
    i = incident.c
    with platform.db.read_session() as s:
        rows = s.execute(select(i.road_id, i.segment_no, func.count())
                         .where(i.road_id.is_not(None), i.segment_no.is_not(None))
                         .group_by(i.road_id, i.segment_no)).all()
    return [(r[0], int(r[1]), int(r[2])) for r in rows]


def incident_page(platform: RoadkillPlatform, incident_id: str) -> dict[str, Any]:
    """One incident with its reports, history, trace hops and the payloads of its outbox messages."""
    o = platform.tables.outbox
    with platform.db.read_session() as s:
        row, reports, events = queries.read_incident_in(s, incident_id)  # 404 problem when unknown
        hops = trace.read(s, platform.tables, subject_type="incident", subject_ids=[incident_id])
        payloads = dict(s.execute(select(o.c.id, o.c.payload).where(o.c.subject_type == "incident",
                                                                     o.c.subject_id == incident_id)).all())
    return {"row": row, "reports": reports, "events": events, "hops": hops, "payloads": payloads}


def me_records(platform: RoadkillPlatform, limit: int = 20) -> list[tuple[dict[str, Any], str]]:
    """The Ministry of Environment's processing records of the latest closed incidents, with delivery status."""
    i, o = incident.c, platform.tables.outbox
    with platform.db.read_session() as s:
        closed = s.execute(select(i.id).where(i.status == "closed").order_by(i.updated_at.desc())
                           .limit(limit)).scalars().all()
        if not closed:
            return []
        rows = s.execute(select(o.c.subject_id, o.c.payload, o.c.status).where(
            o.c.subject_type == "incident", o.c.subject_id.in_(closed), o.c.to_party == "me")).all()
    by_id = {r.subject_id: r for r in rows}
    return [(dict(by_id[inc_id].payload), by_id[inc_id].status) for inc_id in closed if inc_id in by_id]


def _month(col, dialect: str):
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Seoul", col), "YYYY-MM")
    return func.strftime("%Y-%m", col, "+9 hours")


def analytics_counts(platform: RoadkillPlatform) -> dict[str, Any]:
    """The analytics page's aggregates (GROUP BY in SQL), time to clear as GET /v1/analytics/summary has it."""
    i = incident.c
    sp = func.coalesce(i.species_confirmed, i.species)
    with platform.db.read_session() as s:
        dialect = s.get_bind().dialect.name
        month, cleared_month = _month(i.first_reported_at, dialect), _month(i.cleared_at, dialect)
        return {
            "by_species": s.execute(select(sp, func.count()).group_by(sp).order_by(func.count().desc(), sp)).all(),
            "by_month": dict(s.execute(select(month, func.count()).group_by(month).order_by(month)).all()),
            "cleared_by_month": dict(s.execute(select(cleared_month, func.count()).where(i.cleared_at.is_not(None))
                                               .group_by(cleared_month)).all()),
            # Median and 90th percentile per agency: the same numbers as GET /v1/analytics/summary.
            "time_to_clear": analytics.time_to_clear_in(s),
            "by_status": dict(s.execute(select(i.status, func.count()).group_by(i.status)).all()),
            "by_class": s.execute(select(i.road_class, func.count()).group_by(i.road_class)
                                  .order_by(func.count().desc())).all(),
            "outcomes": dict(s.execute(select(i.outcome, func.count()).where(i.outcome.is_not(None))
                                       .group_by(i.outcome)).all()),
        }
