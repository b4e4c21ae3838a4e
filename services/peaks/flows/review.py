"""Review of doubtful photos: the queue (Ulju-gun every peak, partners their territory) and the decision."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.peaks.domain import reference
from services.peaks.domain.errors import FlowError
from services.peaks.domain.programme import can_review, review_territory
from services.peaks.flows.certification import on_approved
from services.peaks.flows.photo_view import not_found
from services.peaks.models import Climber, Photo
from services.peaks.schemas import PhotoOut, PhotosOut
from shared.db import advisory_lock
from shared.pagination import keyset, page

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

log = logging.getLogger("services.peaks.flows.review")


def queue(platform: PeaksPlatform, party: str, *, peak: str | None, cursor: str | None, limit: int) -> PhotosOut:
    """Photos waiting for review in the party's territory (optionally one peak), oldest first, a page."""
    peaks = review_territory(party, platform.parties.operator)
    if peak is not None:
        peaks = [c for c in peaks if c == peak]
    q = select(Photo).where(Photo.status == "needs_review", Photo.peak_code.in_(peaks))
    q = keyset(q, [Photo.created_at, Photo.id], cursor, limit, descending=False)
    with platform.db.read_session() as s:
        rows = s.execute(q).scalars().all()
        items, nxt = page(rows, limit, key=lambda r: (r.created_at.isoformat(), r.id))
        return PhotosOut(items=[PhotoOut.of(r) for r in items], next_cursor=nxt)


def decide(platform: PeaksPlatform, *, photo_id: str, party: str, decision: str, reason: str) -> PhotoOut:
    """Approve or reject a photo waiting for review; the climber then sees the decision and the reason.

    Ulju-gun may also overturn a rejection (an appeal); an approved photo is final. Approving the last
    missing peak issues the certificate in the same transaction.
    """
    with platform.db.session() as s:
        return PhotoOut.of(_decide(s, platform, photo_id=photo_id, party=party, decision=decision,
                                        reason=reason))


def _decide(session: Session, platform: PeaksPlatform, *, photo_id: str, party: str, decision: str,
                 reason: str) -> Photo:
    """`decide` inside its transaction (FlowError for a refusal)."""
    now = platform.clock()
    if decision not in ("approve", "reject"):
        raise FlowError(422, "validation-error", "decision must be 'approve' or 'reject'")
    head = session.execute(select(Photo.climber_id, Photo.peak_code).where(Photo.id == photo_id)).first()
    operator = platform.parties.operator
    # The reviewer first: a photo outside the party's territory answers as a missing one (as its GET does),
    # never a 403 naming its peak nor a 409 showing its state.
    if head is None or not can_review(party, head.peak_code, operator):
        raise not_found(photo_id)
    advisory_lock(session, "peaks-climber", head.climber_id)
    photo = session.execute(select(Photo).where(Photo.id == photo_id).with_for_update()).scalar_one()
    allowed = photo.status == "needs_review" or (photo.status == "rejected" and party == operator)
    if not allowed:
        raise FlowError(409, "not-reviewable", f"Photo {photo_id} is '{photo.status}'; only photos waiting for "
                                               "review can be decided (Ulju-gun may overturn a rejection).")
    season = reference.season(photo.season_id)
    new_status = "approved" if decision == "approve" else "rejected"
    if new_status == "approved":
        dup = session.execute(select(Photo.id).where(
            Photo.climber_id == photo.climber_id, Photo.season_id == photo.season_id,
            Photo.peak_code == photo.peak_code, Photo.status == "approved", Photo.id != photo.id).limit(1)).first()
        if dup is not None:
            raise FlowError(409, "peak-already-certified",
                            f"{photo.peak_code} is already certified for this climber in {photo.season_id} "
                            f"(photo {dup.id}); reject this one instead.")
    photo.status = new_status
    photo.reviewed_by, photo.review_reason, photo.reviewed_at = party, reason, now
    photo.updated_at, photo.version = now, photo.version + 1
    session.flush()
    if new_status == "approved":
        climber = session.get(Climber, photo.climber_id)
        assert climber is not None
        on_approved(session, platform, photo, climber, season, now)
    log.info("photo reviewed", extra={"photo_id": photo.id, "party": party, "verdict": new_status})
    return photo
