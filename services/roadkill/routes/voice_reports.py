"""POST /v1/voice-reports: the navigation partner's voice reports (Idempotency-Key via the middleware)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.roadkill import intake, views
from services.roadkill.schemas import ReportAccepted, ReportIn
from shared.auth import Principal, RequireParty

router = APIRouter(prefix="/v1", tags=["reports"])
Partner = Annotated[Principal, Depends(RequireParty("tmap"))]


@router.post("/voice-reports", status_code=201, response_model=ReportAccepted,
             responses={422: {"description": "Invalid report (problem+json naming the field)"}})
def create_voice_report(request: Request, who: Partner, body: ReportIn) -> ReportAccepted:
    """Parse, route and store one driver's report; merged into an open incident of the same carcass."""
    platform = request.app.state.platform
    with platform.db.session() as session:
        result = intake.submit_report(session, platform, body, partner=who.party, source="voice")
    return views.report_accepted(result)
