"""Incidents (list, one, trace) and hazards for the navigation partner."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from services.roadkill.answers import Hazards, IncidentDetail, IncidentPage, IncidentTrace
from services.roadkill.domain import incident_states, presenters
from services.roadkill.domain.geo import parse_bbox
from services.roadkill.flows import queries
from services.roadkill.routes.deps import HazardReader, PlatformDep, Reader
from shared import trace
from shared.answers import MERMAID
from shared.errors import field_problem
from shared.query import IsoDateTime

router = APIRouter(prefix="/v1", tags=["incidents"])


@router.get("/incidents")
def list_incidents(p: PlatformDep, who: Reader,
                   status: str | None = Query(default=None, max_length=16),
                   agency: str | None = Query(default=None, max_length=40),
                   species: str | None = Query(default=None, max_length=32),
                   since: IsoDateTime | None = Query(default=None, description="created at or after (with offset)"),
                   until: IsoDateTime | None = Query(default=None, description="created before (with offset)"),
                   bbox: str | None = Query(default=None, max_length=200, description="min_lon,min_lat,max_lon,max_lat"),
                   cursor: str | None = Query(default=None, max_length=500),
                   limit: int = Query(default=50, ge=1, le=200)) -> IncidentPage:
    """Incidents, newest first, with filters and cursor pagination (no report content)."""
    if status is not None and status not in incident_states.machine().codes:
        raise field_problem("status", f"must be one of {', '.join(incident_states.machine().codes)}")
    f = queries.IncidentFilter(status=status, agency=agency, species=species, since=since, until=until,
                               bbox=parse_bbox(bbox),
                               involved=None if who.party in presenters.OVERSEERS else who.party)
    rows, nxt = queries.list_incidents(p, f, cursor, limit)
    return {"items": [presenters.incident_summary(r) for r in rows], "next_cursor": nxt}


@router.get("/incidents/{incident_id}")
def get_incident(p: PlatformDep, who: Reader, incident_id: str) -> IncidentDetail:
    """One incident: routing decision, reports (as the caller may see them) and state history."""
    row, reports, events = queries.read_incident(p, incident_id, who.party)
    return presenters.incident_detail(row, reports, events, who.party)


@router.get("/incidents/{incident_id}/trace", response_model=IncidentTrace, responses=MERMAID)
def incident_trace(p: PlatformDep, who: Reader, incident_id: str,
                   format: Literal["json", "mermaid"] = "json"):
    """Every cross-party message about the incident, in order, with the fields each party received."""
    events = queries.incident_trace(p, incident_id, who.party)
    if format == "mermaid":
        return PlainTextResponse(trace.to_mermaid(events, p.parties, title=f"Incident {incident_id}"),
                                 media_type="text/vnd.mermaid")
    return {"incident_id": incident_id, "events": events}


@router.get("/hazards")
def hazards(p: PlatformDep, who: HazardReader,
            bbox: str = Query(max_length=200, description="min_lon,min_lat,max_lon,max_lat"),
            limit: int = Query(default=200, ge=1, le=1000)) -> Hazards:
    """Open, uncleared carcasses in the box, so the app can warn drivers approaching them."""
    box = parse_bbox(bbox)
    now = p.clock()
    rows = queries.hazards(p, box, limit)
    return {"items": [presenters.hazard(r, now) for r in rows], "generated_at": now.isoformat()}
