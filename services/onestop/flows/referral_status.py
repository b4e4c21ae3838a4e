"""Referral status changes by the transition table: history, trace and the closed loop back to the centre."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services.onestop.domain import referral_states
from services.onestop.flows.common import HUB, get_or_404, iso
from services.onestop.flows.referrals import HUB_ONLY, own_or_404, public
from services.onestop.models import Referral, ReferralEvent
from services.onestop.parts import OnestopPlatform
from services.onestop.schemas import StatusChange
from shared import outbox, trace
from shared.auth import Principal
from shared.errors import Problem


def _transition_problem(exc: referral_states.TransitionError, ref: Referral) -> Problem:
    if isinstance(exc, referral_states.IllegalTransition):
        return Problem(409, "illegal-transition", str(exc), current_status=ref.status, allowed=exc.allowed)
    if isinstance(exc, referral_states.MissingReason):
        return Problem(422, "reason-required", str(exc), errors=[{"field": "reason", "message": str(exc)}],
                       accepted=exc.accepted)
    if isinstance(exc, referral_states.InvalidOutcome):
        return Problem(422, "outcome-required", str(exc), errors=[{"field": "outcome", "message": str(exc)}],
                       accepted=exc.accepted)
    return Problem(422, "validation-error", str(exc))


def apply_change(session: Session, *, tables, ref: Referral, who: Principal, actor: str, status: str,
                 reason: str | None = None, outcome: str | None = None, amount_krw: int | None = None,
                 note: str | None = None, expected_version: int | None = None, now: datetime) -> dict[str, Any]:
    """Moves a referral by the transition table, records history and trace, and closes the loop; `now` (the
    service clock's time) is when the change happened."""
    if expected_version is not None and expected_version != ref.version:
        raise Problem(409, "version-conflict", f"Referral {ref.id} is at version {ref.version} (status "
                      f"{ref.status!r}), not {expected_version}: someone changed it; read it again.",
                      current_version=ref.version, current_status=ref.status)
    if outcome is not None and status != referral_states.table().completion_state:
        raise Problem(422, "validation-error", "outcome: only a completed referral carries an outcome.",
                      errors=[{"field": "outcome", "message": "only with status completed"}])
    try:
        referral_states.check_transition(ref.status, status, actor=actor, reason=reason, outcome=outcome,
                                         amount_krw=amount_krw)
    except referral_states.TransitionError as exc:
        raise _transition_problem(exc, ref) from None
    previous = ref.status
    ref.status, ref.reason, ref.status_changed_at = status, reason, now
    if outcome is not None:
        ref.outcome, ref.amount_krw = outcome, amount_krw
    if status == "accepted":
        ref.accepted_at = now
    if status == "completed":
        ref.completed_at = now
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Problem(409, "version-conflict", f"Referral {ref.id} was changed by someone else at the same "
                      "time; read it again.") from None
    session.add(ReferralEvent(referral_id=ref.id, party=who.party, via=who.via, from_status=previous,
                              to_status=status, reason=reason, outcome=outcome, amount_krw=amount_krw,
                              note=note, version=ref.version, at=now))
    notice = {"referral_id": ref.id, "case_id": ref.case_id, "agency": ref.agency, "service_key": ref.service_key,
              "previous_status": previous, "status": status, "reason": reason, "outcome": outcome,
              "amount_krw": amount_krw, "version": ref.version, "changed_by": who.party,
              "changed_at": iso(now)}
    notice = {k: v for k, v in notice.items() if v is not None}
    summary = f"{previous} → {status}" + (f" ({reason or outcome})" if reason or outcome else "")
    if actor == "agency":
        changed = ["status"] + [k for k in ("reason", "outcome", "amount_krw") if notice.get(k) is not None]
        trace.record(session, tables, channel="api", from_party=ref.agency, to_party=HUB, kind="referral.status",
                     subject_type="referral", subject_id=ref.id, fields=changed, summary=summary)
        # Closed loop: the counsellors hear of every change the agency makes.
        outbox.enqueue(session, tables, from_party=ref.agency, to_party=HUB, kind="referral.status_changed",
                       subject_type="referral", subject_id=ref.id, payload=notice, summary=summary)
    else:
        kind = "referral.cancelled" if status == "cancelled" else "referral.status_changed"
        outbox.enqueue(session, tables, from_party=HUB, to_party=ref.agency, kind=kind, subject_type="referral",
                       subject_id=ref.id, payload={k: v for k, v in notice.items() if k not in HUB_ONLY},
                       summary=summary)
    return public(ref)


def change_as_agency(platform: OnestopPlatform, *, referral_id: str, who: Principal, change: StatusChange,
                     if_match: int | None) -> dict[str, Any]:
    """The agency moves its referral (409 names the allowed targets; a stale version is a 409 too)."""
    with platform.db.session() as s:
        ref = own_or_404(s, referral_id, who)
        out = apply_change(s, tables=platform.tables, ref=ref, who=who, actor="agency", status=change.status,
                           reason=change.reason, outcome=change.outcome, amount_krw=change.amount_krw,
                           note=change.note, expected_version=change.version or if_match, now=platform.clock())
        return {k: v for k, v in out.items() if k not in HUB_ONLY}


def change_as_hub(platform: OnestopPlatform, *, referral_id: str, who: Principal, status: str,
                  reason: str | None, note: str | None, version: int | None) -> dict[str, Any]:
    """A change the requester may make (cancelled, entered-in-error); the agency is told."""
    with platform.db.session() as s:
        ref = get_or_404(s, Referral, referral_id, "referral")
        return apply_change(s, tables=platform.tables, ref=ref, who=who, actor="hub", status=status,
                            reason=reason, note=note, expected_version=version, now=platform.clock())
