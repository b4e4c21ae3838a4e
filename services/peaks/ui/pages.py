"""The trainer's web pages of the peaks service (issue 6), on the shared UI kit.

Pages (server-rendered, public shells; personal regions are fetched by the browser with a token or key):
  /ui/                        the case, its parties and the six considerations (kit)
  /ui/climb                   register as a climber, then upload a summit photo → verdict, score, every check
  /ui/progress[?climber=]     the nine peaks as a ridge: done / waiting for review / remaining / not this season
  /ui/gallery[?peak=]         approved photos of consenting climbers (EXIF-free derivatives), live
  /ui/stats                   participants, completions, approvals per peak, daily gallery views, live
  /ui/review                  review queue: act as Ulju-gun or a partner (its territory only); approve/reject
  /ui/certificates[/{id}]     certificates of consenting climbers; one certificate (by its random id):
                              verification data (the name only with consent), the five municipalities,
                              QR code (inline SVG) to the verification URL, PDF link
  /ui/map                     the five local governments' census boundaries and the nine peaks (map_page.py)

The climb page keeps the climber's token in sessionStorage (this tab only) and sends it with the upload
(`POST /v1/photos`, multipart, from static/peaks.js: the CSP allows no inline script). Regions that show
personal data are behind the same auth as the API: the verdict and progress partials take the climber's
token (or a reviewer's / Ulju-gun's key), the review partial a reviewer's key.

Live updates: topic `photos` (polled version: photo count, sum of photo versions and certificate count),
so uploads and review decisions made by anyone reach open pages without publish hooks in the flows.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.peaks.domain import reference, service_clock
from services.peaks.domain.display import all_peaks, local
from services.peaks.domain.errors import FlowError
from services.peaks.flows import gallery as gallery_flow
from services.peaks.flows import queries
from services.peaks.routes.deps import ClimberOrOperator, ClimberOrReviewer, Reviewer, problem_of
from shared.auth import PUBLIC
from shared.deps import PlatformDep, find_platform
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
           NavItem("Certificates", "/ui/certificates", "Certificates with the five municipalities' names and QR"),
           NavItem("Map", "/ui/map", "The five local governments and the nine peaks on their census boundaries")],
    templates_dirs=[HERE / "templates"], static_dirs=[HERE / "static"], assets=["peaks.css", "peaks.js"],
    versions={**DEFAULT_VERSIONS, LIVE: queries.photos_version})


def clock_reading(request: Any) -> service_clock.Reading:
    """Which day the service believes it is and why (the banner of every page; see `service_clock`)."""
    platform = find_platform(request)
    assert platform is not None
    return service_clock.reading_of(platform.clock)


kit.templates.env.globals.update(local_time=local, clock_reading=clock_reading)

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
def climb_page(request: Request, platform: PlatformDep) -> HTMLResponse:
    season = queries.season_of(platform)
    peaks = [x for x in all_peaks(season) if x["active"]]
    return _render(request, "pk_climb.html", {"season": season, "peaks": peaks, "live": LIVE},
                   page_title="Climb: register and upload a summit photo")


@private.get("/partials/photos/{photo_id}", response_class=HTMLResponse, name="pk_verdict_partial")
def verdict_partial(request: Request, platform: PlatformDep, caller: ClimberOrReviewer,
                    photo_id: str) -> HTMLResponse:
    """One photo's verdict with every check: its climber, Ulju-gun, or a partner of the peak's territory."""
    try:
        v = queries.photo_verdict(platform, photo_id, climber_id=caller.climber_id, party=caller.party)
    except FlowError as exc:
        raise problem_of(exc) from None
    return _render(request, "pk_verdict.html", {"v": v})


# ---- progress ----------------------------------------------------------------------------------------

@pages.get("/progress", response_class=HTMLResponse, name="pk_progress")
def progress_page(request: Request, platform: PlatformDep, climber: str = ID_Q) -> HTMLResponse:
    season = queries.display_season(platform)
    return _render(request, "pk_progress.html", {"season": season, "climber": climber, "live": LIVE,
                                                 "peaks": all_peaks(season)},
                   page_title="Progress across the peaks")


@private.get("/partials/progress/{climber_id}", response_class=HTMLResponse, name="pk_progress_partial")
def progress_partial(request: Request, platform: PlatformDep, caller: ClimberOrOperator,
                     climber_id: str) -> HTMLResponse:
    """The climber's progress: the climber themself or Ulju-gun (as `GET /v1/climbers/{id}/progress`)."""
    if not (caller.owns(climber_id) or caller.party == "ulju"):
        raise Problem(403, "forbidden", "A climber may only see their own progress.")
    try:
        d = queries.climber_progress(platform, climber_id)
    except FlowError as exc:
        raise problem_of(exc) from None
    return _render(request, "pk_progress_body.html", {"d": d})


