"""Photo submission: inspect → metadata → history → verdict → store → row, in one flow.

The CPU-heavy part (one reduced decode, EXIF, storing the original) runs before the transaction
opens, so decoding never holds the database write lock; the row, the certificate it may complete, the
counters and the outbox events then commit together or not at all, and files created for a row that
fails to commit are deleted again. Exact duplicates: the SHA-256 is locked (`"peaks-sha"`), so two
uploads of the same bytes at the same moment cannot both pass the "not seen before" check.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import and_, event, func, select
from sqlalchemy.orm import Session

from services.peaks.domain import exif, imaging, reference, verification
from services.peaks.domain.errors import FlowError, InputError
from services.peaks.domain.phash import closest
from services.peaks.domain.programme import resolve_peak
from services.peaks.domain.reference import Season
from services.peaks.domain.verification.signals import evidence_of
from services.peaks.flows.certification import on_approved
from services.peaks.flows.derivatives import DECODE_SLOTS, PENDING
from services.peaks.models import Climber, Photo
from services.peaks.photo_store import storage_of
from services.peaks.schemas import PhotoOut
from shared.db import advisory_lock
from shared.ids import new_id

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

log = logging.getLogger("services.peaks.flows.submission")


@dataclass(frozen=True)
class Prepared:
    """The CPU-heavy part of an upload, done before the transaction opens (and the stored original)."""

    facts: imaging.ImageFacts
    meta: exif.PhotoMetadata
    key: str  # the original's storage key
    created: tuple[str, ...]  # keys whose files this upload created (removed again if the row fails)


def submit(platform: PeaksPlatform, *, climber_id: str, peak: str, file: BinaryIO) -> PhotoOut:
    """Verify and store one summit photo read from `file`; the verdict with every check.

    The peak is checked before the file is read. InputError (nothing stored) for input that is
    not a usable photo; FlowError 401 if the climber is gone. A photo that is a real image but fails
    verification (wrong place, wrong time, duplicate…) is stored as `rejected` with every check, so
    the climber sees why.
    """
    now = platform.clock()
    resolve_peak(peak, reference.current_season(now))
    data = file.read(platform.settings.photo_max_bytes + 1)
    file.close()
    prepared = prepare_upload(platform, data)
    del data  # stored and described: the bytes are not needed for the transaction
    try:
        with platform.db.session() as s:
            climber = s.get(Climber, climber_id)
            if climber is None:
                raise FlowError(401, "unauthorized", "The climber token is not valid.")
            return PhotoOut.of(record(s, platform, climber=climber, peak_code=peak, prepared=prepared, now=now))
    except BaseException:
        discard(platform, prepared)
        raise


def inspect_upload(platform: PeaksPlatform, data: bytes) -> imaging.ImageFacts:
    """Checks and describes the upload from ONE 1/8-scale decode (`imaging.inspect`).

    The smallest JPEG draft scale (500x375 for a 4000x3000 photo) still runs the entropy decoder
    over every scan, so it proves the file is not truncated, and it feeds the perceptual hashes
    (pHash looks at 32x32). InputError naming `file` when it is not an acceptable image.
    """
    s = platform.settings
    try:
        return imaging.inspect(data, max_pixels=s.photo_max_pixels, max_bytes=s.photo_max_bytes,
                               decode_slot=DECODE_SLOTS)
    except imaging.ImageError as exc:
        status = {"unsupported_format": 415, "file_too_large": 413}.get(exc.code, 422)
        raise InputError("file", str(exc), status=status, code=exc.code.replace("_", "-")) from exc


def prepare_upload(platform: PeaksPlatform, data: bytes) -> Prepared:
    """Inspect, read metadata and store the original (atomically; keyed by the SHA-256 `inspect` already
    computed). The derivatives are made on first request (`flows.derivatives`), so the 201 never waits
    for them. If the following transaction fails, `discard` removes the file this created."""
    facts = inspect_upload(platform, data)
    meta = exif.read_photo_metadata(data)
    key, new = storage_of(platform).put_new(data, facts.sha256)
    return Prepared(facts, meta, key, (key,) if new else ())


def discard(platform: PeaksPlatform, prepared: Prepared) -> None:
    store = storage_of(platform)
    for k in prepared.created:
        store.delete(k)


def record(session: Session, platform: PeaksPlatform, *, climber: Climber, peak_code: str, prepared: Prepared,
           now: datetime) -> Photo:
    """The verdict and the photo row, inside the caller's transaction (its files go if it rolls back)."""
    season = reference.current_season(now)
    peak = resolve_peak(peak_code, season)
    assert season is not None
    _remove_on_rollback(session, platform, list(prepared.created))
    facts, meta = prepared.facts, prepared.meta
    advisory_lock(session, "peaks-climber", climber.id)
    advisory_lock(session, "peaks-sha", facts.sha256)
    day = verification.capture_day(meta, now)
    history = history_for(session, climber_id=climber.id, peak_code=peak.code, season=season, facts=facts, day=day)
    verdict = verification.verify(facts=facts, meta=meta, peak=peak, season=season,
                                  climber_birth_year=climber.birth_year, now=now, history=history)
    photo = Photo(
        id=new_id("pho"), climber_id=climber.id, peak_code=peak.code, season_id=season.id,
        status=verdict.verdict, score=verdict.score, checks=verification.checks_json(verdict),
        sha256=facts.sha256, phash=facts.phash, phash_mirror=facts.phash_mirror, format=facts.format,
        width=facts.width, height=facts.height, size_bytes=facts.size_bytes,
        storage_key=prepared.key, derivative_key=PENDING, thumb_key=PENDING,
        lat=meta.lat, lon=meta.lon, altitude_m=meta.altitude_m, taken_at=verification.capture_instant(meta),
        capture_day=day, evidence=evidence_of(meta), created_at=now, updated_at=now, version=1)
    session.add(photo)
    session.flush()
    if photo.status == "approved":
        on_approved(session, platform, photo, climber, season, now)
    log.info("photo verified", extra={"photo_id": photo.id, "peak": photo.peak_code, "verdict": photo.status,
                                      "score": photo.score})
    return photo


