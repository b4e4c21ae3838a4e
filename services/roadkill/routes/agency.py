"""Agency API: each agency's inbox and its steps on an incident (ACRC, MOLIT, road agencies; own keys)."""
from __future__ import annotations

from fastapi import APIRouter, Query

from services.roadkill.answers import Inbox, IncidentStates
from services.roadkill.domain import incident_states, presenters
from services.roadkill.flows import handoff, queries
from services.roadkill.routes.deps import Agency, PlatformDep
from services.roadkill.schemas import EventAccepted, EventIn
from shared.auth import PUBLIC

router = APIRouter(prefix="/v1", tags=["agency"])


@router.get("/agency/inbox")
def agency_inbox(p: PlatformDep, who: Agency, cursor: str | None = Query(default=None, max_length=500),
                 limit: int = Query(default=50, ge=1, le=200)) -> Inbox:
    """Incidents waiting for the calling party's next step, oldest first (ACRC: to register; MOLIT: to
    assign; a road agency: its own incidents to acknowledge, dispatch, close or transfer)."""
    rows, nxt = queries.inbox(p, who.party, cursor, limit)
    return {"items": [presenters.inbox_item(r) for r in rows], "next_cursor": nxt}


@router.post("/agency/incidents/{incident_id}/events", response_model=EventAccepted,
             responses={403: {"description": "Not the party responsible for this step"},
                        409: {"description": "Illegal transition (with `allowed`) or stale `version`"}})
def post_event(p: PlatformDep, who: Agency, incident_id: str, body: EventIn) -> EventAccepted:
    """Record a step: complaint_registered (ACRC), assigned (MOLIT), acknowledged / dispatched / closed /
    transferred (the responsible road agency). Illegal steps answer 409 with the allowed ones."""
    out = handoff.apply_event(p, incident_id=incident_id, party=who.party, body=body)
    return EventAccepted(**out)


@router.get("/incident-states", dependencies=[PUBLIC])
def incident_state_table() -> IncidentStates:
    """The incident state machine as data: states, outcomes and who may make which step."""
    m = incident_states.machine()
    return {"version": m.version, "initial": m.initial, "states": list(m.states), "outcomes": list(m.outcomes),
            "transitions": m.as_table()}
