"""Referrals: sending (consent, no duplicates, minimised webhook) and reading them, as the hub and as the agency."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.onestop.domain import fhir, minimisation, referral_states
from services.onestop.domain.reference import directory
from services.onestop.flows.common import (
    HUB,
    active_consent,
    get_or_404,
    iso,
    log_access,
    resident_data,
    today_kst,
)
from services.onestop.models import Case, Consent, Referral, ReferralEvent, Resident
from services.onestop.parts import OnestopPlatform
from shared import outbox, pagination, trace
from shared.auth import Principal
from shared.db import advisory_lock
from shared.errors import Problem
from shared.ids import new_id

OPEN = [s for s in referral_states.table().states if s not in referral_states.terminal_states()]


def service_or_problem(key_or_id: str, field: str = "service"):
    d = directory()
    try:
        svc = d.service(key_or_id)
    except KeyError:
        raise Problem(422, "unknown-service", f"{field}: no service {key_or_id!r} in the directory; see "
                      "GET /hsds/services for ids and keys.",
                      errors=[{"field": field, "message": "unknown service"}]) from None
    if svc.agency == d.operator:
        raise Problem(422, "not-referrable", f"{field}: {svc.key!r} is the centre's own service, not a referral.")
    if svc.status != "active":
        raise Problem(422, "service-not-active", f"{field}: {svc.key!r} is {svc.status}; choose an active service.")
    return svc


def create(platform: OnestopPlatform, *, case_id: str, service: str, note: str | None,
           who: Principal) -> dict[str, Any]:
    """Sends a referral: needs the resident's consent to that agency, refuses a duplicate open one.

    The webhook to the agency is written in this transaction and carries only the categories
    the resident consented to and the service needs (`minimisation.referral_payload`).
    """
    with platform.db.session() as s:
        return send(s, tables=platform.tables, case_id=case_id, service=service, note=note, who=who,
                    clock=platform.clock)


def send(session: Session, *, tables, case_id: str, service: str, note: str | None, who: Principal,
         clock: Callable[[], datetime], agenda_item_id: str | None = None) -> dict[str, Any]:
    """`create` inside the caller's transaction (a meeting's decision, the start-up seed); sent at the
    service clock's time, read once the resident's referrals to that service are locked.

    The webhook to the agency is written in this transaction and carries only the categories
    the resident consented to and the service needs (`minimisation.referral_payload`).
    """
    case = get_or_404(session, Case, case_id, "case")
    svc = service_or_problem(service)
    resident = session.get(Resident, case.resident_id)
    advisory_lock(session, "referral", f"{resident.id}:{svc.key}")
    consent = active_consent(session, resident_id=resident.id, agency=svc.agency)
    if consent is None:
        raise Problem(422, "consent-required",
                      f"The resident has not consented to give data to {svc.agency}; record a consent with "
                      f"the five PIPA Art. 17(2) items first (POST /v1/residents/{resident.id}/consents).",
                      agency=svc.agency)
    existing = session.scalars(select(Referral.id).where(
        Referral.resident_id == resident.id, Referral.service_key == svc.key,
        Referral.status.in_(OPEN))).first()
    if existing:
        raise Problem(409, "duplicate-referral", f"Referral {existing} to {svc.key} is still open for this "
                      "resident; follow it up instead of sending another.", existing_referral_id=existing)
    now = clock()
    ref = Referral(id=new_id("ref"), case_id=case.id, resident_id=resident.id, agency=svc.agency,
                   service_key=svc.key, service_id=svc.id, consent_id=consent.id, status="requested",
                   note=note, agenda_item_id=agenda_item_id, created_by=who.party, created_at=now,
                   status_changed_at=now, sent_at=now, access_revoked=False)
    session.add(ref)
    session.flush()  # sets version 1
    payload = _payload(ref, resident, case, consent, today=today_kst(now))
    outbox.enqueue(session, tables, from_party=HUB, to_party=svc.agency, kind="referral.requested",
                   subject_type="referral", subject_id=ref.id,
                   payload={**payload, "status": ref.status, "version": ref.version},
                   summary=f"referral to {svc.key}")
    session.add(ReferralEvent(referral_id=ref.id, party=who.party, via=who.via, from_status=None,
                              to_status="requested", version=ref.version, at=now))
    return {**public(ref), "shared_fields": sorted(k for k in payload if k not in _ENVELOPE)}


_ENVELOPE = {"referral_id", "service_id", "resident_ref", "service_key", "agency"}
HUB_ONLY = {"case_id", "agenda_item_id"}  # the hub's internal links, not shown to agencies


def _payload(ref: Referral, resident: Resident, case: Case, consent: Consent, *, today: date) -> dict[str, Any]:
    return minimisation.referral_payload(
        referral_id=ref.id, service_key=ref.service_key, resident_ref=resident.pseudonym,
        data=resident_data(resident, case, today=today), consented_categories=consent.categories,
        separate_consents=consent.sensitive_categories)


def public(r: Referral) -> dict[str, Any]:
    return {"id": r.id, "case_id": r.case_id, "agency": r.agency, "service_key": r.service_key,
            "service_id": r.service_id, "status": r.status, "version": r.version, "reason": r.reason,
            "outcome": r.outcome, "amount_krw": r.amount_krw, "access_revoked": r.access_revoked,
            "agenda_item_id": r.agenda_item_id, "created_at": iso(r.created_at),
            "status_changed_at": iso(r.status_changed_at), "sent_at": iso(r.sent_at),
            "accepted_at": iso(r.accepted_at), "completed_at": iso(r.completed_at)}


def own_or_404(session: Session, referral_id: str, who: Principal) -> Referral:
    ref = session.get(Referral, referral_id)
    # Another agency's referral answers exactly like a missing one: its existence is not shared.
    if ref is None or ref.agency != who.party:
        raise Problem(404, "not-found", f"No referral {referral_id!r} for {who.party}.")
    return ref


def read_as_agency(platform: OnestopPlatform, *, referral_id: str, who: Principal) -> dict[str, Any]:
    """The agency's view: the referral and only the resident data its consent covers (audited)."""
    with platform.db.session() as s:
        return _read_as_agency(s, referral_id=referral_id, who=who, now=platform.clock())


