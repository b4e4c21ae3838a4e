"""A climber's progress in a season: peaks done, waiting for review and remaining, and the certificate."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.peaks.domain import reference
from services.peaks.domain.errors import FlowError
from services.peaks.domain.reference import KST, Season
from services.peaks.models import Certificate, Climber, Photo
from services.peaks.schemas import ProgressOut

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform


def season_named(platform: PeaksPlatform, season: str | None) -> Season:
    """The season asked for (default: the one open today); FlowError 404 if there is none."""
    try:
        found = reference.season(season) if season else reference.current_season(platform.clock())
    except KeyError:
        raise FlowError(404, "not-found", f"No season {season!r}.") from None
    if found is None:
        raise FlowError(404, "no-season", "No season is open today; pass ?season=<year>.")
    return found


def of_climber(platform: PeaksPlatform, climber_id: str, season: str | None) -> ProgressOut:
    """`GET /v1/climbers/{id}/progress`: FlowError 404 for an unknown season or climber."""
    se = season_named(platform, season)
    with platform.db.read_session() as s:
        climber = s.get(Climber, climber_id)
        if climber is None:
            raise FlowError(404, "not-found", f"No climber {climber_id}.")
        data = progress(s, climber.id, se)
        cert = data["certificate"]
        return ProgressOut(climber_id=climber.id, **data, medal_due=bool(cert and cert["medal"]),
                           shipping_address_set=climber.shipping_address is not None)


def progress(session: Session, climber_id: str, season: Season) -> dict[str, Any]:
    """Peaks done, pending review and remaining in `season`, and the certificate if issued."""
    rows = session.execute(select(Photo.peak_code, Photo.status).where(
        Photo.climber_id == climber_id, Photo.season_id == season.id)).all()
    done = {r.peak_code for r in rows if r.status == "approved"} & set(season.peaks)
    pending = {r.peak_code for r in rows if r.status == "needs_review"} & set(season.peaks) - done
    cert = session.execute(select(Certificate).where(Certificate.climber_id == climber_id,
                                                     Certificate.season_id == season.id)).scalar_one_or_none()
    order = list(season.peaks)
    return {
        "season": season.id,
        "peaks_total": len(order),
        "done": [p for p in order if p in done],
        "pending": [p for p in order if p in pending],
        "remaining": [p for p in order if p not in done and p not in pending],
        "complete": done == set(order),
        "certificate": None if cert is None else {
            "id": cert.id, "number": cert.number, "rank": cert.rank, "first_place": cert.first_place,
            "medal": cert.medal, "award_status": cert.award_status, "award_due": list(cert.award_due or ()),
            "medal_inscription": cert.medal_inscription, "issued_at": cert.issued_at.astimezone(KST).isoformat()},
    }