def nearest_other(session: Session, *, climber_id: str, peak_code: str, phash: str,
                  phash_mirror: str) -> tuple[int, bool] | None:
    """Smallest pHash distance (this photo or its mirror) to another climber's photo of the same peak.

    Reuse of a photo only helps a cheater at the same summit, so the candidates are that peak's
    photos (index `ix_photo_peak_status_created`); a popcount per row keeps this cheap.
    """
    rows = session.execute(select(Photo.phash).where(Photo.peak_code == peak_code,
                                                     Photo.climber_id != climber_id)).scalars()
    return closest(phash, phash_mirror, rows)


def history_for(session: Session, *, climber_id: str, peak_code: str, season: Season, facts: imaging.ImageFacts,
                day: date) -> verification.History:
    """What verification needs to know about earlier photos: two statements (the exact-duplicate,
    daily/monthly and already-approved questions share one round trip; near duplicates the other)."""
    mine = and_(Photo.climber_id == climber_id, Photo.season_id == season.id, Photo.status == "approved")
    month_start = day.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)

    def count(*where):
        return select(func.count()).select_from(Photo).where(mine, *where).scalar_subquery()

    exact, today, this_month, already = session.execute(select(
        select(Photo.id).where(Photo.sha256 == facts.sha256).exists(),
        count(Photo.capture_day == day),
        count(Photo.capture_day >= month_start, Photo.capture_day < next_month),
        select(Photo.id).where(mine, Photo.peak_code == peak_code).exists(),
    )).one()
    nearest = nearest_other(session, climber_id=climber_id, peak_code=peak_code, phash=facts.phash,
                            phash_mirror=facts.phash_mirror)
    return verification.History(exact_duplicate=bool(exact), nearest_distance=nearest[0] if nearest else None,
                                nearest_mirrored=bool(nearest and nearest[1]), approved_today=today or 0,
                                approved_this_month=this_month or 0, peak_already_approved=bool(already))


_FILES = "peaks_created_files"


def _remove_on_rollback(session: Session, platform: PeaksPlatform, keys: list[str]) -> None:
    """Files created for a row that then fails to commit are deleted again (no orphan files)."""
    if not keys:
        return
    if _FILES not in session.info:
        store = storage_of(platform)
        session.info[_FILES] = []

        def cleanup(_session: Session, previous: Any) -> None:
            if getattr(previous, "parent", None) is not None:
                return  # a savepoint rolled back; the outer transaction (and the row) may still commit
            for k in _session.info.get(_FILES, ()):
                store.delete(k)
            _session.info[_FILES] = []

        def committed(_session: Session) -> None:
            _session.info[_FILES] = []

        event.listen(session, "after_soft_rollback", cleanup)
        event.listen(session, "after_commit", committed)
    session.info[_FILES].extend(keys)
