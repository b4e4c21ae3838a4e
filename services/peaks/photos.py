"""Photo flows: submission (inspect → metadata → history → verdict → store → row), review, certification.

Plain functions taking a Session and the platform; the caller owns the transaction
(`with platform.db.session() as s:`), so the photo row, the certificate, the counters and the
outbox events commit together or not at all.

Concurrency (the design in one place):
  * Every flow that can change a climber's set of approved peaks first takes the climber's
    lock (`advisory_lock("peaks-climber", id)`: a PostgreSQL transaction advisory lock; on
    SQLite writers are already serialised by BEGIN IMMEDIATE). So when the last two photos are
    approved at the same moment, the second waits, then sees the first one's approval, and
    `maybe_certify` runs with the full picture exactly once per completion.
  * A certificate is unique per (climber, season) in the schema as the last line of defence.
  * Ranks and medals come from one `season_counter` row per season, changed only by single
    atomic UPDATEs (`completions = completions + 1`, and `medals_remaining - 1 WHERE
    medals_remaining > 0`). The UPDATE row lock serialises finishers of the same season, and
    PostgreSQL re-checks the WHERE after waiting, so two simultaneous finishers can never both
    take the last medal, nor share a rank.
  * Exact duplicates: the SHA-256 is locked too (`"peaks-sha"`), so two uploads of the same
    bytes at the same moment cannot both pass the "not seen before" check.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.peaks import exif, imaging, reference, verification
from services.peaks.events import notify_subscribers
from services.peaks.intake import make_derivatives
from services.peaks.models import Certificate, Climber, Photo, SeasonCounter
from services.peaks.reference import KST, Peak, Season
from services.peaks.storage import storage_of
from services.peaks.verdict import History, Verdict
from shared.db import advisory_lock, utcnow
from shared.ids import new_id

log = logging.getLogger("services.peaks.photos")


class PhotoInputError(ValueError):
    """A request the flow refuses before anything is stored; `field` names the input to fix."""

    def __init__(self, field: str, message: str, *, status: int = 422, code: str = "validation-error"):
        super().__init__(message)
        self.field, self.message, self.status, self.code = field, message, status, code


class FlowError(Exception):
    """A refusal with an HTTP-like status and a stable slug (the route turns it into a Problem)."""

    def __init__(self, status: int, slug: str, detail: str):
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail


# --------------------------------------------------------------------------- clock


def clock(platform) -> Callable[[], datetime]:
    """The service clock (tests put a fixed one in `platform.state["clock"]`)."""
    return platform.state.get("clock") or utcnow


def now_of(platform) -> datetime:
    return clock(platform)()


# --------------------------------------------------------------------------- lookups


def resolve_peak(name: str, season: Season | None) -> Peak:
    """The peak named by code, name or alias, active in `season`; PhotoInputError naming `peak` otherwise."""
    peak = reference.find_peak(name or "")
    if peak is None:
        known = ", ".join(reference.peaks())
        raise PhotoInputError("peak", f"unknown peak {name!r}; use one of: {known} (or a name or alias)")
    if season is None:
        raise PhotoInputError("peak", "no certification season is open today; photos cannot be submitted",
                              status=409, code="season-closed")
    if not season.is_active(peak.code):
        raise PhotoInputError(
            "peak", f"{peak.name_en} ({peak.code}) is not part of the {season.id} season; "
                    f"active peaks: {', '.join(season.peaks)}", code="peak-inactive")
    return peak


def _hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def nearest_other(session: Session, *, climber_id: str, peak_code: str, phash: str,
                  phash_mirror: str) -> tuple[int, bool] | None:
    """Smallest pHash distance (this photo or its mirror) to another climber's photo of the same peak.

    Reuse of a photo only helps a cheater at the same summit, so the candidates are that peak's
    photos (index `ix_photo_peak_status_created`); a popcount per row keeps this cheap.
    """
    rows = session.execute(select(Photo.phash).where(Photo.peak_code == peak_code,
                                                     Photo.climber_id != climber_id)).scalars()
    best: tuple[int, bool] | None = None
    mine, mirror = int(phash, 16), int(phash_mirror, 16)
    for other in rows:
        o = int(other, 16)
        for cand, mirrored in ((mine, False), (mirror, True)):
            d = (cand ^ o).bit_count()
            if best is None or d < best[0]:
                best = (d, mirrored)
        if best is not None and best[0] == 0:
            break
    return best


def history_for(session: Session, *, climber_id: str, peak_code: str, season: Season, facts: imaging.ImageFacts,
                day: date) -> History:
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
    return History(exact_duplicate=bool(exact), nearest_distance=nearest[0] if nearest else None,
                   nearest_mirrored=bool(nearest and nearest[1]), approved_today=today or 0,
                   approved_this_month=this_month or 0, peak_already_approved=bool(already))


# --------------------------------------------------------------------------- files


_FILES = "peaks_created_files"


def _remove_on_rollback(session: Session, platform, keys: list[str]) -> None:
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


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


# Decoding is CPU-bound and runs without the GIL, so more decodes at once than cores only add memory
# (each holds libjpeg's buffers and its reduced image) and cache thrashing; uploads in excess wait
# here, holding nothing but their bytes, instead of all decoding at once (the thread pool is 40).
_DECODE_SLOTS = threading.BoundedSemaphore(_cores())


def inspect_upload(platform, data: bytes) -> imaging.ImageFacts:
    """Checks and describes the upload from ONE 1/8-scale decode (`imaging.inspect`).

    The smallest JPEG draft scale (500x375 for a 4000x3000 photo) still runs the entropy decoder
    over every scan, so it proves the file is not truncated, and it feeds the perceptual hashes
    (pHash looks at 32x32). The derivatives are not made here: see `ensure_derivatives`.
    PhotoInputError naming `file` with the reason when it is not an acceptable image.
    """
    s = platform.settings
    try:
        return imaging.inspect(data, max_pixels=s.photo_max_pixels, max_bytes=s.photo_max_bytes,
                               decode_slot=_DECODE_SLOTS)
    except imaging.ImageError as exc:
        status = {"unsupported_format": 415, "file_too_large": 413}.get(exc.code, 422)
        raise PhotoInputError("file", str(exc), status=status, code=exc.code.replace("_", "-")) from exc


# --------------------------------------------------------------------------- submission


@dataclass(frozen=True)
class Prepared:
    """The CPU-heavy part of an upload, done before the transaction opens (and the stored original)."""

    facts: imaging.ImageFacts
    meta: exif.PhotoMetadata
    key: str  # the original's storage key
    created: tuple[str, ...]  # keys whose files this upload created (removed again if the row fails)


def prepare_upload(platform, data: bytes) -> Prepared:
    """Inspect (PhotoInputError naming `file` if it is not an acceptable image), read metadata and
    store the original (atomically; keyed by the SHA-256 `inspect` already computed).

    Runs outside any transaction so decoding never holds the database write lock. If the
    following transaction fails, `discard(platform, prepared)` removes the file it created.
    The display and thumbnail derivatives are made on first request (`ensure_derivatives`),
    so the 201 never waits for them and photos nobody looks at never pay for them.
    """
    facts = inspect_upload(platform, data)
    meta = exif.read_photo_metadata(data)
    key, new = storage_of(platform).put_new(data, facts.sha256)
    return Prepared(facts, meta, key, (key,) if new else ())


def discard(platform, prepared: Prepared | None) -> None:
    if prepared is not None:
        store = storage_of(platform)
        for k in prepared.created:
            store.delete(k)


# --------------------------------------------------------------------------- derivatives

# `derivative_key` / `thumb_key` of a photo whose derivatives are not made yet.
PENDING = ""
_DERIVE_LOCKS = tuple(threading.Lock() for _ in range(64))


def _derivative_keys(platform, photo_id: str):
    with platform.db.read_session() as s:
        return s.execute(select(Photo.storage_key, Photo.derivative_key, Photo.thumb_key)
                         .where(Photo.id == photo_id)).first()


def ensure_derivatives(platform, photo_id: str) -> tuple[str, str] | None:
    """(display key, thumbnail key) of a photo, making and storing them on first use; None: no photo.

    Lazy by design: the upload answers without them. The first request of a photo's image decodes
    the stored original once at reduced scale (`intake.make_derivatives`: upright, rebuilt from raw
    pixels so no EXIF/GPS/XMP/ICC survives), stores both content-addressed (atomic, idempotent)
    and records the keys on the row in its own small transaction, only where they are still
    PENDING. Concurrent first requests are safe: in one process a striped lock makes the others
    wait and reuse the result; across processes both make the same bytes (same keys), and the
    conditional UPDATE keeps whichever committed first. The original is never returned.
    Raises StorageError if the original is missing from the store.
    """
    row = _derivative_keys(platform, photo_id)
    if row is None:
        return None
    if row.derivative_key and row.thumb_key:
        return row.derivative_key, row.thumb_key
    with _DERIVE_LOCKS[hash(photo_id) % len(_DERIVE_LOCKS)]:
        row = _derivative_keys(platform, photo_id)  # another thread may have made them meanwhile
        if row is None:
            return None
        if row.derivative_key and row.thumb_key:
            return row.derivative_key, row.thumb_key
        store = storage_of(platform)
        st = platform.settings
        original = store.get(row.storage_key)
        with _DECODE_SLOTS:
            derived = make_derivatives(original, display_side=st.display_side,
                                       thumb_side=st.thumb_side, max_pixels=st.photo_max_pixels)
        del original
        display, thumb = store.put(derived.display), store.put(derived.thumb)
        with platform.db.session() as s:
            s.execute(update(Photo).where(Photo.id == photo_id,
                                          or_(Photo.derivative_key == PENDING, Photo.thumb_key == PENDING))
                      .values(derivative_key=display, thumb_key=thumb))
        row = _derivative_keys(platform, photo_id)
        return (row.derivative_key, row.thumb_key) if row is not None else None


def derivative_key(platform, photo_id: str, size: str, known: str | None) -> str | None:
    """The storage key of a photo's `size` ("display" | "thumb") derivative, made now if PENDING."""
    if known:
        return known
    keys = ensure_derivatives(platform, photo_id)
    if keys is None:
        return None
    return keys[0] if size == "display" else keys[1]


