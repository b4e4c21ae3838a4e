"""Cases: assessment, recommendations, referrals of a case, and the case's trace (counsellors only)."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from services.onestop.flows import cases, referrals
from services.onestop.flows.common import get_or_404
from services.onestop.models import Case, Referral
from services.onestop.routes.deps import DEFAULT_PURPOSE, Counsellor, Purpose, platform_of
from services.onestop.schemas import CaseCreate, ReferralCreate
from shared import trace

router = APIRouter(prefix="/v1", tags=["cases"])


@router.post("/cases", status_code=201)
def create_case(request: Request, who: Counsellor, body: CaseCreate) -> dict[str, Any]:
    """Opens a case with one structured assessment; scores vulnerability."""
    with platform_of(request).db.session() as s:
        return cases.create(s, body=body, who=who)


@router.get("/cases/{case_id}")
def get_case(request: Request, who: Counsellor, case_id: str, purpose: Purpose = DEFAULT_PURPOSE) -> dict[str, Any]:
    """The case and its assessment (logged in the resident's access log)."""
    with platform_of(request).db.session() as s:
        return cases.read(s, case_id=case_id, who=who, purpose=purpose)


@router.get("/cases/{case_id}/recommendations")
def get_recommendations(request: Request, who: Counsellor, case_id: str,
                        purpose: Purpose = DEFAULT_PURPOSE) -> dict[str, Any]:
    """Every service: eligible, maybe or not eligible, with reasons in words and the rules version."""
    with platform_of(request).db.session() as s:
        return cases.recommendations(s, case_id=case_id, who=who, purpose=purpose)


@router.post("/cases/{case_id}/referrals", status_code=201)
def create_referral(request: Request, who: Counsellor, case_id: str, body: ReferralCreate) -> dict[str, Any]:
    """Sends a referral (needs consent to the agency); the agency gets only the consented data."""
    p = platform_of(request)
    with p.db.session() as s:
        return referrals.create(s, tables=p.tables, case_id=case_id, service=body.service, note=body.note, who=who)


@router.get("/cases/{case_id}/referrals")
def list_case_referrals(request: Request, who: Counsellor, case_id: str) -> dict[str, Any]:
    """The case's referrals and their statuses."""
    with platform_of(request).db.read_session() as s:
        get_or_404(s, Case, case_id, "case")
        rows = s.scalars(select(Referral).where(Referral.case_id == case_id).order_by(Referral.created_at)).all()
        return {"items": [referrals.public(r) for r in rows]}


@router.get("/cases/{case_id}/trace")
def get_case_trace(request: Request, who: Counsellor, case_id: str,
                   format: Literal["json", "mermaid"] = "json"):
    """Every message about the case's referrals between the hub and the agencies."""
    p = platform_of(request)
    with p.db.read_session() as s:
        get_or_404(s, Case, case_id, "case")
        ids = list(s.scalars(select(Referral.id).where(Referral.case_id == case_id)))
        events = referrals.trace_of(s, tables=p.tables, referral_ids=ids) if ids else []
    if format == "mermaid":
        return PlainTextResponse(trace.to_mermaid(events, p.parties, title=f"case {case_id}"),
                                 media_type="text/vnd.mermaid")
    return {"case_id": case_id, "referral_ids": ids, "events": events}
