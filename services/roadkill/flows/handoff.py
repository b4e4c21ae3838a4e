"""The handoff chain: platform → ACRC → MLIT → road agency → MLIT, ME and the partner, via the outbox.

The roles are the handbook's (Table 3): ACRC receives the civil complaint and shares it onward, so the
complaint reaches MLIT (official acronym MOLIT; party code `molit`) as ACRC's act, relayed by the hub;
MLIT handles the incident and accumulates the outcome data; ME accumulates the processing data.
Every payload is built here, per receiving party, with only the fields that party needs: ACRC, MLIT and
the road agencies never get the reporter hash; MLIT's outcome record and ME's processing record carry no
personal data at all. Agencies' steps arrive through `apply_event` (the agency API) and move the state machine of
data/incident_states.json.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.roadkill.domain import incident_columns, incident_states, presenters
from services.roadkill.domain.reference import default_species
from services.roadkill.flows import queries
from services.roadkill.models import incident, incident_event, report
from services.roadkill.schemas import EventIn
from shared import outbox, trace
from shared.errors import Problem, field_problem

if TYPE_CHECKING:
    from services.roadkill.parts import RoadkillPlatform

PLATFORM = "chungnam"
SUBJECT = "incident"


# -- hub → party messages ------------------------------------------------------------------------

def file_complaint(session: Session, platform: RoadkillPlatform, inc: dict[str, Any], *, transcript: str, lane: str | None,
                   side: str | None) -> None:
    """Platform → ACRC: the civil complaint (what was said, where, when), without who said it."""
    payload = {
        "subject_id": inc["id"],
        "incident_id": inc["id"],
        "category": "roadkill",
        "complaint": {"transcript": transcript, "reported_at": presenters.iso(inc["first_reported_at"]),
                      "species": inc["species"], "lane": lane, "side": side},
        "location": presenters.location(inc),
        "proposed_agency": inc["agency"],
    }
    outbox.enqueue(session, platform.tables, from_party=PLATFORM, to_party="acrc", kind="complaint.filed",
                   subject_type=SUBJECT, subject_id=inc["id"], payload=payload,
                   summary=f"civil complaint filed ({inc['species']} on {inc['road_name'] or 'an unmapped road'})")


def _shared_by_acrc(session: Session, platform: RoadkillPlatform, inc) -> None:
    """ACRC → MLIT: ACRC shares the complaint it registered with MLIT for on-site action (Table 3: ACRC shares
    complaints with related organisations), with the platform's routing decision. The hub relays the
    message, as it relays every message, but the act is ACRC's: the trace shows it from ACRC."""
    decision = inc.decision or {}
    payload = {
        "subject_id": inc.id, "incident_id": inc.id, "complaint_no": inc.complaint_no,
        "species": inc.species, "location": presenters.location(inc), "version": inc.version,
        "routing": {"agency": inc.agency, "agency_name": decision.get("agency_name"),
                    "explanation": decision.get("explanation")},
    }
    outbox.enqueue(session, platform.tables, from_party="acrc", to_party="molit", kind="complaint.forwarded",
                   subject_type=SUBJECT, subject_id=inc.id, payload=payload,
                   summary=f"ACRC shares complaint {inc.complaint_no} with MLIT for on-site action "
                           f"(proposed: {inc.agency})")


def _assign(session: Session, platform: RoadkillPlatform, inc, *, agency: str, transfer: dict[str, Any] | None = None) -> None:
    """Platform → road agency: where the carcass is and what the drivers said about lane and side."""
    lane, side = session.execute(
        select(report.c.lane, report.c.side).where(report.c.incident_id == inc.id)
        .order_by(report.c.reported_at).limit(1)).one()
    payload: dict[str, Any] = {
        "subject_id": inc.id, "incident_id": inc.id, "complaint_no": inc.complaint_no, "version": inc.version,
        "species": inc.species, "location": presenters.location(inc), "lane": lane, "side": side,
        "report_count": inc.report_count, "first_reported_at": presenters.iso(inc.first_reported_at),
        "explanation": (inc.decision or {}).get("explanation"),
    }
    if transfer:
        payload["transfer"] = transfer
    why = f" (transferred from {transfer['from']})" if transfer else ""
    outbox.enqueue(session, platform.tables, from_party=PLATFORM, to_party=agency, kind="incident.assigned",
                   subject_type=SUBJECT, subject_id=inc.id, payload=payload, summary=f"assigned to {agency}{why}")


# MLIT's outcome record (Table 3: MLIT handles roadkill incidents and accumulates the data): what was done
# where, by whom and how fast; nothing personal and nothing the drivers said.
MLIT_FIELDS = ("subject_id", "incident_id", "event_date", "cleared_at", "outcome", "species_confirmed", "lat", "lon",
               "road_id", "road_class", "segment_no", "agency", "municipality", "report_count", "time_to_clear_s")