# ---- gallery -----------------------------------------------------------------------------------------

def _gallery_ctx(platform: Any, peak: str) -> dict[str, Any]:
    _check_peak(peak)
    return {"items": queries.gallery(platform, peak), "peak": peak,
            "peaks": all_peaks(queries.display_season(platform)), "live": LIVE,
            "src": "/ui/partials/gallery" + (f"?peak={peak}" if peak else "")}


@pages.get("/gallery", response_class=HTMLResponse, name="pk_gallery")
def gallery_page(request: Request, platform: PlatformDep, peak: str = PEAK_Q) -> HTMLResponse:
    ctx = _gallery_ctx(platform, peak)
    gallery_flow.count_view(platform)  # the page view, not its live refreshes
    return _render(request, "pk_gallery.html", ctx, page_title="Gallery of summit photos")


@pages.get("/partials/gallery", response_class=HTMLResponse, name="pk_gallery_partial")
def gallery_partial(request: Request, platform: PlatformDep, peak: str = PEAK_Q) -> HTMLResponse:
    return _render(request, "pk_gallery_body.html", _gallery_ctx(platform, peak))


@pages.get("/gallery/images/{photo_id}", name="pk_gallery_image",
           responses={200: {"content": {"image/jpeg": {}}}})
def gallery_image(platform: PlatformDep, photo_id: str,
                  size: str = Query(default="display", pattern="^(display|thumb)$")) -> Response:
    """A gallery photo's EXIF-free derivative (never the original), only while the gallery shows it."""
    try:
        data = queries.gallery_image(platform, photo_id, size)
    except FlowError as exc:
        raise problem_of(exc) from None
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=300"})


# ---- statistics --------------------------------------------------------------------------------------

kit.live_page(pages, "/stats", name="pk_stats", page="pk_stats.html", body="pk_stats_body.html", title="Statistics",
              context=lambda platform: {"st": queries.statistics(platform), "live": LIVE})


# ---- review queue ------------------------------------------------------------------------------------

@pages.get("/review", response_class=HTMLResponse, name="pk_review")
def review_page(request: Request) -> HTMLResponse:
    return _render(request, "pk_review.html", {"live": LIVE}, act_as=True, page_title="Review queue")


@private.get("/partials/review", response_class=HTMLResponse, name="pk_review_partial")
def review_partial(request: Request, platform: PlatformDep, who: Reviewer, party: str = ID_Q) -> HTMLResponse:
    # `party` only makes the URL differ per acting party; what is shown follows the key sent.
    return _render(request, "pk_review_body.html", {"q": queries.review_queue(platform, who.party)})


# ---- certificates ------------------------------------------------------------------------------------

@pages.get("/certificates", response_class=HTMLResponse, name="pk_certificates")
def certificates_page(request: Request, platform: PlatformDep) -> HTMLResponse:
    return _render(request, "pk_certificates.html", {"items": queries.certificates(platform), "live": LIVE},
                   page_title="Certificates")


@pages.get("/certificates/{certificate_id}", response_class=HTMLResponse, name="pk_certificate")
def certificate_page(request: Request, platform: PlatformDep, certificate_id: str) -> HTMLResponse:
    # The public address when configured, else the one this page was reached at (never 0.0.0.0).
    try:
        c = queries.certificate(platform, platform.settings.public_base_url or str(request.base_url),
                                certificate_id)
    except FlowError as exc:
        raise problem_of(exc) from None
    return _render(request, "pk_certificate.html", {"c": c}, page_title=f"Certificate {c['number']}")


# kit.router first: it owns /ui/ and /ui/static/...
routers = [kit.router, pages, private]
