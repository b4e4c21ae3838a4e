"""POST /v1/voice-reports: the navigation partner's voice reports (Idempotency-Key via the middleware)."""
from __future__ import annotations

from fastapi import APIRouter, Response

from services.roadkill.flows import intake
from services.roadkill.routes.deps import Partner, PlatformDep
from services.roadkill.schemas import ReportAccepted, ReportIn, report_accepted

router = APIRouter(prefix="/v1", tags=["reports"])


@router.post("/voice-reports", status_code=201, response_model=ReportAccepted,
             responses={422: {"description": "Invalid report (problem+json naming the field)"}})
async def create_voice_report(platform: PlatformDep, who: Partner, body: ReportIn) -> Response:
    """Parse, route and store one driver's report; merged into an open incident of the same carcass
    (answered once the group-commit writer's transaction has committed)."""
    result = await intake.file_voice_report(platform, body, partner=who.party)
    # Serialized once by its own model (the response_model above documents it; FastAPI would
    # validate the finished model a second time).
    return Response(report_accepted(result).model_dump_json(), status_code=201,
                    media_type="application/json")

