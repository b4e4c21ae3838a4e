"""Data of the peaks trainer pages: plain reads of the service's tables and reference data.

Everything returned here may be shown on a public page unless a function says otherwise
(`verdict`, `progress` and `review_queue` are for the climber or staff, behind their routes' auth).
Public views carry display names only: never contact, birth year, address or GPS position.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from services.peaks import photos, reference, service_clock
from services.peaks.models import Certificate, Climber, GalleryView, Photo, SeasonCounter
from services.peaks.reference import KST

try:  # the gallery / open API module: public media URLs and the view counter (one upsert)
    from services.peaks import gallery as _gallery
    from services.peaks.open_api import media_path as _media_path
except ImportError:  # pragma: no cover - built in parallel; the pages then serve derivatives themselves
    _gallery = None
    _media_path = None

GALLERY_PAGE = 48
REVIEW_MAX = 50
VIEW_DAYS = 30
CERT_LIST_MAX = 100

CHECK_LABELS = {
    "format": "Accepted format and size", "decodable": "Decodable, not a decompression bomb",
    "exif_present": "EXIF metadata present", "gps_present": "GPS position present",
    "distance": "Distance to the summit", "altitude": "Altitude plausible",
    "capture_in_season": "Taken inside the season", "capture_not_future": "Not taken in the future",
    "time_consistent": "Camera time agrees with GPS time", "peak_active": "Peak counts this season",
    "exact_duplicate": "Not an exact duplicate", "near_duplicate": "Not a near-duplicate of another climber's photo",
    "daily_limit": "Per-day limit", "monthly_limit": "Per-month limit", "min_age": "Minimum age",
    "peak_not_yet_certified": "Peak not certified yet", "season_open": "Season open",
    "sign_visible": "Certification sign visible",
}
RESULT_WORDS = {"pass": "passed", "fail": "failed", "warn": "needs a person", "skip": "not checked"}
RESULT_ICONS = {"pass": "✓", "fail": "✗", "warn": "!", "skip": "–"}
VERDICT_WORDS = {"approved": "Approved", "needs_review": "Needs review", "rejected": "Rejected"}


def platform_of(request: Any) -> Any:
    return request.app.state.platform


def now(platform: Any) -> datetime:
    return photos.now_of(platform)


def clock_reading(request: Any) -> service_clock.Reading:
    """Which day the service believes it is and why (the banner of every page; see `service_clock`)."""
    return service_clock.reading_of(platform_of(request))


def local(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A timestamp in Korea Standard Time (how the programme counts days)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.astimezone(KST).strftime(fmt) + " KST"


def peak_view(p: reference.Peak, season: reference.Season | None = None) -> dict[str, Any]:
    return {"code": p.code, "en": p.name_en, "ko": p.name_ko, "elevation_m": p.elevation_m,
            "radius_m": p.radius_m, "approximate": p.approximate,
            "municipalities": [municipality_view(m) for m in p.municipalities],
            "active": bool(season and season.is_active(p.code))}


def municipality_view(code: str) -> dict[str, str]:
    m = reference.municipalities().get(code)
    if m is None:
        return {"code": code, "en": code, "ko": "", "role": ""}
    return {"code": m.code, "en": m.name_en, "ko": m.name_ko, "role": m.role,
            "province_en": m.province_en, "province_ko": m.province_ko}


def season_of(platform: Any) -> reference.Season | None:
    return reference.current_season(now(platform))


def display_season(platform: Any) -> reference.Season:
    """The open season, else the latest one that has started (pages never go blank between seasons)."""
    today = now(platform).astimezone(KST).date()
    started = [s for s in reference.seasons() if s.start_date <= today]
    return season_of(platform) or (started[-1] if started else reference.seasons()[0])


def all_peaks(season: reference.Season | None) -> list[dict[str, Any]]:
    return [peak_view(p, season) for p in reference.peaks().values()]


def peak_label(code: str) -> dict[str, str]:
    p = reference.peaks().get(code)
    return {"code": code, "en": p.name_en if p else code, "ko": p.name_ko if p else ""}


# ---- live-update versions (polled once a second per open stream) -----------------------------------

def photos_version(platform: Any) -> tuple[int, int, int]:
    """Changes on every upload, review decision and certificate (whichever process made it)."""
    with platform.db.read_session() as s:
        count, versions = s.execute(select(func.count(), func.coalesce(func.sum(Photo.version), 0))).one()
        certs = s.scalar(select(func.count()).select_from(Certificate)) or 0
    return int(count), int(versions), int(certs)


# ---- the climb page: the verdict of one photo ---------------------------------------------------------

def verdict(photo: Photo) -> dict[str, Any]:
    """A photo's verdict as its climber (or a reviewer) sees it: every check with its reason."""
    checks = [{"code": c.get("code", ""), "label": CHECK_LABELS.get(c.get("code", ""), c.get("code", "")),
               "result": c.get("result", ""), "word": RESULT_WORDS.get(c.get("result", ""), c.get("result", "")),
               "icon": RESULT_ICONS.get(c.get("result", ""), ""), "reason": c.get("reason", "")}
              for c in (photo.checks or [])]
    return {"id": photo.id, "peak": peak_label(photo.peak_code), "season": photo.season_id,
            "verdict": photo.status, "verdict_word": VERDICT_WORDS.get(photo.status, photo.status),
            "score": photo.score, "checks": checks,
            "counts": {r: sum(1 for c in checks if c["result"] == r) for r in ("pass", "warn", "fail", "skip")},
            "taken_at": local(photo.taken_at), "submitted_at": local(photo.created_at),
            "reviewed_by": photo.reviewed_by, "review_reason": photo.review_reason,
            "reviewed_at": local(photo.reviewed_at), "image_url": f"/v1/photos/{photo.id}/image?size=thumb",
            "size": f"{photo.width}×{photo.height}", "format": photo.format.upper()}


