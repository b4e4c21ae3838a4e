"""Public gallery: approved photos of consenting climbers, and their EXIF-free derivatives."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.peaks.answers import PhotoPage
from services.peaks.domain import reference
from services.peaks.domain.errors import FlowError
from services.peaks.domain.open_data import MAX_LIMIT, parse_peaks
from services.peaks.domain.open_data import Query as PageQuery
from services.peaks.flows import gallery
from services.peaks.routes.deps import problem_of
from shared.answers import binary_answer
from shared.auth import PUBLIC
from shared.deps import PlatformDep
from shared.errors import field_problem

router = APIRouter(prefix="/v1", tags=["gallery"])

JSON = "application/json"
# Content-addressed media never change under their URL.
IMMUTABLE = "public, max-age=31536000, immutable"


@router.get("/gallery", dependencies=[PUBLIC], response_class=Response,
            responses={200: {"model": PhotoPage,
                             "description": "`{items: [...], next_cursor}`; each item has `images.display` and "
                                            "`images.thumb` URLs (EXIF-free JPEGs)"},
                       304: {"description": "Unchanged since the ETag sent in If-None-Match"}})
def get_gallery(request: Request, platform: PlatformDep, peak: str | None = Query(default=None, max_length=40),
                cursor: str | None = Query(default=None, max_length=500),
                limit: int = Query(default=24, ge=1, le=MAX_LIMIT)) -> Response:
    """Approved summit photos of climbers who consented to the gallery, newest first, with their display
    name only. Images are resized copies, upright, with all EXIF and GPS removed. Each first-page view
    is counted (per KST day)."""
    if peak and reference.find_peak(peak) is None:
        raise field_problem("peak", f"unknown peak {peak!r}; use one of: {', '.join(reference.peaks())}")
    q = PageQuery(peaks=parse_peaks(peak, None), updated_since=None, cursor=cursor, limit=limit)
    answer = gallery.page(platform, q, if_none_match=request.headers.get("if-none-match"))
    headers = {"ETag": answer.etag, "Cache-Control": "public, no-cache"}
    if answer.body is None:
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type=JSON, headers=headers)


@router.get("/media/{photo_id}/{size}/{digest}.jpg", dependencies=[PUBLIC], response_class=Response,
            responses={**binary_answer("image/jpeg", "EXIF-free JPEG"),
                       304: {"description": "Unchanged (strong ETag = SHA-256 of the bytes)"},
                       404: {"description": "No such public image"}})
def get_media(request: Request, platform: PlatformDep, photo_id: str, size: str, digest: str) -> Response:
    """A gallery image (`size` = `display` or `thumb`) of an approved photo of a consenting climber.
    Only derivatives are served — never an original upload."""
    try:
        answer = gallery.public_media(platform, photo_id, size, digest,
                                      if_none_match=request.headers.get("if-none-match"))
    except FlowError as exc:
        raise problem_of(exc) from None
    headers = {"ETag": answer.etag, "Cache-Control": IMMUTABLE}
    if answer.body is None:
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type="image/jpeg", headers=headers)
