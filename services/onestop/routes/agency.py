"""The agencies' own API: their referrals only, the consented data only, and status updates."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.onestop.answers import AgencyReferralView, ReferralCore
from services.onestop.flows import agency_list, referral_status, referrals
from services.onestop.routes.deps import Agency, IfMatch, PlatformDep
from services.onestop.schemas import AgencyReferralPage, Status, StatusChange

router = APIRouter(prefix="/v1/agency", tags=["agency"])


@router.get("/referrals", response_model=AgencyReferralPage)
async def list_agency_referrals(p: PlatformDep, who: Agency, status: Status | None = None,
                                cursor: Annotated[str | None, Query(max_length=200)] = None,
                                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    """The calling agency's referrals, newest first (cursor pagination; no personal data in the list)."""
    body = await agency_list.page_json(p, who=who, status=status, cursor=cursor, limit=limit)
    return Response(body, media_type="application/json")


@router.get("/referrals/{referral_id}")
def get_agency_referral(p: PlatformDep, who: Agency, referral_id: str) -> AgencyReferralView:
    """One referral with the resident data the consent covers (logged; 410 once consent is withdrawn)."""
    return referrals.read_as_agency(p, referral_id=referral_id, who=who)


@router.post("/referrals/{referral_id}/status")
def change_agency_referral_status(p: PlatformDep, who: Agency, referral_id: str, body: StatusChange,
                                  version: IfMatch = None) -> ReferralCore:
    """Moves the referral by the transition table (409 names the allowed targets; stale version → 409)."""
    return referral_status.change_as_agency(p, referral_id=referral_id, who=who, change=body, if_match=version)