def submit_photo(session: Session, platform, *, climber: Climber, peak_code: str, data: bytes | None = None,
                 now: datetime, prepared: Prepared | None = None) -> Photo:
    """Verify and store one summit photo; PhotoInputError (nothing stored) for input that is not a photo.

    A photo that is a real image but fails verification (wrong place, wrong time, duplicate…) is
    stored with status `rejected` and every check, so the climber sees why. Pass `prepared`
    (from `prepare_upload`, done outside the transaction) to keep decoding out of the lock;
    its files are removed if this transaction rolls back. One of `data` and `prepared` is required.
    """
    season = reference.current_season(now)
    peak = resolve_peak(peak_code, season)
    assert season is not None
    if prepared is None:
        if data is None:
            raise ValueError("submit_photo needs the photo's bytes or their prepared upload")
        prepared = prepare_upload(platform, data)
    _remove_on_rollback(session, platform, list(prepared.created))
    facts, meta = prepared.facts, prepared.meta
    advisory_lock(session, "peaks-climber", climber.id)
    advisory_lock(session, "peaks-sha", facts.sha256)
    day = verification.capture_day(meta, now)
    history = history_for(session, climber_id=climber.id, peak_code=peak.code, season=season, facts=facts, day=day)
    verdict = verification.verify(facts=facts, meta=meta, peak=peak, season=season,
                                  climber_birth_year=climber.birth_year, now=now, history=history)
    taken = verification.capture_instant(meta)
    photo = Photo(
        id=new_id("pho"), climber_id=climber.id, peak_code=peak.code, season_id=season.id,
        status=verdict.verdict, score=verdict.score, checks=checks_json(verdict),
        sha256=facts.sha256, phash=facts.phash, phash_mirror=facts.phash_mirror, format=facts.format,
        width=facts.width, height=facts.height, size_bytes=facts.size_bytes,
        storage_key=prepared.key, derivative_key=PENDING, thumb_key=PENDING,
        lat=meta.lat, lon=meta.lon, altitude_m=meta.altitude_m, taken_at=taken, capture_day=day,
        created_at=now, updated_at=now, version=1)
    session.add(photo)
    session.flush()
    if photo.status == "approved":
        _on_approved(session, platform, photo, climber, season, now)
    log.info("photo verified", extra={"photo_id": photo.id, "peak": photo.peak_code, "verdict": photo.status,
                                      "score": photo.score})
    return photo


