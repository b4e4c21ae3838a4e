"""Cases: assessment, recommendations, referrals of a case, and the case's trace (counsellors only)."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from services.onestop.flows import cases, referrals
from services.onestop.flows.common import get_or_404
from services.onestop.models import Case, Referral
from services.onestop.routes.deps import DEFAULT_PURPOSE, Counsellor, PlatformDep, Purpose
from services.onestop.schemas import CaseCreate, ReferralCreate
from shared import trace
from shared.deps import ReadSessionDep, SessionDep

router = APIRouter(prefix="/v1", tags=["cases"])


@router.post("/cases", status_code=201)
def create_case(s: SessionDep, who: Counsellor, body: CaseCreate) -> dict[str, Any]:
    """Opens a case with one structured assessment; scores vulnerability."""
    return cases.create(s, body=body, who=who)


@router.get("/cases/{case_id}")
def get_case(s: SessionDep, who: Counsellor, case_id: str, purpose: Purpose = DEFAULT_PURPOSE) -> dict[str, Any]:
    """The case and its assessment (logged in the resident's access log)."""
    return cases.read(s, case_id=case_id, who=who, purpose=purpose)


@router.get("/cases/{case_id}/recommendations")
def get_recommendations(s: SessionDep, who: Counsellor, case_id: str,
                        purpose: Purpose = DEFAULT_PURPOSE) -> dict[str, Any]:
    """Every service: eligible, maybe or not eligible, with reasons in words and the rules version."""
    return cases.recommendations(s, case_id=case_id, who=who, purpose=purpose)


@router.post("/cases/{case_id}/referrals", status_code=201)
def create_referral(p: PlatformDep, s: SessionDep, who: Counsellor, case_id: str, body: ReferralCreate) -> dict[str, Any]:
    """Sends a referral (needs consent to the agency); the agency gets only the consented data."""
    return referrals.create(s, tables=p.tables, case_id=case_id, service=body.service, note=body.note, who=who)


@router.get("/cases/{case_id}/referrals")
def list_case_referrals(s: ReadSessionDep, who: Counsellor, case_id: str) -> dict[str, Any]:
    """The case's referrals and their statuses."""
    get_or_404(s, Case, case_id, "case")
    rows = s.scalars(select(Referral).where(Referral.case_id == case_id).order_by(Referral.created_at)).all()
    return {"items": [referrals.public(r) for r in rows]}


@router.get("/cases/{case_id}/trace")
def get_case_trace(p: PlatformDep, s: ReadSessionDep, who: Counsellor, case_id: str,
                   format: Literal["json", "mermaid"] = "json"):
    """Every message about the case's referrals between the hub and the agencies."""
    get_or_404(s, Case, case_id, "case")
    ids = list(s.scalars(select(Referral.id).where(Referral.case_id == case_id)))
    events = referrals.trace_of(s, tables=p.tables, referral_ids=ids) if ids else []
    if format == "mermaid":
        return PlainTextResponse(trace.to_mermaid(events, p.parties, title=f"case {case_id}"),
                                 media_type="text/vnd.mermaid")
    return {"case_id": case_id, "referral_ids": ids, "events": events}