def _close_notices(session: Session, platform: RoadkillPlatform, inc) -> None:
    """On close: MLIT gets the outcome record, ME the processing record, each reporting partner a status
    notice for its drivers."""
    record = presenters.processing_record(inc)
    outcome = {**{k: record[k] for k in MLIT_FIELDS}, "complaint_no": inc.complaint_no}
    outbox.enqueue(session, platform.tables, from_party=PLATFORM, to_party="molit", kind="outcome.record",
                   subject_type=SUBJECT, subject_id=inc.id, payload=outcome,
                   summary=f"outcome for MLIT's road data ({inc.outcome} by {inc.agency})")
    outbox.enqueue(session, platform.tables, from_party=PLATFORM, to_party="me", kind="processing.record",
                   subject_type=SUBJECT, subject_id=inc.id, payload=presenters.processing_record(inc),
                   summary=f"processing record ({inc.outcome})")
    rows = session.execute(select(report.c.id, report.c.partner).where(report.c.incident_id == inc.id)
                           .order_by(report.c.reported_at)).all()
    by_partner: dict[str, list[str]] = {}
    for r in rows:
        if r.partner in platform.parties:
            by_partner.setdefault(r.partner, []).append(r.id)
    for partner, report_ids in by_partner.items():
        payload = {"subject_id": inc.id, "incident_id": inc.id, "report_ids": report_ids, "status": inc.status,
                   "open311_status": incident_states.open311_status(inc.status), "outcome": inc.outcome,
                   "cleared_at": presenters.iso(inc.cleared_at)}
        outbox.enqueue(session, platform.tables, from_party=PLATFORM, to_party=partner, kind="incident.status",
                       subject_type=SUBJECT, subject_id=inc.id, payload=payload,
                       summary=f"status notice for {len(report_ids)} report(s): {inc.outcome}")


# -- party → hub steps ---------------------------------------------------------------------------

def _road_agency(platform: RoadkillPlatform, code: str | None, field: str) -> str:
    if not code or code not in platform.parties or "road_agency" not in platform.parties.get(code).roles:
        known = ", ".join(platform.parties.with_role("road_agency"))
        raise field_problem(field, f"{code!r} is not a road agency; known: {known}")
    return code


def _check_actor(t: incident_states.Transition, party: str, inc) -> None:
    needed = inc.agency if t.actor == "agency" else t.actor
    if party != needed:
        raise Problem(403, "not-responsible",
                      f"Only {needed} may record '{t.event}' on incident {inc.id} now; you are {party}.",
                      responsible=needed)


def _load(session: Session, incident_id: str):
    q = select(incident).where(incident.c.id == incident_id)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    row = session.execute(q).first()
    if row is None:
        raise queries.not_found(incident_id)
    return row


@dataclass(slots=True)
class Step:
    """One agency step being applied: the incident before it, what is written and what the history records."""

    session: Session
    platform: RoadkillPlatform
    inc: Any  # the incident row before the step
    body: EventIn
    now: datetime
    values: dict[str, Any] = field(default_factory=dict)  # incident columns the step sets
    detail: dict[str, Any] = field(default_factory=dict)  # the history row's detail


def _register(step: Step) -> None:
    step.values["complaint_no"] = step.detail["complaint_no"] = step.body.complaint_no


def _assign_agency(step: Step) -> None:
    agency = _road_agency(step.platform, step.body.agency or step.inc.agency, "agency")
    step.values["agency"] = step.detail["agency"] = agency


def _transfer(step: Step) -> None:
    to = _road_agency(step.platform, step.body.to_agency, "to_agency")
    if to == step.inc.agency:
        raise field_problem("to_agency", f"is already the responsible agency ({to})")
    step.values["agency"] = to
    step.detail.update({"from": step.inc.agency, "to": to, "reason": step.body.reason})


def _close(step: Step) -> None:
    body, species = step.body, default_species().by_code
    if body.species_confirmed and body.species_confirmed not in species:
        raise field_problem("species_confirmed", f"{body.species_confirmed!r} is not a species code; "
                            f"known: {', '.join(sorted(species))}")
    step.values.update(outcome=body.outcome, outcome_note=body.note, species_confirmed=body.species_confirmed,
                       cleared_at=step.now,
                       clear_minutes=incident_columns.clear_minutes(step.inc.first_reported_at, step.now))
    step.detail.update({"outcome": body.outcome, "species_confirmed": body.species_confirmed})
    if body.duplicate_of:
        step.detail["duplicate_of"] = body.duplicate_of


