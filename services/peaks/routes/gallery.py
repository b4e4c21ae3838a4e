"""Public gallery: approved photos of consenting climbers, and their EXIF-free derivatives."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.peaks import gallery, open_api, photos, reference
from services.peaks.photos import now_of
from services.peaks.routes.deps import platform_of
from services.peaks.storage import StorageError, storage_of
from shared.auth import PUBLIC
from shared.errors import Problem, field_problem

router = APIRouter(prefix="/v1", tags=["gallery"])

JSON = "application/json"
# Content-addressed media never change under their URL.
IMMUTABLE = "public, max-age=31536000, immutable"


def feed_query(peak: str | None, cursor: str | None, limit: int, scope=None) -> open_api.Query:
    if peak and reference.find_peak(peak) is None:
        raise field_problem("peak", f"unknown peak {peak!r}; use one of: {', '.join(reference.peaks())}")
    return open_api.Query(peaks=open_api.parse_peaks(peak, scope), updated_since=None, cursor=cursor, limit=limit)


@router.get("/gallery", dependencies=[PUBLIC], response_class=Response,
            responses={200: {"content": {JSON: {}},
                             "description": "`{items: [...], next_cursor}`; each item has `images.display` and "
                                            "`images.thumb` URLs (EXIF-free JPEGs)"},
                       304: {"description": "Unchanged since the ETag sent in If-None-Match"}})
def get_gallery(request: Request, peak: str | None = Query(default=None, max_length=40),
                cursor: str | None = Query(default=None, max_length=500),
                limit: int = Query(default=24, ge=1, le=open_api.MAX_LIMIT)) -> Response:
    """Approved summit photos of climbers who consented to the gallery, newest first, with their display
    name only. Images are resized copies, upright, with all EXIF and GPS removed. Each first-page view
    is counted (per KST day)."""
    p = platform_of(request)
    q = feed_query(peak, cursor, limit)
    if cursor is None:
        with p.db.session() as s:
            gallery.count_view(s, reference.today_kst(now_of(p)))
    feed = open_api.feed_of(p)
    stamp = feed.stamp()
    etag = feed.etag_for(stamp, q)
    headers = {"ETag": etag, "Cache-Control": "public, no-cache"}
    if open_api.etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    pg = feed.cached(stamp, q) or feed.render(stamp, q)
    return Response(pg.body, media_type=JSON, headers={**headers, "ETag": pg.etag})


@router.get("/media/{photo_id}/{size}/{digest}.jpg", dependencies=[PUBLIC], response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}, "description": "EXIF-free JPEG"},
                       304: {"description": "Unchanged (strong ETag = SHA-256 of the bytes)"},
                       404: {"description": "No such public image"}})
def get_media(request: Request, photo_id: str, size: str, digest: str) -> Response:
    """A gallery image (`size` = `display` or `thumb`) of an approved photo of a consenting climber.
    Only derivatives are served — never an original upload."""
    p = platform_of(request)
    with p.db.read_session() as s:
        media = gallery.public_media(s, photo_id, size, digest)
    if media is None:
        raise Problem(404, "not-found", "No public image at this address.")
    if not media.key:  # first request: make the derivatives now (idempotent, safe under concurrency)
        try:
            key = photos.derivative_key(p, photo_id, size, None)
        except StorageError:
            key = None
        if key is None:
            raise Problem(404, "not-found", "The image is not in the store.")
        media = gallery.Media(key=key)
    etag = f'"{media.digest}"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE}
    if open_api.etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    try:
        data = storage_of(p).get(media.key)
    except StorageError:
        raise Problem(404, "not-found", "The image is not in the store.") from None
    return Response(data, media_type="image/jpeg", headers=headers)