def checks_json(verdict: Verdict) -> list[dict[str, Any]]:
    return [{"code": c.code, "result": c.result, "reason": c.reason, "details": _jsonable(dict(c.details))}
            for c in verdict.checks]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _on_approved(session: Session, platform, photo: Photo, climber: Climber, season: Season,
                 now: datetime) -> None:
    if climber.gallery_consent:
        # Partners only ever see consenting climbers' photos, so only those are announced.
        notify_subscribers(session, platform, "photo.approved", {
            "id": photo.id, "peak": photo.peak_code, "season": photo.season_id,
            "approved_at": now.isoformat(), "display_name": climber.display_name})
    maybe_certify(session, platform, climber.id, season, now=now)


# --------------------------------------------------------------------------- review


def can_review(party: str, peak_code: str, operator: str) -> bool:
    """Ulju-gun reviews every peak; a partner only the peaks in its territory."""
    peak = reference.peaks().get(peak_code)
    return party == operator or (peak is not None and party in peak.municipalities)


def review_photo(session: Session, platform, *, photo_id: str, party: str, decision: str, reason: str,
                 now: datetime) -> Photo:
    """Approve or reject a photo waiting for review; the climber then sees the decision and the reason.

    Ulju-gun may also overturn a rejection (an appeal); an approved photo is final.
    """
    if decision not in ("approve", "reject"):
        raise FlowError(422, "validation-error", "decision must be 'approve' or 'reject'")
    head = session.execute(select(Photo.climber_id, Photo.peak_code).where(Photo.id == photo_id)).first()
    if head is None:
        raise FlowError(404, "not-found", f"No photo {photo_id}.")
    operator = platform.parties.operator
    if not can_review(party, head.peak_code, operator):
        raise FlowError(403, "forbidden", f"Party '{party}' reviews only photos of peaks in its territory; "
                                          f"{head.peak_code} is not one of them.")
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
        _on_approved(session, platform, photo, climber, season, now)
    log.info("photo reviewed", extra={"photo_id": photo.id, "party": party, "verdict": new_status})
    return photo


# --------------------------------------------------------------------------- certification


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


def maybe_certify(session: Session, platform, climber_id: str, season: Season, *,
                  now: datetime | None = None) -> Certificate | None:
    """Issue the season certificate if every active peak is approved and none was issued yet.

    Returns the new certificate, or None (not complete, or already certified).
    """
    now = now or now_of(platform)
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


def certificate_number(season_id: str, rank: int) -> str:
    return f"YA-{season_id}-{rank:06d}"


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
            "number": cert.number, "rank": cert.rank, "first_place": cert.first_place, "medal": cert.medal,
            "issued_at": cert.issued_at.astimezone(KST).isoformat()},
    }