def _read_as_agency(session: Session, *, referral_id: str, who: Principal, now: datetime) -> dict[str, Any]:
    ref = own_or_404(session, referral_id, who)
    # No active consent (withdrawn), whatever the referral's status, completed included: no personal data.
    consent = None if ref.access_revoked else active_consent(session, resident_id=ref.resident_id,
                                                             agency=ref.agency)
    if consent is None:
        raise Problem(410, "access-revoked", f"The resident withdrew consent: {who.party} may no longer read "
                      f"the resident's data on referral {referral_id}, whatever its status, and must destroy "
                      "any copy (PIPA Art. 37); the referral's status stays in your list.",
                      referral_id=referral_id, referral_status=ref.status)
    resident = session.get(Resident, ref.resident_id)
    data = _payload(ref, resident, session.get(Case, ref.case_id), consent, today=today_kst(now))
    fields = sorted(k for k in data if k not in _ENVELOPE)
    log_access(session, resident_id=resident.id, who=who, resource=f"referral:{ref.id}", fields=fields,
               purpose=consent.purpose, at=now)
    meta = {k: v for k, v in public(ref).items() if k not in HUB_ONLY}
    return {**meta, "resident_ref": resident.pseudonym, "data": data,
            "allowed_next": referral_states.allowed_from(ref.status, "agency")}


def list_all(platform: OnestopPlatform, *, agency: str | None, status: str | None, cursor: str | None,
             limit: int) -> dict[str, Any]:
    """All referrals, newest first (cursor pagination)."""
    t = Referral.__table__
    q = select(Referral)
    if agency:
        q = q.where(t.c.agency == agency)
    if status:
        q = q.where(t.c.status == status)
    q = pagination.keyset(q, [t.c.created_at, t.c.id], cursor, limit)
    with platform.db.read_session() as s:
        rows, nxt = pagination.page(s.scalars(q).all(), limit, key=lambda r: (r.created_at.isoformat(), r.id))
        return {"items": [public(r) for r in rows], "next_cursor": nxt}


def list_for_case(platform: OnestopPlatform, *, case_id: str) -> dict[str, Any]:
    """The case's referrals and their statuses."""
    with platform.db.read_session() as s:
        get_or_404(s, Case, case_id, "case")
        return {"items": [public(r) for r in _of_case(s, case_id)]}


def _of_case(session: Session, case_id: str) -> list[Referral]:
    return list(session.scalars(select(Referral).where(Referral.case_id == case_id).order_by(Referral.created_at)))



def _history(session: Session, referral_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral_id)
                           .order_by(ReferralEvent.id)).all()
    return [{"at": iso(e.at), "party": e.party, "via": e.via, "from": e.from_status, "to": e.to_status,
             "reason": e.reason, "outcome": e.outcome, "amount_krw": e.amount_krw, "note": e.note,
             "version": e.version} for e in rows]


def read_as_hub(platform: OnestopPlatform, *, referral_id: str) -> dict[str, Any]:
    """A referral with its history: who changed what, when."""
    with platform.db.read_session() as s:
        ref = get_or_404(s, Referral, referral_id, "referral")
        return {**public(ref), "note": ref.note, "history": _history(s, referral_id),
                "allowed_next": referral_states.allowed_from(ref.status, "hub")}


def fhir_bundle(platform: OnestopPlatform, *, referral_id: str) -> dict[str, Any]:
    """The read-only FHIR view: a Bundle with the ServiceRequest and its Task (no personal data)."""
    with platform.db.read_session() as s:
        ref = get_or_404(s, Referral, referral_id, "referral")
        return fhir.bundle(ref, _history(s, referral_id))


def referral_trace(platform: OnestopPlatform, *, referral_id: str) -> list[dict[str, Any]]:
    """Every message about the referral, with the fields that left the hub."""
    with platform.db.read_session() as s:
        get_or_404(s, Referral, referral_id, "referral")
        return trace.read(s, platform.tables, subject_type="referral", subject_ids=[referral_id])


def case_trace(platform: OnestopPlatform, *, case_id: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The case's referral ids and every message about them between the hub and the agencies."""
    with platform.db.read_session() as s:
        get_or_404(s, Case, case_id, "case")
        ids = list(s.scalars(select(Referral.id).where(Referral.case_id == case_id)))
        events = trace.read(s, platform.tables, subject_type="referral", subject_ids=ids) if ids else []
        return ids, events
