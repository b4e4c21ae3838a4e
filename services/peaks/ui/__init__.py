"""The trainer's web pages of the peaks service (issue 6), on the shared UI kit.

Pages (server-rendered, public shells; personal regions are fetched by the browser with a token or key):
  /ui/                        the case, its parties and the six considerations (kit)
  /ui/climb                   register as a climber, then upload a summit photo → verdict, score, every check
  /ui/progress[?climber=]     the nine peaks as a ridge: done / waiting for review / remaining / not this season
  /ui/gallery[?peak=]         approved photos of consenting climbers (EXIF-free derivatives), live
  /ui/stats                   participants, completions, approvals per peak, daily gallery views, live
  /ui/review                  review queue: act as Ulju-gun or a partner (its territory only); approve/reject
  /ui/certificates[/{number}] certificates; one certificate: verification data, the five municipalities,
                              QR code (inline SVG) to the verification URL, PDF link

The climb page keeps the climber's token in sessionStorage (this tab only) and sends it with the upload
(`POST /v1/photos`, multipart, from static/peaks.js: the CSP allows no inline script). Regions that show
personal data are behind the same auth as the API: the verdict and progress partials take the climber's
token (or a reviewer's / Ulju-gun's key), the review partial a reviewer's key.

Live updates: topic `photos` (polled version: photo count, sum of photo versions and certificate count),
so uploads and review decisions made by anyone reach open pages without publish hooks in the flows.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.peaks import photos, reference
from services.peaks.models import Climber, Photo
from services.peaks.routes.deps import ClimberOrOperator, ClimberOrReviewer, Reviewer
from services.peaks.storage import StorageError, storage_of
from services.peaks.ui import views
from shared.auth import PUBLIC
from shared.errors import Problem, field_problem
from shared.ui import DEFAULT_VERSIONS, NavItem, UIKit

HERE = Path(__file__).parent
LIVE = "photos"
PEAK_Q = Query(default="", max_length=40, pattern=r"^[a-z0-9_\-]*$")
ID_Q = Query(default="", max_length=40, pattern=r"^[A-Za-z0-9_\-]*$")

kit = UIKit(
    pages=[NavItem("Climb", "/ui/climb", "Register, upload a summit photo and see every check's verdict"),
           NavItem("Progress", "/ui/progress", "A climber's nine peaks: done, waiting for review, remaining"),
           NavItem("Gallery", "/ui/gallery", "Approved photos of climbers who agreed to show them"),
           NavItem("Statistics", "/ui/stats", "Participants, completions, approvals per peak, gallery views"),
           NavItem("Review queue", "/ui/review", "Act as Ulju-gun or a partner and decide doubtful photos"),
           NavItem("Certificates", "/ui/certificates", "Certificates with the five municipalities' names and QR")],
    templates_dirs=[HERE / "templates"], static_dirs=[HERE / "static"],
    versions={**DEFAULT_VERSIONS, LIVE: views.photos_version})
kit.templates.env.globals.update(local_time=views.local, clock_reading=views.clock_reading)

# Public page shells and public data (gallery, statistics, certificates).
pages = APIRouter(prefix="/ui", tags=["ui"], include_in_schema=False, dependencies=[PUBLIC])
# Regions with personal data: the same decisions as the API routes they mirror.
private = APIRouter(prefix="/ui", tags=["ui"], include_in_schema=False)


def _render(request: Request, name: str, ctx: dict[str, Any] | None = None, **extra: Any) -> HTMLResponse:
    return kit.render(request, name, ctx or {}, **extra)


def _check_peak(peak: str) -> None:
    if peak and peak not in reference.peaks():
        raise field_problem("peak", f"unknown peak; use one of: {', '.join(reference.peaks())}")


# ---- climb: registration, upload, verdict -------------------------------------------------------------

@pages.get("/climb", response_class=HTMLResponse, name="pk_climb")
def climb_page(request: Request) -> HTMLResponse:
    p = views.platform_of(request)
    season = views.season_of(p)
    peaks = [x for x in views.all_peaks(season) if x["active"]]
    return _render(request, "pk_climb.html", {"season": season, "peaks": peaks, "live": LIVE},
                   page_title="Climb: register and upload a summit photo")


@private.get("/partials/photos/{photo_id}", response_class=HTMLResponse, name="pk_verdict_partial")
def verdict_partial(request: Request, caller: ClimberOrReviewer, photo_id: str) -> HTMLResponse:
    """One photo's verdict with every check: its climber, Ulju-gun, or a partner of the peak's territory."""
    p = views.platform_of(request)
    with p.db.read_session() as s:
        photo = s.get(Photo, photo_id)
        visible = photo is not None and (caller.owns(photo.climber_id) if caller.is_climber else
                                         photos.can_review(caller.party or "", photo.peak_code, p.parties.operator))
        if not visible:
            raise Problem(404, "not-found", f"No photo {photo_id} that you may see.")
        v = views.verdict(photo)
    return _render(request, "pk_verdict.html", {"v": v})


# ---- progress ----------------------------------------------------------------------------------------

@pages.get("/progress", response_class=HTMLResponse, name="pk_progress")
def progress_page(request: Request, climber: str = ID_Q) -> HTMLResponse:
    p = views.platform_of(request)
    season = views.display_season(p)
    return _render(request, "pk_progress.html", {"season": season, "climber": climber, "live": LIVE,
                                                 "peaks": views.all_peaks(season)},
                   page_title="Progress across the peaks")


@private.get("/partials/progress/{climber_id}", response_class=HTMLResponse, name="pk_progress_partial")
def progress_partial(request: Request, caller: ClimberOrOperator, climber_id: str) -> HTMLResponse:
    """The climber's progress: the climber themself or Ulju-gun (as `GET /v1/climbers/{id}/progress`)."""
    if not (caller.owns(climber_id) or caller.party == "ulju"):
        raise Problem(403, "forbidden", "A climber may only see their own progress.")
    p = views.platform_of(request)
    season = views.display_season(p)
    with p.db.read_session() as s:
        climber = s.get(Climber, climber_id)
        if climber is None:
            raise Problem(404, "not-found", f"No climber {climber_id}.")
        d = views.progress(s, climber, season)
    return _render(request, "pk_progress_body.html", {"d": d})


