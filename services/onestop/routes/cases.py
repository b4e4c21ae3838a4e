"""Cases: assessment, recommendations, referrals of a case, and the case's trace (counsellors only)."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from services.onestop.answers import Case, CaseReferrals, CaseTrace, Recommendations, SentReferral
from services.onestop.flows import cases, referrals
from services.onestop.routes.deps import DEFAULT_PURPOSE, Counsellor, PlatformDep, Purpose
from services.onestop.schemas import CaseCreate, ReferralCreate
from shared import trace
from shared.answers import MERMAID

router = APIRouter(prefix="/v1", tags=["cases"])


@router.post("/cases", status_code=201)
def create_case(p: PlatformDep, who: Counsellor, body: CaseCreate) -> Case:
    """Opens a case with one structured assessment; scores vulnerability."""
    return cases.create(p, body=body, who=who)


@router.get("/cases/{case_id}")
def get_case(p: PlatformDep, who: Counsellor, case_id: str, purpose: Purpose = DEFAULT_PURPOSE) -> Case:
    """The case and its assessment (logged in the resident's access log)."""
    return cases.read(p, case_id=case_id, who=who, purpose=purpose)


@router.get("/cases/{case_id}/recommendations")
def get_recommendations(p: PlatformDep, who: Counsellor, case_id: str,
                        purpose: Purpose = DEFAULT_PURPOSE) -> Recommendations:
    """Every service: eligible, maybe or not eligible, with reasons in words and the rules version."""
    return cases.recommendations(p, case_id=case_id, who=who, purpose=purpose)


@router.post("/cases/{case_id}/referrals", status_code=201)
def create_referral(p: PlatformDep, who: Counsellor, case_id: str, body: ReferralCreate) -> SentReferral:
    """Sends a referral (needs consent to the agency); the agency gets only the consented data."""
    return referrals.create(p, case_id=case_id, service=body.service, note=body.note, who=who)


@router.get("/cases/{case_id}/referrals")
def list_case_referrals(p: PlatformDep, who: Counsellor, case_id: str) -> CaseReferrals:
    """The case's referrals and their statuses."""
    return referrals.list_for_case(p, case_id=case_id)


@router.get("/cases/{case_id}/trace", response_model=CaseTrace, responses=MERMAID)
def get_case_trace(p: PlatformDep, who: Counsellor, case_id: str, format: Literal["json", "mermaid"] = "json"):
    """Every message about the case's referrals between the hub and the agencies."""
    ids, events = referrals.case_trace(p, case_id=case_id)
    if format == "mermaid":
        return PlainTextResponse(trace.to_mermaid(events, p.parties, title=f"case {case_id}"),
                                 media_type="text/vnd.mermaid")
    return {"case_id": case_id, "referral_ids": ids, "events": events}
