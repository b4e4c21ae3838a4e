"""Read queries: incident lists, one incident with reports and history, hazards, agency inboxes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.roadkill.domain import incident_states
from services.roadkill.domain.geo import BBox
from services.roadkill.domain.presenters import OVERSEERS
from services.roadkill.models import incident, incident_event, report
from services.roadkill.parts import RoadkillPlatform
from shared import pagination, trace
from shared.errors import Problem


def _in_bbox(bbox: BBox):
    x0, y0, x1, y1 = bbox
    return and_(incident.c.lon >= x0, incident.c.lon <= x1, incident.c.lat >= y0, incident.c.lat <= y1)


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    status: str | None = None
    agency: str | None = None
    species: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    bbox: BBox | None = None
    involved: str | None = None  # a road agency sees only incidents it is or was responsible for


def _key(r) -> tuple[str, str]:
    return r.created_at.isoformat(), r.id


def list_incidents(platform: RoadkillPlatform, f: IncidentFilter, cursor: str | None, limit: int):
    """Newest first, keyset-paginated on the (created_at, id) index."""
    i = incident.c
    q = select(incident)
    if f.status:
        q = q.where(i.status == f.status)
    if f.agency:
        q = q.where(i.agency == f.agency)
    if f.species:
        q = q.where(or_(i.species == f.species, i.species_confirmed == f.species))
    if f.since:
        q = q.where(i.created_at >= f.since)
    if f.until:
        q = q.where(i.created_at < f.until)
    if f.bbox:
        q = q.where(_in_bbox(f.bbox))
    if f.involved:
        q = q.where(or_(i.agency == f.involved, i.id.in_(_acted_on(f.involved))))
    with platform.db.read_session() as s:
        rows = s.execute(pagination.keyset(q, [i.created_at, i.id], cursor, limit)).all()
    return pagination.page(rows, limit, key=_key)


def _acted_on(party: str):
    return select(incident_event.c.incident_id).where(incident_event.c.actor == party)


def not_found(incident_id: str) -> Problem:
    """The one answer for an incident that does not exist and for one the caller may not see: the same
    status, type and text, so an agency does not learn that other agencies' incidents exist."""
    return Problem(404, "not-found", f"No incident {incident_id}.")


def read_incident_in(session: Session, incident_id: str):
    """(incident, reports, history) in three indexed queries; 404 when unknown."""
    row = session.execute(select(incident).where(incident.c.id == incident_id)).first()
    if row is None:
        raise not_found(incident_id)
    reports = session.execute(select(report).where(report.c.incident_id == incident_id)
                              .order_by(report.c.reported_at, report.c.id)).all()
    events = session.execute(select(incident_event).where(incident_event.c.incident_id == incident_id)
                             .order_by(incident_event.c.id)).all()
    return row, reports, events


def was_involved(session: Session, incident_row, party: str) -> bool:
    """Whether `party` may see the incident: an overseer, the agency in charge, or one that acted on it."""
    if party in OVERSEERS or incident_row.agency == party:
        return True
    return session.execute(select(incident_event.c.id).where(
        incident_event.c.incident_id == incident_row.id, incident_event.c.actor == party).limit(1)).first() is not None


def read_incident(platform: RoadkillPlatform, incident_id: str, party: str | None = None):
    """(incident, reports, history) as one read; with `party`, only an incident that party may see
    (404, not 403: an agency does not learn that other agencies' incidents exist)."""
    with platform.db.read_session() as s:
        return _visible(s, incident_id, party)


def _visible(session: Session, incident_id: str, party: str | None):
    found = read_incident_in(session, incident_id)
    if party is not None and not was_involved(session, found[0], party):
        raise not_found(incident_id)
    return found


def incident_trace(platform: RoadkillPlatform, incident_id: str, party: str) -> list[dict]:
    """Every cross-party message about an incident `party` may see, in order."""
    with platform.db.read_session() as s:
        _visible(s, incident_id, party)
        return trace.read(s, platform.tables, subject_type="incident", subject_ids=[incident_id])


def hazards(platform: RoadkillPlatform, bbox: BBox, limit: int):
    """Open, uncleared incidents in the box (few at any time: the status index narrows first)."""
    i = incident.c
    q = (select(incident).where(i.status.in_(incident_states.machine().open_states), i.cleared_at.is_(None),
                                _in_bbox(bbox))
         .order_by(i.first_reported_at.desc()).limit(limit))
    with platform.db.read_session() as s:
        return s.execute(q).all()


def inbox(platform: RoadkillPlatform, party: str, cursor: str | None, limit: int):
    """Incidents waiting for `party`'s next step, oldest first; derived from the transition table."""
    i = incident.c
    named: set[str] = set()
    as_agency: set[str] = set()
    for t in incident_states.machine().transitions.values():
        if t.actor == party:
            named.update(t.sources)
        elif t.actor == "agency":
            as_agency.update(t.sources)
    clauses = []
    if named:
        clauses.append(i.status.in_(sorted(named)))
    clauses.append(and_(i.agency == party, i.status.in_(sorted(as_agency))))
    q = select(incident).where(or_(*clauses))
    with platform.db.read_session() as s:
        rows = s.execute(pagination.keyset(q, [i.created_at, i.id], cursor, limit, descending=False)).all()
    return pagination.page(rows, limit, key=_key)
