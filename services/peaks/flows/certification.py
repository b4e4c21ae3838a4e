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

Award review: the certificate is always issued at once; its medal and first-place award are granted at
once too unless the completing set shows signals of forgery or scripting (`domain.verification.signals`,
rules in `data/award_review.json`): then they are held for Ulju-gun's review (`flows.awards`). A held medal
is taken from the stock at completion, so finishers keep their first-come order, and given back if refused.
First place is taken while a certificate of the season has it granted or any certificate is held (a refused
first place passes to the next finisher, see `flows.awards`), so rank 1 being held never makes two winners.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.peaks.domain import reference
from services.peaks.domain.programme import certificate_number, medal_inscription, new_certificate_id
from services.peaks.domain.reference import Season
from services.peaks.domain.verification import signals
from services.peaks.flows.events import certificate_facts, notify_subscribers
from services.peaks.models import Certificate, Climber, Photo, SeasonCounter
from shared.db import advisory_lock

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

log = logging.getLogger("services.peaks.flows.certification")


def ensure_counter(session: Session, season: Season, now: datetime) -> None:
    """The season's counter row (created at seed time; created here if a new season appeared), stamped
    `now` (the service clock's time)."""
    if session.get(SeasonCounter, season.id) is not None:
        return
    try:
        with session.begin_nested():
            session.execute(insert(SeasonCounter).values(
                season_id=season.id, completions=0, medal_stock=season.finite_medal_stock,
                medals_remaining=season.finite_medal_stock, updated_at=now))
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
    advisory_lock(session, "peaks-awards", season.id)  # against a refusal passing first place on (flows.awards)
    due = [k for k, v in (("medal", _take_medal(session, season)),
                          ("first_place", not _first_place_taken(session, season.id))) if v]
    climber = session.get(Climber, climber_id)
    assert climber is not None
    found = signals_of(session, climber, season) if due else []
    held = bool(found)
    cert = Certificate(number=certificate_number(season.id, rank), id=new_certificate_id(), climber_id=climber_id,
                       season_id=season.id, rank=rank, first_place="first_place" in due and not held,
                       medal="medal" in due and not held, award_status="held" if held else "granted" if due else "none",
                       award_due=due or None, award_signals=signals.signals_json(found) if held else None,
                       medal_inscription=medal_inscription() if "medal" in due else None, issued_at=now)
    session.add(cert)
    session.flush()
    notify_subscribers(session, platform, "certificate.issued", {
        **certificate_facts(cert, climber), "issued_at": now.isoformat(),
        "municipalities": [m.name_en for m in reference.municipalities().values()]})
    log.info("certificate issued", extra={"certificate": cert.number, "rank": rank, "award": cert.award_status})
    return cert


def _take_medal(session: Session, season: Season) -> bool:
    """One medal for this finisher: always when the stock is unlimited, else while the stock lasts."""
    if not season.awards_medals:
        return False
    if season.finite_medal_stock is None:
        return True
    t = SeasonCounter.__table__
    c = t.c
    return session.execute(update(t).where(c.season_id == season.id, c.medals_remaining > 0)
                           .values(medals_remaining=c.medals_remaining - 1)).rowcount == 1


def _first_place_taken(session: Session, season_id: str) -> bool:
    """A certificate of the season has first place granted, or one is held (first place waits with it)."""
    return session.execute(select(Certificate.number).where(
        Certificate.season_id == season_id,
        or_(Certificate.first_place.is_(True), Certificate.award_status == "held")).limit(1)).first() is not None


def signals_of(session: Session, climber: Climber, season: Season) -> list[signals.Signal]:
    """The award-review signals of the climber's completing set (the first approved photo of each peak)."""
    rows = session.execute(select(Photo.peak_code, Photo.evidence, Photo.taken_at, Photo.created_at, Photo.checks)
                           .where(Photo.climber_id == climber.id, Photo.season_id == season.id,
                                  Photo.status == "approved", Photo.peak_code.in_(season.peaks))
                           .order_by(Photo.created_at, Photo.id)).all()
    first: dict[str, Any] = {}
    for r in rows:
        first.setdefault(r.peak_code, r)
    evidence = [_evidence(r) for r in first.values()]
    return signals.evaluate(evidence, _registrations_from_client(session, climber),
                            earlier_climbs_count=season.capture_from is None)


def _evidence(row: Any) -> signals.PhotoEvidence:
    ev = row.evidence or {}
    distance = next((c.get("details", {}).get("distance_m") for c in row.checks or () if c.get("code") == "distance"),
                    None)
    return signals.PhotoEvidence(make=ev.get("make"), model=ev.get("model"), maker_note=bool(ev.get("maker_note")),
                                 thumbnail=bool(ev.get("thumbnail")), taken_at=row.taken_at,
                                 uploaded_at=row.created_at, distance_m=distance)


def _registrations_from_client(session: Session, climber: Climber) -> int | None:
    """Climbers registered by the same client within the rule's window of this climber's registration."""
    if climber.client_hash is None:
        return None
    window = timedelta(hours=signals.client_window_hours())
    return session.scalar(select(func.count()).select_from(Climber).where(
        Climber.client_hash == climber.client_hash, Climber.created_at >= climber.created_at - window,
        Climber.created_at <= climber.created_at + window)) or 0
