"""Referrals seen from the hub: list, read with history, cancel, status, trace and a FHIR view."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse

from services.onestop.answers import Referral, ReferralDetail, ReferralPage, ReferralTrace
from services.onestop.answers.fhir import FhirBundle
from services.onestop.domain import fhir
from services.onestop.flows import referral_status, referrals
from services.onestop.routes.deps import Counsellor, IfMatch, PlatformDep
from services.onestop.schemas import CancelReferral, Status, StatusChange
from shared import trace
from shared.answers import MERMAID

router = APIRouter(prefix="/v1", tags=["referrals"])


@router.get("/referrals")
def list_referrals(p: PlatformDep, who: Counsellor, agency: Annotated[str | None, Query(max_length=40)] = None,
                   status: Status | None = None, cursor: Annotated[str | None, Query(max_length=200)] = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50) -> ReferralPage:
    """All referrals, newest first (cursor pagination)."""
    return referrals.list_all(p, agency=agency, status=status, cursor=cursor, limit=limit)


@router.get("/referrals/{referral_id}")
def get_referral(p: PlatformDep, who: Counsellor, referral_id: str) -> ReferralDetail:
    """A referral with its history: who changed what, when."""
    return referrals.read_as_hub(p, referral_id=referral_id)


@router.post("/referrals/{referral_id}/cancel")
def cancel_referral(p: PlatformDep, who: Counsellor, referral_id: str, body: CancelReferral,
                    version: IfMatch = None) -> Referral:
    """Cancels a referral (reason required); the agency is told."""
    return referral_status.change_as_hub(p, referral_id=referral_id, who=who, status="cancelled",
                                         reason=body.reason, note=body.note, version=body.version or version)


@router.post("/referrals/{referral_id}/status")
def change_referral_status(p: PlatformDep, who: Counsellor, referral_id: str, body: StatusChange,
                           version: IfMatch = None) -> Referral:
    """A status change the requester may make (cancelled, entered-in-error), by the transition table."""
    return referral_status.change_as_hub(p, referral_id=referral_id, who=who, status=body.status,
                                         reason=body.reason, note=body.note, version=body.version or version)


@router.get("/referrals/{referral_id}/trace", response_model=ReferralTrace, responses=MERMAID)
def get_referral_trace(p: PlatformDep, who: Counsellor, referral_id: str,
                       format: Literal["json", "mermaid"] = "json"):
    """Every message about the referral, with the fields that left the hub; JSON or a Mermaid diagram."""
    events = referrals.referral_trace(p, referral_id=referral_id)
    if format == "mermaid":
        return PlainTextResponse(trace.to_mermaid(events, p.parties, title=f"referral {referral_id}"),
                                 media_type="text/vnd.mermaid")
    return {"referral_id": referral_id, "events": events}


class FhirJSONResponse(JSONResponse):
    media_type = fhir.MEDIA_TYPE


@router.get("/referrals/{referral_id}/fhir", response_model=FhirBundle, response_class=FhirJSONResponse)
def get_referral_fhir(p: PlatformDep, who: Counsellor, referral_id: str):
    """Read-only FHIR R4 view (`application/fhir+json`): a Bundle with the ServiceRequest and its Task, ids
    `sr.ref-…`/`task.ref-…` (the referral id with `-` for `_`), no personal data."""
    return referrals.fhir_bundle(p, referral_id=referral_id)