def _send_assignment(step: Step, new) -> None:
    _assign(step.session, step.platform, new, agency=new.agency)


def _send_transfer(step: Step, new) -> None:
    _assign(step.session, step.platform, new, agency=new.agency,
            transfer={"from": step.inc.agency, "reason": step.body.reason})


@dataclass(frozen=True, slots=True)
class Handler:
    """What one event type does beyond the state change: its columns (`apply`, may refuse with a
    problem), the next hop once stored (`notify`) and the trace summary."""

    apply: Callable[[Step], None]
    notify: Callable[[Step, Any], None]
    summary: Callable[[EventIn, dict[str, Any]], str]


# Event type → handler. acknowledged and dispatched only move the state (`PLAIN`).
HANDLERS: dict[str, Handler] = {
    "complaint_registered": Handler(
        _register, lambda step, new: _shared_by_acrc(step.session, step.platform, new),
        lambda body, detail: f"complaint number {body.complaint_no}"),
    "assigned": Handler(_assign_agency, _send_assignment, lambda body, detail: f"assigned to {detail['agency']}"),
    "transferred": Handler(_transfer, _send_transfer,
                           lambda body, detail: f"transferred {detail['from']} → {detail['to']}: {body.reason}"),
    "closed": Handler(_close, lambda step, new: _close_notices(step.session, step.platform, new),
                      lambda body, detail: f"closed: {body.outcome}"
                      + (f" ({body.species_confirmed})" if body.species_confirmed else "")),
}
PLAIN = Handler(lambda step: None, lambda step, new: None, lambda body, detail: body.type)
SENT_FIELDS = ("complaint_no", "agency", "outcome", "species_confirmed", "duplicate_of", "to_agency", "reason",
               "note", "version")


def apply_event(platform: RoadkillPlatform, *, incident_id: str, party: str, body: EventIn) -> dict[str, Any]:
    """One agency step in its own transaction: actor and transition checked (the state machine),
    incident updated, history, trace and the next hop queued."""
    with platform.db.session() as session:
        return _apply(session, platform, incident_id=incident_id, party=party, body=body)


def _apply(session: Session, platform: RoadkillPlatform, *, incident_id: str, party: str,
           body: EventIn) -> dict[str, Any]:
    machine = incident_states.machine()
    inc = _load(session, incident_id)
    # The caller first: a party that may not see the incident gets the 404 of a missing one (as its GET
    # does), never a 409 with the state or a 403 naming the agency in charge.
    if not queries.was_involved(session, inc, party):
        raise queries.not_found(incident_id)
    try:
        t = machine.check(inc.status, body.type)
    except incident_states.IllegalTransition as exc:
        raise Problem(409, "illegal-transition", str(exc), allowed=exc.allowed, status_now=inc.status,
                      version=inc.version) from None
    _check_actor(t, party, inc)
    if body.version is not None and body.version != inc.version:
        raise Problem(409, "version-conflict", f"Incident {incident_id} is at version {inc.version}, not "
                      f"{body.version}; read it again and retry.", version=inc.version, status_now=inc.status)
    for name in t.requires:
        if getattr(body, name) in (None, ""):
            raise field_problem(name, f"is required for type '{body.type}'")
    handler = HANDLERS.get(body.type, PLAIN)
    step = Step(session, platform, inc, body, platform.clock())  # when the step was taken: the service clock
    step.values.update(status=t.to, updated_at=step.now, version=inc.version + 1)
    handler.apply(step)
    if body.note:
        step.detail["note"] = body.note
    n = session.execute(update(incident).where(incident.c.id == incident_id, incident.c.version == inc.version)
                        .values(**step.values)).rowcount
    if n != 1:  # SQLite has no FOR UPDATE; the version guard catches a concurrent step there
        raise Problem(409, "version-conflict", f"Incident {incident_id} changed meanwhile; read it again.")
    session.execute(insert(incident_event).values(incident_id=incident_id, at=step.now, actor=party, type=body.type,
                                                  from_status=inc.status, to_status=t.to, detail=step.detail))
    sent = sorted(["type"] + [k for k in SENT_FIELDS if getattr(body, k) is not None])
    trace.record(session, platform.tables, channel="api", from_party=party, to_party=PLATFORM,
                 kind=f"incident.{body.type}", subject_type=SUBJECT, subject_id=incident_id, fields=sent,
                 summary=handler.summary(body, step.detail))
    new = session.execute(select(incident).where(incident.c.id == incident_id)).one()
    handler.notify(step, new)
    return {"incident_id": incident_id, "status": new.status, "agency": new.agency, "version": new.version,
            "allowed_next": machine.allowed(new.status)}
