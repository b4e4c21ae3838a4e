"""POST /v1/voice-reports: the navigation partner's voice reports (Idempotency-Key via the middleware)."""
from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from services.roadkill import intake, views
from services.roadkill.parts import RoadkillPlatform
from services.roadkill.routes.deps import Partner, PlatformDep
from services.roadkill.schemas import ReportAccepted, ReportIn

router = APIRouter(prefix="/v1", tags=["reports"])


@router.post("/voice-reports", status_code=201, response_model=ReportAccepted,
             responses={422: {"description": "Invalid report (problem+json naming the field)"}})
async def create_voice_report(platform: PlatformDep, who: Partner, body: ReportIn) -> Response:
    """Parse, route and store one driver's report; merged into an open incident of the same carcass.

    Checks, routing and parsing need no database and run first; the store runs in the service's
    group-commit writer (`shared.writer`), answered once its transaction has committed.
    """
    prepared = intake.prepare_report(platform, body)
    result = await platform.writer.run(_store, platform, prepared, who.party,
                                       locks=intake.lock_keys(platform, body) if not platform.db.is_sqlite else ())
    # Serialized once by its own model (the response_model above documents it; FastAPI would
    # validate the finished model a second time).
    return Response(views.report_accepted(result).model_dump_json(), status_code=201,
                    media_type="application/json")


def _store(session: Session, platform: RoadkillPlatform, prepared: intake.PreparedReport,
           partner: str) -> intake.IntakeResult:
    return intake.store_report(session, platform, prepared, partner=partner, source="voice")
