"""Review of doubtful photos: Ulju-gun for every peak, partners for the peaks in their territory."""
from __future__ import annotations

from fastapi import APIRouter, Query

from services.peaks.domain.errors import FlowError
from services.peaks.flows import review as flow
from services.peaks.routes.deps import Reviewer, problem_of
from services.peaks.schemas import PhotoOut, PhotosOut, ReviewIn
from shared.deps import PlatformDep

router = APIRouter(prefix="/v1", tags=["review"])


@router.get("/review", response_model=PhotosOut)
def review_queue(platform: PlatformDep, who: Reviewer, peak: str | None = Query(default=None, max_length=40),
                 cursor: str | None = Query(default=None, max_length=500),
                 limit: int = Query(default=50, ge=1, le=200)) -> PhotosOut:
    """Photos waiting for review, oldest first: every peak for Ulju-gun, a partner's own peaks for it."""
    return flow.queue(platform, who.party, peak=peak, cursor=cursor, limit=limit)


@router.post("/photos/{photo_id}/review", response_model=PhotoOut,
             responses={404: {"description": "No such photo, or its peak is outside the partner's territory "
                                             "(the same answer: other territories' photos are not confirmed)"},
                        409: {"description": "Not waiting for review, or the peak is already certified"}})
def review(platform: PlatformDep, who: Reviewer, photo_id: str, body: ReviewIn) -> PhotoOut:
    """Approve or reject with a reason the climber will see. Approving the last missing peak issues the
    certificate (exactly once) and allocates a medal while stock lasts."""
    try:
        return flow.decide(platform, photo_id=photo_id, party=who.party, decision=body.decision,
                           reason=body.reason)
    except FlowError as exc:
        raise problem_of(exc) from None
