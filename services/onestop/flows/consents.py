"""Consent per agency with the five PIPA Art. 17(2) items; withdrawal in one call (Art. 37)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.onestop.domain import minimisation, referral_states
from services.onestop.domain.consent_policy import consent_policy
from services.onestop.domain.reference import directory
from services.onestop.flows import referral_status
from services.onestop.flows.common import HUB, active_consent, get_or_404, iso
from services.onestop.models import Consent, Referral, Resident
from services.onestop.parts import OnestopPlatform
from services.onestop.schemas import ConsentCreate, ConsentWithdraw
from shared import outbox
from shared.auth import Principal
from shared.db import advisory_lock
from shared.errors import Problem
from shared.ids import new_id


def agency_codes() -> list[str]:
    d = directory()
    return [code for code in d.agencies if code != d.operator]


def check_agency(agency: str, field: str = "agency") -> None:
    if agency not in agency_codes():
        raise Problem(422, "unknown-agency", f"{field}: no agency {agency!r}; known agencies: "
                      f"{', '.join(agency_codes())}.", errors=[{"field": field, "message": "unknown agency"}])


def give(platform: OnestopPlatform, *, resident_id: str, body: ConsentCreate, who: Principal) -> dict[str, Any]:
    """Records consent to give data to one agency, with the five PIPA Art. 17(2) items as shown."""
    with platform.db.session() as s:
        return record(s, resident_id=resident_id, body=body, who=who, clock=platform.clock)


def record(session: Session, *, resident_id: str, body: ConsentCreate, who: Principal,
           clock: Callable[[], datetime]) -> dict[str, Any]:
    """`give` inside the caller's transaction (the start-up seed); the consent is taken at the service
    clock's time, read once the resident's consent to that agency is locked."""
    get_or_404(session, Resident, resident_id, "resident")
    check_agency(body.agency)
    policy = consent_policy()
    cats = list(dict.fromkeys(body.categories))
    notice = {i["code"]: i["text"] for i in minimisation.consent_notice(body.agency, cats, language=body.language)}
    purpose = policy.agencies[body.agency]
    advisory_lock(session, "consent", f"{resident_id}:{body.agency}")
    now = clock()
    previous = active_consent(session, resident_id=resident_id, agency=body.agency)
    if previous is not None:  # a new consent replaces the old one (e.g. more categories)
        previous.superseded_at = now
    consent = Consent(
        id=new_id("con"), resident_id=resident_id, agency=body.agency,
        categories=[c for c in cats if not policy.categories[c].sensitive],
        sensitive_categories=[c for c in cats if policy.categories[c].sensitive],
        sensitive_consent=body.sensitive_consent,
        purpose=purpose.purpose_ko if body.language == "ko" else purpose.purpose_en,
        retention=purpose.retention_ko if body.language == "ko" else purpose.retention_en,
        notice_recipient=notice["recipient"], notice_purpose=notice["purpose"], notice_items=notice["items"],
        notice_retention=notice["retention"], notice_refusal=notice["refusal"], language=body.language,
        policy_version=policy.version, taken_by=body.taken_by, taken_at=now)
    session.add(consent)
    session.flush()
    return public(consent, replaces=previous.id if previous else None)


def public(c: Consent, replaces: str | None = None) -> dict[str, Any]:
    out = {"id": c.id, "resident_id": c.resident_id, "agency": c.agency, "categories": c.categories,
           "sensitive_categories": c.sensitive_categories, "sensitive_consent": c.sensitive_consent,
           "purpose": c.purpose, "retention": c.retention,
           "notice": [{"code": "recipient", "text": c.notice_recipient},
                      {"code": "purpose", "text": c.notice_purpose},
                      {"code": "items", "text": c.notice_items},
                      {"code": "retention", "text": c.notice_retention},
                      {"code": "refusal", "text": c.notice_refusal}],
           "language": c.language, "policy_version": c.policy_version, "taken_by": c.taken_by,
           "taken_at": iso(c.taken_at), "withdrawn_at": iso(c.withdrawn_at), "withdrawn_by": c.withdrawn_by,
           "superseded_at": iso(c.superseded_at),
           "active": c.withdrawn_at is None and c.superseded_at is None}
    if replaces is not None:
        out["replaces"] = replaces
    return out


def list_for(platform: OnestopPlatform, *, resident_id: str) -> dict[str, Any]:
    """Every consent of the resident, active, superseded and withdrawn."""
    with platform.db.read_session() as session:
        get_or_404(session, Resident, resident_id, "resident")
        rows = session.scalars(select(Consent).where(Consent.resident_id == resident_id)
                               .order_by(Consent.taken_at)).all()
        return {"resident_id": resident_id, "items": [public(c) for c in rows]}


def withdraw(platform: OnestopPlatform, *, consent_id: str, body: ConsentWithdraw,
             who: Principal) -> dict[str, Any]:
    """Stops all sharing with the agency and minimises what it was given (the policy in docs/reliability.md,
    "Personal data"):

    * every referral of the resident to that agency, whatever its status (completed ones too), is marked
      `access_revoked`: the agency's read answers 410 from now on, while its list keeps the non-personal
      record (status, outcome, dates) for its statistics;
    * open referrals are cancelled (reason consent-withdrawn); for the others the agency is told to destroy
      its copy (PIPA Art. 37); neither message carries personal data;
    * the personal fields in the copies the hub keeps of what it sent that agency about those referrals
      (outbox payloads, delivered or still pending, and a simulated agency's inbox) are erased, leaving the
      envelope, so a pending message delivers no personal data either.
    """
    tables = platform.tables
    with platform.db.session() as session:
        consent = get_or_404(session, Consent, consent_id, "consent")
        if consent.withdrawn_at is not None:
            raise Problem(409, "already-withdrawn", f"Consent {consent_id} was withdrawn at {iso(consent.withdrawn_at)}.")
        advisory_lock(session, "consent", f"{consent.resident_id}:{consent.agency}")
        now = platform.clock()
        # Withdrawal covers the agency, not one consent record: close every active one.
        for c in session.scalars(select(Consent).where(Consent.resident_id == consent.resident_id,
                                                       Consent.agency == consent.agency,
                                                       Consent.withdrawn_at.is_(None))):
            c.withdrawn_at, c.withdrawn_by = now, body.withdrawn_by
        revoked, cancelled = [], []
        refs = session.scalars(select(Referral).where(
            Referral.resident_id == consent.resident_id, Referral.agency == consent.agency,
            Referral.access_revoked.is_(False))).all()
        for ref in refs:
            ref.access_revoked = True
            revoked.append(ref.id)
            if "cancelled" in referral_states.allowed_from(ref.status, "hub"):
                referral_status.apply_change(session, tables=tables, ref=ref, who=who, actor="hub", status="cancelled",
                                       reason="consent-withdrawn", note=None, now=now)
                cancelled.append(ref.id)
            else:
                outbox.enqueue(session, tables, from_party=HUB, to_party=ref.agency, kind="referral.access_revoked",
                               subject_type="referral", subject_id=ref.id,
                               payload={"referral_id": ref.id, "reason": "consent-withdrawn",
                                        "instruction": "destroy the resident's data (PIPA Art. 37)"})
        erased = _erase_sent_copies(session, tables, agency=consent.agency, referral_ids=revoked)
        session.flush()
        return {**public(consent), "access_revoked_referrals": revoked, "cancelled_referrals": cancelled,
                "erased_copies": erased}


def _erase_sent_copies(session: Session, tables, *, agency: str, referral_ids: list[str]) -> int:
    """Personal fields out of the hub's copies of the messages sent to `agency` about these referrals."""
    if not referral_ids:
        return 0
    o, i = tables.outbox, tables.inbox
    sent = session.execute(select(o.c.id, o.c.payload).where(
        o.c.to_party == agency, o.c.subject_type == "referral", o.c.subject_id.in_(referral_ids))).all()
    erased = 0
    for msg_id, payload in sent:
        kept = minimisation.without_personal_fields(payload or {})
        if kept != payload:
            session.execute(update(o).where(o.c.id == msg_id).values(payload=kept))
            erased += 1
    copies = session.execute(select(i.c.id, i.c.payload).where(
        i.c.receiver == agency, i.c.webhook_id.in_([m for m, _ in sent]))).all() if sent else []
    for row_id, payload in copies:
        kept = minimisation.without_personal_fields(payload or {})
        if kept != payload:
            session.execute(update(i).where(i.c.id == row_id).values(payload=kept))
            erased += 1
    return erased
