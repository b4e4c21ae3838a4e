"""The agencies' own API: their referrals only, the consented data only, and status updates."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.onestop.flows import referrals
from services.onestop.routes.deps import Agency, IfMatch, platform_of
from services.onestop.schemas import Status, StatusChange

router = APIRouter(prefix="/v1/agency", tags=["agency"])


@router.get("/referrals")
def list_agency_referrals(request: Request, who: Agency, status: Status | None = None,
                          cursor: Annotated[str | None, Query(max_length=200)] = None,
                          limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    """The calling agency's referrals, newest first (cursor pagination; no personal data in the list)."""
    with platform_of(request).db.read_session() as s:
        return referrals.list_for_agency(s, who=who, status=status, cursor=cursor, limit=limit)


@router.get("/referrals/{referral_id}")
def get_agency_referral(request: Request, who: Agency, referral_id: str) -> dict[str, Any]:
    """One referral with the resident data the consent covers (logged; 410 once consent is withdrawn)."""
    with platform_of(request).db.session() as s:
        return referrals.read_as_agency(s, referral_id=referral_id, who=who)


@router.post("/referrals/{referral_id}/status")
def change_agency_referral_status(request: Request, who: Agency, referral_id: str, body: StatusChange,
                                  version: IfMatch = None) -> dict[str, Any]:
    """Moves the referral by the transition table (409 names the allowed targets; stale version → 409)."""
    p = platform_of(request)
    with p.db.session() as s:
        return referrals.change_as_agency(s, tables=p.tables, referral_id=referral_id, who=who, change=body,
                                          if_match=version)
