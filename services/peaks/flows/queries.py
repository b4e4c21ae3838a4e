"""Read models of the peaks trainer pages: each function reads in its own read transaction and returns
plain dicts shaped by `domain.display`.

Everything returned here may be shown on a public page unless a function says otherwise
(`photo_verdict`, `climber_progress` and `review_queue` are for the climber or staff, behind their
routes' auth). Public views carry display names only: never contact, birth year, address or GPS position.
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from services.peaks.domain import display, reference
from services.peaks.domain.display import VERDICT_WORDS, local, municipality_view, peak_label
from services.peaks.domain.errors import FlowError
from services.peaks.domain.open_data import media_path
from services.peaks.domain.programme import can_review, is_certificate_id, review_territory
from services.peaks.domain.reference import KST
from services.peaks.flows.awards import held as held_awards
from services.peaks.flows.derivatives import derivative_bytes
from services.peaks.flows.progress import progress
from services.peaks.models import Certificate, Climber, GalleryView, Photo, SeasonCounter

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

GALLERY_PAGE = 48
REVIEW_MAX = 50
VIEW_DAYS = 30
CERT_LIST_MAX = 100


def season_of(platform: PeaksPlatform) -> reference.Season | None:
    return reference.current_season(platform.clock())


def display_season(platform: PeaksPlatform) -> reference.Season:
    """The open season, else the latest one that has started (pages never go blank between seasons)."""
    today = platform.clock().astimezone(KST).date()
    started = [s for s in reference.seasons() if s.start_date <= today]
    return season_of(platform) or (started[-1] if started else reference.seasons()[0])


def photos_version(platform: PeaksPlatform) -> tuple[int, int, int]:
    """Changes on every upload, review decision and certificate (whichever process made it); polled
    once a second per open live-update stream."""
    with platform.db.read_session() as s:
        count, versions = s.execute(select(func.count(), func.coalesce(func.sum(Photo.version), 0))).one()
        certs = s.scalar(select(func.count()).select_from(Certificate)) or 0
    return int(count), int(versions), int(certs)


def photo_verdict(platform: PeaksPlatform, photo_id: str, *, climber_id: str | None,
                  party: str | None) -> dict[str, Any]:
    """One photo's verdict with every check: its climber, Ulju-gun, or a partner of the peak's territory
    (FlowError 404 for anyone else, as for an unknown photo)."""
    with platform.db.read_session() as s:
        photo = s.get(Photo, photo_id)
        if photo is not None:
            s.expunge(photo)  # keep its loaded state after the read transaction ends
    visible = photo is not None and (photo.climber_id == climber_id if climber_id is not None else
                                     can_review(party or "", photo.peak_code, platform.parties.operator))
    if not visible:
        raise FlowError(404, "not-found", f"No photo {photo_id} that you may see.")
    return display.verdict(photo)


def climber_progress(platform: PeaksPlatform, climber_id: str) -> dict[str, Any]:
    """The climber's ridge of peaks in the displayed season (FlowError 404 for an unknown climber)."""
    season = display_season(platform)
    with platform.db.read_session() as s:
        climber = s.get(Climber, climber_id)
        if climber is None:
            raise FlowError(404, "not-found", f"No climber {climber_id}.")
        data = progress(s, climber.id, season)
        return display.ridge(climber.id, climber.display_name, season, data)


def gallery(platform: PeaksPlatform, peak: str = "", limit: int = GALLERY_PAGE) -> list[dict[str, Any]]:
    """Approved photos of consenting climbers, newest first: display name, peak, capture day only."""
    q = (select(Photo.id, Photo.peak_code, Photo.capture_day, Photo.updated_at, Photo.sha256,
                Climber.display_name)
         .join(Climber, Climber.id == Photo.climber_id)
         .where(Photo.status == "approved", Climber.gallery_consent.is_(True)))
    if peak:
        q = q.where(Photo.peak_code == peak)
    with platform.db.read_session() as s:
        rows = s.execute(q.order_by(Photo.updated_at.desc(), Photo.id.desc()).limit(limit)).all()
    return [{"id": r.id, "peak": peak_label(r.peak_code), "day": r.capture_day.isoformat(),
             "display_name": r.display_name, "thumb": media_path(r.id, "thumb", r.sha256),
             "display": media_path(r.id, "display", r.sha256)} for r in rows]


def gallery_image(platform: PeaksPlatform, photo_id: str, size: str) -> bytes:
    """An EXIF-free derivative (never the original), only for a photo the public gallery shows (made now
    if still pending); FlowError 404 otherwise or if it is not in the store."""
    with platform.db.read_session() as s:
        row = s.execute(select(Photo.derivative_key, Photo.thumb_key).join(Climber, Climber.id == Photo.climber_id)
                        .where(Photo.id == photo_id, Photo.status == "approved",
                               Climber.gallery_consent.is_(True))).first()
    if row is None:
        raise FlowError(404, "not-found", f"No gallery photo {photo_id}.")
    data = derivative_bytes(platform, photo_id, size, row.thumb_key if size == "thumb" else row.derivative_key)
    if data is None:
        raise FlowError(404, "not-found", f"The image of photo {photo_id} is not in the store.")
    return data


