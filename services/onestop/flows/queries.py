"""Read models of the trainer's pages: what a page shows beyond the API's own reads, each in one read
transaction. None of these reads personal data (ids, pseudonyms, statuses and counts only), so none is
logged in a resident's access log; the pages' audited reads go through the API's flows."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from services.onestop.domain import referral_states
from services.onestop.flows import meetings, referrals, residents
from services.onestop.flows.common import get_or_404, iso
from services.onestop.models import (
    AccessLog,
    AgendaItem,
    Case,
    Consent,
    Meeting,
    Referral,
    ReferralEvent,
    Resident,
)
from services.onestop.parts import OnestopPlatform
from shared.auth import Principal

# ---- live-update versions (polled once a second per open stream; see UIKit(versions=...)) --------------


def referrals_version(platform: OnestopPlatform) -> tuple[int, ...]:
    """Changes on any referral change, consent given or withdrawn, meeting or decision."""
    q = select(
        select(func.max(ReferralEvent.id)).scalar_subquery(),
        select(func.count()).select_from(Consent).scalar_subquery(),
        select(func.count(Consent.withdrawn_at)).scalar_subquery(),
        select(func.count()).select_from(Meeting).scalar_subquery(),
        select(func.count(AgendaItem.decided_at)).scalar_subquery(),
        select(func.count()).select_from(Case).scalar_subquery(),
    )
    with platform.db.read_session() as s:
        return tuple(int(v or 0) for v in s.execute(q).one())


def access_version(platform: OnestopPlatform) -> int:
    """Changes whenever someone reads a resident's personal data (the access log grows)."""
    with platform.db.read_session() as s:
        return int(s.scalar(select(func.max(AccessLog.id))) or 0)


# ---- residents and cases ---------------------------------------------------------------------------------

def resident_known(platform: OnestopPlatform, resident_id: str) -> bool:
    with platform.db.read_session() as s:
        return s.get(Resident, resident_id) is not None


def case_ids(platform: OnestopPlatform, case_id: str) -> dict[str, str]:
    """The case's id and its resident's id (404 for an unknown case)."""
    with platform.db.read_session() as s:
        case = get_or_404(s, Case, case_id, "case")
        return {"case_id": case.id, "resident_id": case.resident_id}


def case_links(platform: OnestopPlatform, case_id: str) -> dict[str, list[dict[str, Any]]]:
    """The case's referrals and its resident's consents: statuses only, no personal data."""
    with platform.db.read_session() as s:
        case = get_or_404(s, Case, case_id, "case")
        refs = s.scalars(select(Referral).where(Referral.case_id == case_id).order_by(Referral.created_at))
        cons = s.scalars(select(Consent).where(Consent.resident_id == case.resident_id).order_by(Consent.taken_at))
        return {"referrals": [referrals.public(r) for r in refs],
                "consents": [{"id": c.id, "agency": c.agency, "categories": c.categories,
                              "sensitive": c.sensitive_categories, "taken_by": c.taken_by,
                              "taken_at": iso(c.taken_at), "active": c.withdrawn_at is None and c.superseded_at is None,
                              "withdrawn": c.withdrawn_at is not None, "superseded": c.superseded_at is not None}
                             for c in cons]}


def access_log_view(platform: OnestopPlatform, resident_id: str, recent: int = 30) -> dict[str, Any]:
    """The most recent residents to pick from (pseudonyms and ids: picking one is no read of their
    data) and, for `resident_id`, its access log and pseudonym."""
    with platform.db.read_session() as s:
        out: dict[str, Any] = {
            "residents": [{"id": r.id, "ref": r.pseudonym, "created_at": iso(r.created_at)}
                          for r in s.scalars(select(Resident).order_by(Resident.created_at.desc()).limit(recent))],
            "log": None, "resident_ref": None}
        if resident_id:
            out["log"] = residents.access_log_in(s, resident_id=resident_id)
            out["resident_ref"] = s.get(Resident, resident_id).pseudonym
        return out


# ---- referrals -------------------------------------------------------------------------------------------

def board(platform: OnestopPlatform, per_status: int) -> dict[str, Any]:
    """Every referral status with its count and its most recently changed referrals (at most `per_status`)."""
    with platform.db.read_session() as s:
        counts = dict(s.execute(select(Referral.status, func.count()).group_by(Referral.status)).all())
        columns = {}
        for code in referral_states.table().states:
            rows = s.scalars(select(Referral).where(Referral.status == code)
                             .order_by(Referral.status_changed_at.desc(), Referral.id).limit(per_status))
            columns[code] = [{"id": r.id, "agency": r.agency, "service_key": r.service_key, "reason": r.reason,
                              "outcome": r.outcome, "status_changed_at": iso(r.status_changed_at)} for r in rows]
        return {"counts": counts, "columns": columns}


def agency_referral(platform: OnestopPlatform, referral_id: str, who: Principal) -> dict[str, Any] | None:
    """The agency's own referral as `referrals.public()` gives it, or None: another agency's referral is
    treated like a missing one, as the agency API does (404)."""
    with platform.db.read_session() as s:
        ref = s.get(Referral, referral_id)
        return referrals.public(ref) if ref is not None and ref.agency == who.party else None


# ---- meetings --------------------------------------------------------------------------------------------

def meeting_list(platform: OnestopPlatform) -> list[dict[str, Any]]:
    """The recent meetings, each with the number of its agenda items."""
    with platform.db.read_session() as s:
        rows = meetings.recent(s, 50)
        counts = dict(s.execute(select(AgendaItem.meeting_id, func.count()).group_by(AgendaItem.meeting_id)).all())
    return [{**m, "item_count": counts.get(m["id"], 0)} for m in rows]
