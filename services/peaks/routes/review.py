"""Review of doubtful photos: Ulju-gun for every peak, partners for the peaks in their territory."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from services.peaks import photos, reference
from services.peaks.models import Photo
from services.peaks.photos import FlowError
from services.peaks.routes.deps import Reviewer, platform_of, problem_of
from services.peaks.schemas import PhotoOut, PhotosOut, ReviewIn
from shared.pagination import keyset, page

router = APIRouter(prefix="/v1", tags=["review"])


def territory(party: str, operator: str) -> list[str]:
    """Peak codes a party reviews (all for the operator)."""
    return [c for c in reference.peaks() if photos.can_review(party, c, operator)]


@router.get("/review", response_model=PhotosOut)
def review_queue(request: Request, who: Reviewer, peak: str | None = Query(default=None, max_length=40),
                 cursor: str | None = Query(default=None, max_length=500),
                 limit: int = Query(default=50, ge=1, le=200)) -> PhotosOut:
    """Photos waiting for review, oldest first: every peak for Ulju-gun, a partner's own peaks for it."""
    p = platform_of(request)
    peaks = territory(who.party, p.parties.operator)
    if peak is not None:
        peaks = [c for c in peaks if c == peak]
    q = select(Photo).where(Photo.status == "needs_review", Photo.peak_code.in_(peaks))
    q = keyset(q, [Photo.created_at, Photo.id], cursor, limit, descending=False)
    with p.db.read_session() as s:
        rows = s.execute(q).scalars().all()
        items, nxt = page(rows, limit, key=lambda r: (r.created_at.isoformat(), r.id))
        return PhotosOut(items=[PhotoOut.of(r) for r in items], next_cursor=nxt)


@router.post("/photos/{photo_id}/review", response_model=PhotoOut,
             responses={403: {"description": "The peak is outside the partner's territory"},
                        404: {"description": "No such photo"},
                        409: {"description": "Not waiting for review, or the peak is already certified"}})
def review(request: Request, who: Reviewer, photo_id: str, body: ReviewIn) -> PhotoOut:
    """Approve or reject with a reason the climber will see. Approving the last missing peak issues the
    certificate (exactly once) and allocates a medal while stock lasts."""
    p = platform_of(request)
    try:
        with p.db.session() as s:
            photo = photos.review_photo(s, p, photo_id=photo_id, party=who.party, decision=body.decision,
                                        reason=body.reason, now=photos.now_of(p))
    except FlowError as exc:
        raise problem_of(exc) from None
    return PhotoOut.of(photo)