def statistics(platform: PeaksPlatform) -> dict[str, Any]:
    """The displayed season's figures: participants, completions, medals, approvals per peak, verdicts,
    and gallery views of the last `VIEW_DAYS` days (KST)."""
    season = display_season(platform)
    in_season = Photo.season_id == season.id
    today = platform.clock().astimezone(KST).date()
    first = today - timedelta(days=VIEW_DAYS - 1)
    with platform.db.read_session() as s:
        participants = s.scalar(select(func.count(func.distinct(Photo.climber_id))).where(in_season)) or 0
        registered = s.scalar(select(func.count()).select_from(Climber)) or 0
        counter = s.execute(select(SeasonCounter.medal_stock, SeasonCounter.medals_remaining)
                            .where(SeasonCounter.season_id == season.id)).first()
        completions = s.scalar(select(func.count()).select_from(Certificate)
                               .where(Certificate.season_id == season.id)) or 0
        by_peak = dict(s.execute(select(Photo.peak_code, func.count())
                                 .where(in_season, Photo.status == "approved").group_by(Photo.peak_code)).all())
        verdicts = dict(s.execute(select(Photo.status, func.count()).where(in_season)
                                  .group_by(Photo.status)).all())
        views = dict(s.execute(select(GalleryView.day, GalleryView.count).where(GalleryView.day >= first)).all())
    days = [first + timedelta(days=i) for i in range(VIEW_DAYS)]
    return {
        "season": season.id, "participants": participants, "registered": registered, "completions": completions,
        "medal_stock": season.medal_stock,
        "medals_remaining": counter.medals_remaining if counter else season.finite_medal_stock,
        "approvals": [(f"{p.name_en} {p.name_ko}", by_peak.get(p.code, 0)) for p in reference.peaks().values()
                      if season.is_active(p.code) or by_peak.get(p.code)],
        "verdicts": [(VERDICT_WORDS[k], verdicts.get(k, 0)) for k in ("approved", "needs_review", "rejected")],
        "views": [(d.strftime("%m-%d"), int(views.get(d, 0))) for d in days],
        "views_total": sum(views.values()), "views_today": int(views.get(today, 0)),
    }


def review_queue(platform: PeaksPlatform, party: str) -> dict[str, Any]:
    """Photos waiting for review in the party's territory (every peak for Ulju-gun), oldest first; for
    Ulju-gun also the medals and first places held for review, with their reasons."""
    operator = platform.parties.operator
    peaks = review_territory(party, operator)
    waiting = (Photo.status == "needs_review", Photo.peak_code.in_(peaks))
    with platform.db.read_session() as s:
        rows = s.execute(select(Photo, Climber.display_name).join(Climber, Climber.id == Photo.climber_id)
                         .where(*waiting).order_by(Photo.created_at, Photo.id).limit(REVIEW_MAX)).all()
        total = s.scalar(select(func.count()).select_from(Photo).where(*waiting)) or 0
        photos = [{**display.verdict(ph), "display_name": name} for ph, name in rows]
    return {"party": party, "party_view": municipality_view(party), "territory": [peak_label(c) for c in peaks],
            "everywhere": party == operator, "total": total,
            "photos": photos, "awards": held_awards(platform, REVIEW_MAX) if party == operator else []}


def certificates(platform: PeaksPlatform, limit: int = CERT_LIST_MAX) -> list[dict[str, Any]]:
    """The latest certificates of climbers who agreed to be shown (gallery consent): id, number, rank,
    season, date, first place and display name. Other certificates are reachable only by their own id."""
    with platform.db.read_session() as s:
        rows = s.execute(select(Certificate.id, Certificate.number, Certificate.rank, Certificate.season_id,
                                Certificate.issued_at, Certificate.first_place, Climber.display_name)
                         .join(Climber, Climber.id == Certificate.climber_id)
                         .where(Climber.gallery_consent.is_(True))
                         .order_by(Certificate.issued_at.desc(), Certificate.number.desc()).limit(limit)).all()
    return [{"id": r.id, "number": r.number, "rank": r.rank, "season": r.season_id,
             "issued_at": local(r.issued_at, "%Y-%m-%d"), "first_place": r.first_place,
             "display_name": r.display_name} for r in rows]


def certificate(platform: PeaksPlatform, base_url: str, certificate_id: str) -> dict[str, Any]:
    """What the public verification shows, with the day each peak was climbed and the QR code of the
    verification URL: no personal data, the display name only if the climber agreed to show it (FlowError
    404 if there is no certificate with this id)."""
    if not is_certificate_id(certificate_id):
        raise FlowError(404, "not-found", f"No certificate {certificate_id}.")
    with platform.db.read_session() as s:
        row = s.execute(select(Certificate, Climber.display_name, Climber.gallery_consent)
                        .join(Climber, Climber.id == Certificate.climber_id)
                        .where(Certificate.id == certificate_id)).first()
        if row is None:
            raise FlowError(404, "not-found", f"No certificate {certificate_id}.")
        cert, name, consent = row
        s.expunge(cert)  # keep its loaded state after the read transaction ends
        days = dict(s.execute(select(Photo.peak_code, func.min(Photo.capture_day))
                              .where(Photo.climber_id == cert.climber_id, Photo.season_id == cert.season_id,
                                     Photo.status == "approved").group_by(Photo.peak_code)).all())
    season = reference.season(cert.season_id)
    url = f"{base_url.rstrip('/')}/v1/certificates/{cert.id}"
    return {"id": cert.id, "number": cert.number, "rank": cert.rank, "season": cert.season_id,
            "first_place": cert.first_place, "medal": cert.medal, "issued_at": local(cert.issued_at),
            "display_name": name if consent else None,
            "peaks": [{**peak_label(c), "day": days[c].isoformat() if c in days else ""} for c in season.peaks],
            "municipalities": [municipality_view(c) for c in reference.municipalities()],
            "verification_url": url, "qr_svg": display.qr_svg(url), "pdf_url": f"/v1/certificates/{cert.id}.pdf"}
