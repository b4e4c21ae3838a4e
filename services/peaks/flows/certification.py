"""Certification: what an approval sets off (the partner event, then the certificate once every peak is in).

Called inside the approving transaction (submission or review), so the photo, the certificate, the
counters and the outbox events commit together or not at all.

Concurrency: every flow that can change a climber's set of approved peaks first takes the climber's
lock (`advisory_lock("peaks-climber", id)`: a PostgreSQL transaction advisory lock; on SQLite writers
are already serialised by BEGIN IMMEDIATE). So when the last two photos are approved at the same
moment, the second waits, then sees the first one's approval, and `maybe_certify` runs with the full
picture exactly once per completion. A certificate is unique per (climber, season) in the schema as
the last line of defence. Ranks and medals come from one `season_counter` row per season, changed
only by single atomic UPDATEs (`completions = completions + 1`, and `medals_remaining - 1 WHERE
medals_remaining > 0`): the UPDATE row lock serialises finishers of the same season, and PostgreSQL
re-checks the WHERE after waiting, so two simultaneous finishers can never both take the last medal,
nor share a rank.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.peaks.domain import reference
from services.peaks.domain.programme import certificate_number
from services.peaks.domain.reference import Season
from services.peaks.flows.events import notify_subscribers
from services.peaks.models import Certificate, Climber, Photo, SeasonCounter
from shared.db import advisory_lock, utcnow

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

log = logging.getLogger("services.peaks.flows.certification")


def ensure_counter(session: Session, season: Season, now: datetime | None = None) -> None:
    """The season's counter row (created at seed time; created here if a new season appeared)."""
    if session.get(SeasonCounter, season.id) is not None:
        return
    try:
        with session.begin_nested():
            session.execute(insert(SeasonCounter).values(
                season_id=season.id, completions=0, medal_stock=season.medal_stock,
                medals_remaining=season.medal_stock, updated_at=now or utcnow()))
    except IntegrityError:
        pass  # created concurrently: fine


def approved_peaks(session: Session, climber_id: str, season: Season) -> set[str]:
    rows = session.execute(select(Photo.peak_code).where(
        Photo.climber_id == climber_id, Photo.season_id == season.id, Photo.status == "approved").distinct())
    return set(rows.scalars()) & set(season.peaks)


def on_approved(session: Session, platform: PeaksPlatform, photo: Photo, climber: Climber, season: Season,
                now: datetime) -> None:
    """A photo just became approved: announce it (consenting climbers only) and certify if complete."""
    if climber.gallery_consent:
        # Partners only ever see consenting climbers' photos, so only those are announced.
        notify_subscribers(session, platform, "photo.approved", {
            "id": photo.id, "peak": photo.peak_code, "season": photo.season_id,
            "approved_at": now.isoformat(), "display_name": climber.display_name})
    maybe_certify(session, platform, climber.id, season, now=now)


def maybe_certify(session: Session, platform: PeaksPlatform, climber_id: str, season: Season, *,
                  now: datetime | None = None) -> Certificate | None:
    """Issue the season certificate if every active peak is approved and none was issued yet.

    Runs inside the caller's transaction. Returns the new certificate, or None (not complete, or
    already certified).
    """
    now = now or platform.clock()
    advisory_lock(session, "peaks-climber", climber_id)  # re-entrant within the transaction
    existing = session.execute(select(Certificate.number).where(
        Certificate.climber_id == climber_id, Certificate.season_id == season.id)).first()
    if existing is not None or approved_peaks(session, climber_id, season) != set(season.peaks):
        return None
    ensure_counter(session, season, now)
    t = SeasonCounter.__table__
    c = t.c
    rank = session.execute(update(t).where(c.season_id == season.id)
                           .values(completions=c.completions + 1, updated_at=now)
                           .returning(c.completions)).scalar_one()
    medal = session.execute(update(t).where(c.season_id == season.id, c.medals_remaining > 0)
                            .values(medals_remaining=c.medals_remaining - 1)).rowcount == 1
    cert = Certificate(number=certificate_number(season.id, rank), climber_id=climber_id, season_id=season.id,
                       rank=rank, first_place=rank == 1, medal=medal, issued_at=now)
    session.add(cert)
    session.flush()
    climber = session.get(Climber, climber_id)
    notify_subscribers(session, platform, "certificate.issued", {
        "number": cert.number, "season": season.id, "rank": rank, "first_place": cert.first_place,
        "medal": medal, "issued_at": now.isoformat(),
        "display_name": climber.display_name if climber else None,
        "municipalities": [m.name_en for m in reference.municipalities().values()]})
    log.info("certificate issued", extra={"certificate": cert.number, "rank": rank, "medal": medal})
    return cert