# ---- gallery -----------------------------------------------------------------------------------------

def _gallery_ctx(request: Request, peak: str) -> dict[str, Any]:
    _check_peak(peak)
    p = views.platform_of(request)
    with p.db.read_session() as s:
        items = views.gallery(s, peak)
    return {"items": items, "peak": peak, "peaks": views.all_peaks(views.display_season(p)), "live": LIVE,
            "src": "/ui/partials/gallery" + (f"?peak={peak}" if peak else "")}


@pages.get("/gallery", response_class=HTMLResponse, name="pk_gallery")
def gallery_page(request: Request, peak: str = PEAK_Q) -> HTMLResponse:
    ctx = _gallery_ctx(request, peak)
    views.count_gallery_view(views.platform_of(request))  # the page view, not its live refreshes
    return _render(request, "pk_gallery.html", ctx, page_title="Gallery of summit photos")


@pages.get("/partials/gallery", response_class=HTMLResponse, name="pk_gallery_partial")
def gallery_partial(request: Request, peak: str = PEAK_Q) -> HTMLResponse:
    return _render(request, "pk_gallery_body.html", _gallery_ctx(request, peak))


@pages.get("/gallery/images/{photo_id}", name="pk_gallery_image",
           responses={200: {"content": {"image/jpeg": {}}}})
def gallery_image(request: Request, photo_id: str, size: str = Query(default="display", pattern="^(display|thumb)$")
                  ) -> Response:
    """A gallery photo's EXIF-free derivative (never the original), only while the gallery shows it."""
    p = views.platform_of(request)
    with p.db.read_session() as s:
        key = views.gallery_image_key(s, photo_id, size)
    if key is None:
        raise Problem(404, "not-found", f"No gallery photo {photo_id}.")
    try:
        key = photos.derivative_key(p, photo_id, size, key)  # made on first request (lazy)
        if key is None:
            raise StorageError(photo_id)
        data = storage_of(p).get(key)
    except StorageError:
        raise Problem(404, "not-found", f"The image of photo {photo_id} is not in the store.") from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=300"})


# ---- statistics --------------------------------------------------------------------------------------

def _stats_ctx(request: Request) -> dict[str, Any]:
    p = views.platform_of(request)
    with p.db.read_session() as s:
        return {"st": views.statistics(p, s), "live": LIVE}


@pages.get("/stats", response_class=HTMLResponse, name="pk_stats")
def stats_page(request: Request) -> HTMLResponse:
    return _render(request, "pk_stats.html", _stats_ctx(request), page_title="Statistics")


@pages.get("/partials/stats", response_class=HTMLResponse, name="pk_stats_partial")
def stats_partial(request: Request) -> HTMLResponse:
    return _render(request, "pk_stats_body.html", _stats_ctx(request))


# ---- review queue ------------------------------------------------------------------------------------

@pages.get("/review", response_class=HTMLResponse, name="pk_review")
def review_page(request: Request) -> HTMLResponse:
    return _render(request, "pk_review.html", {"live": LIVE}, act_as=True, page_title="Review queue")


@private.get("/partials/review", response_class=HTMLResponse, name="pk_review_partial")
def review_partial(request: Request, who: Reviewer, party: str = ID_Q) -> HTMLResponse:
    # `party` only makes the URL differ per acting party; what is shown follows the key sent.
    p = views.platform_of(request)
    with p.db.read_session() as s:
        q = views.review_queue(p, s, who.party)
    return _render(request, "pk_review_body.html", {"q": q})


# ---- certificates ------------------------------------------------------------------------------------

def _certificate_routes() -> bool:
    """Whether the certificates module (verification, PDF) is part of this build (app.py loads it if present)."""
    return importlib.util.find_spec("services.peaks.routes.certificates") is not None


@pages.get("/certificates", response_class=HTMLResponse, name="pk_certificates")
def certificates_page(request: Request) -> HTMLResponse:
    p = views.platform_of(request)
    with p.db.read_session() as s:
        items = views.certificates(s)
    return _render(request, "pk_certificates.html", {"items": items, "live": LIVE}, page_title="Certificates")


@pages.get("/certificates/{number}", response_class=HTMLResponse, name="pk_certificate")
def certificate_page(request: Request, number: str) -> HTMLResponse:
    p = views.platform_of(request)
    with p.db.read_session() as s:
        # The public address when configured, else the one this page was reached at (never 0.0.0.0).
        c = views.certificate(p.settings.public_base_url or str(request.base_url), s, number)
    if c is None:
        raise Problem(404, "not-found", f"No certificate {number}.")
    c["qr_svg"] = views.qr_svg(c["verification_url"])
    c["pdf_available"] = _certificate_routes()
    return _render(request, "pk_certificate.html", {"c": c}, page_title=f"Certificate {number}")


# kit.router first: it owns /ui/ and /ui/static/...
routers = [kit.router, pages, private]
