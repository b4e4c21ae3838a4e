"""The agencies' own API: their referrals only, the consented data only, and status updates."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic_core import to_json

from services.onestop.flows import referrals
from services.onestop.routes.deps import Agency, IfMatch, platform_of
from services.onestop.schemas import AgencyReferralPage, Status, StatusChange

router = APIRouter(prefix="/v1/agency", tags=["agency"])


@router.get("/referrals", response_model=AgencyReferralPage)
def list_agency_referrals(request: Request, who: Agency, status: Status | None = None,
                          cursor: Annotated[str | None, Query(max_length=200)] = None,
                          limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    """The calling agency's referrals, newest first (cursor pagination; no personal data in the list)."""
    # One read on a plain connection (a Session would add nothing here but its own bookkeeping).
    with platform_of(request).db.read_engine.connect() as conn:
        page = referrals.list_for_agency(conn, who=who, status=status, cursor=cursor, limit=limit)
    # Built from the table's own columns, so it is serialised directly: validating 50 items against
    # AgencyReferralPage (which documents the shape) would cost more than the query, in a second
    # worker-thread hop. The bytes are what FastAPI's own JSON rendering gives.
    return Response(to_json(page), media_type="application/json")


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