# ---- progress ----------------------------------------------------------------------------------------

RIDGE_W, RIDGE_H, RIDGE_BASE = 900, 230, 200


def progress(session: Any, climber: Climber, season: reference.Season) -> dict[str, Any]:
    """The climber's state on each of the nine peaks, laid out as a ridge (west → east by longitude)."""
    data = photos.progress(session, climber.id, season)
    done, pending = set(data["done"]), set(data["pending"])
    ordered = sorted(reference.peaks().values(), key=lambda p: p.lon)
    lo = min(p.elevation_m for p in ordered) - 300
    hi = max(p.elevation_m for p in ordered)
    step = RIDGE_W / len(ordered)
    items = []
    for i, p in enumerate(ordered):
        state = ("done" if p.code in done else "pending" if p.code in pending
                 else "remaining" if season.is_active(p.code) else "inactive")
        x = step * (i + 0.5)
        top = RIDGE_BASE - (p.elevation_m - lo) / (hi - lo) * 150
        items.append({**peak_view(p, season), "state": state, "x": round(x, 1), "top": round(top, 1),
                      "left": round(x - step * 0.48, 1), "right": round(x + step * 0.48, 1)})
    cert = data["certificate"]
    return {"climber": {"id": climber.id, "display_name": climber.display_name}, "season": season.id,
            "peaks": items, "done": len(done), "pending": len(pending), "total": data["peaks_total"],
            "remaining": len(data["remaining"]), "complete": data["complete"], "certificate": cert,
            "width": RIDGE_W, "height": RIDGE_H, "base": RIDGE_BASE,
            "issued_at": local(cert["issued_at"]) if cert else ""}


# ---- gallery -----------------------------------------------------------------------------------------

def gallery(session: Any, peak: str = "", limit: int = GALLERY_PAGE) -> list[dict[str, Any]]:
    """Approved photos of consenting climbers, newest first: display name, peak, capture day only."""
    q = (select(Photo.id, Photo.peak_code, Photo.capture_day, Photo.updated_at, Photo.sha256,
                Climber.display_name)
         .join(Climber, Climber.id == Photo.climber_id)
         .where(Photo.status == "approved", Climber.gallery_consent.is_(True)))
    if peak:
        q = q.where(Photo.peak_code == peak)
    rows = session.execute(q.order_by(Photo.updated_at.desc(), Photo.id.desc()).limit(limit)).all()
    return [{"id": r.id, "peak": peak_label(r.peak_code), "day": r.capture_day.isoformat(),
             "display_name": r.display_name, **media_urls(r.id, r.sha256)} for r in rows]


def media_urls(photo_id: str, sha256: str) -> dict[str, str]:
    """EXIF-free derivative URLs: the gallery API's immutable media URLs, else this UI's own route."""
    if _media_path is not None:
        return {"thumb": _media_path(photo_id, "thumb", sha256), "display": _media_path(photo_id, "display", sha256)}
    return {"thumb": f"/ui/gallery/images/{photo_id}?size=thumb", "display": f"/ui/gallery/images/{photo_id}"}


def gallery_image_key(session: Any, photo_id: str, size: str) -> str | None:
    """Store key of an EXIF-free derivative, only for a photo the public gallery shows ("" = not made
    yet: `photos.derivative_key` makes it)."""
    row = session.execute(select(Photo.derivative_key, Photo.thumb_key).join(Climber, Climber.id == Photo.climber_id)
                          .where(Photo.id == photo_id, Photo.status == "approved",
                                 Climber.gallery_consent.is_(True))).first()
    if row is None:
        return None
    return row.thumb_key if size == "thumb" else row.derivative_key


def count_gallery_view(platform: Any) -> None:
    """One gallery page view on today's KST date (the case's headline figure)."""
    day = now(platform).astimezone(KST).date()
    with platform.db.session() as s:
        if _gallery is not None:
            _gallery.count_view(s, day)
            return
        n = s.execute(update(GalleryView).where(GalleryView.day == day)
                      .values(count=GalleryView.count + 1)).rowcount
        if n:
            return
        try:
            with s.begin_nested():
                s.execute(insert(GalleryView).values(day=day, count=1))
        except IntegrityError:  # another request created today's row first
            s.execute(update(GalleryView).where(GalleryView.day == day).values(count=GalleryView.count + 1))


# ---- statistics --------------------------------------------------------------------------------------

def statistics(platform: Any, session: Any) -> dict[str, Any]:
    season = display_season(platform)
    in_season = Photo.season_id == season.id
    participants = session.scalar(select(func.count(func.distinct(Photo.climber_id))).where(in_season)) or 0
    registered = session.scalar(select(func.count()).select_from(Climber)) or 0
    counter = session.get(SeasonCounter, season.id)
    completions = session.scalar(select(func.count()).select_from(Certificate)
                                 .where(Certificate.season_id == season.id)) or 0
    by_peak = dict(session.execute(select(Photo.peak_code, func.count())
                                   .where(in_season, Photo.status == "approved").group_by(Photo.peak_code)).all())
    verdicts = dict(session.execute(select(Photo.status, func.count()).where(in_season)
                                    .group_by(Photo.status)).all())
    today = now(platform).astimezone(KST).date()
    first = today - timedelta(days=VIEW_DAYS - 1)
    views = dict(session.execute(select(GalleryView.day, GalleryView.count).where(GalleryView.day >= first)).all())
    days = [first + timedelta(days=i) for i in range(VIEW_DAYS)]
    return {
        "season": season.id, "participants": participants, "registered": registered, "completions": completions,
        "medal_stock": counter.medal_stock if counter else season.medal_stock,
        "medals_remaining": counter.medals_remaining if counter else season.medal_stock,
        "approvals": [(f"{p.name_en} {p.name_ko}", by_peak.get(p.code, 0)) for p in reference.peaks().values()
                      if season.is_active(p.code) or by_peak.get(p.code)],
        "verdicts": [(VERDICT_WORDS[k], verdicts.get(k, 0)) for k in ("approved", "needs_review", "rejected")],
        "views": [(d.strftime("%m-%d"), _view_count(views, d)) for d in days],
        "views_total": sum(views.values()), "views_today": _view_count(views, today),
    }


def _view_count(views: dict[Any, int], day: date) -> int:
    return int(views.get(day, 0))


# ---- review queue ------------------------------------------------------------------------------------

def review_queue(platform: Any, session: Any, party: str) -> dict[str, Any]:
    """Photos waiting for review in the party's territory (every peak for Ulju-gun), oldest first."""
    operator = platform.parties.operator
    peaks = [c for c in reference.peaks() if photos.can_review(party, c, operator)]
    rows = session.execute(select(Photo, Climber.display_name).join(Climber, Climber.id == Photo.climber_id)
                           .where(Photo.status == "needs_review", Photo.peak_code.in_(peaks))
                           .order_by(Photo.created_at, Photo.id).limit(REVIEW_MAX)).all()
    total = session.scalar(select(func.count()).select_from(Photo)
                           .where(Photo.status == "needs_review", Photo.peak_code.in_(peaks))) or 0
    return {"party": party, "party_view": municipality_view(party), "territory": [peak_label(c) for c in peaks],
            "everywhere": party == operator, "total": total,
            "photos": [{**verdict(ph), "display_name": name} for ph, name in rows]}


# ---- certificates ------------------------------------------------------------------------------------

def verification_url(base_url: str, number: str) -> str:
    return f"{base_url.rstrip('/')}/v1/certificates/{number}"


def certificates(session: Any, limit: int = CERT_LIST_MAX) -> list[dict[str, Any]]:
    rows = session.execute(select(Certificate.number, Certificate.rank, Certificate.season_id, Certificate.issued_at,
                                  Certificate.first_place, Climber.display_name)
                           .join(Climber, Climber.id == Certificate.climber_id)
                           .order_by(Certificate.issued_at.desc(), Certificate.number.desc()).limit(limit)).all()
    return [{"number": r.number, "rank": r.rank, "season": r.season_id, "issued_at": local(r.issued_at, "%Y-%m-%d"),
             "first_place": r.first_place, "display_name": r.display_name} for r in rows]


def certificate(base_url: str, session: Any, number: str) -> dict[str, Any] | None:
    """What the public verification shows: no personal data beyond the display name."""
    row = session.execute(select(Certificate, Climber.display_name).join(Climber, Climber.id == Certificate.climber_id)
                          .where(Certificate.number == number)).first()
    if row is None:
        return None
    cert, name = row
    season = reference.season(cert.season_id)
    peak_rows = session.execute(select(Photo.peak_code, func.min(Photo.capture_day))
                                .where(Photo.climber_id == cert.climber_id, Photo.season_id == cert.season_id,
                                       Photo.status == "approved").group_by(Photo.peak_code)).all()
    days = dict(peak_rows)
    return {"number": cert.number, "rank": cert.rank, "season": cert.season_id, "first_place": cert.first_place,
            "medal": cert.medal, "issued_at": local(cert.issued_at), "display_name": name,
            "peaks": [{**peak_label(c), "day": days[c].isoformat() if c in days else ""} for c in season.peaks],
            "municipalities": [municipality_view(c) for c in reference.municipalities()],
            "verification_url": verification_url(base_url, cert.number),
            "pdf_url": f"/v1/certificates/{cert.number}.pdf"}


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (segno), scaled by CSS; dark modules on white for any scanner."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff",
                                                  omitsize=True, title=f"QR code: {url}")
