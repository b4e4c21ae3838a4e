"""The public gallery: pages of the photo feed (each first-page view counted) and the public media.

A gallery page view is ONE statement: an upsert on the day's counter row
(`INSERT … ON CONFLICT (day) DO UPDATE SET count = count + 1`, both SQLite and PostgreSQL).

Public media: `/v1/media/{photo_id}/{size}/{digest}.jpg` serves the display-size or thumbnail
derivative of an approved photo of a consenting climber — looked up by the photo's primary key,
and only ever its `derivative_key` / `thumb_key` (made on first request when still pending, see
`flows.derivatives`). The original (`storage_key`) has no URL at all, so no key, digest or id can
reach it. The token in the path must be `open_data.media_token(sha256 of the original, size)`
(a prefix of it): the URL then names immutable content and may be cached for a year.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from services.peaks.domain import reference
from services.peaks.domain.errors import FlowError
from services.peaks.domain.open_data import SIZES, Query, digest_of, etag_matches, media_token
from services.peaks.flows.derivatives import derivative_bytes, derivative_key
from services.peaks.flows.feed import feed_of
from services.peaks.models import Climber, GalleryView, Photo
from services.peaks.photo_store import StorageError

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send: the ETag, and the body (None: the client's copy is current → 304)."""

    etag: str
    body: bytes | None


def count_view(platform: PeaksPlatform) -> None:
    """Adds one view to today's (KST) counter: one upsert in its own transaction."""
    day = reference.today_kst(platform.clock())
    with platform.db.session() as s:
        dialect = s.get_bind().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(GalleryView)
        s.execute(ins.values(day=day, count=1).on_conflict_do_update(
            index_elements=[GalleryView.day], set_={"count": GalleryView.count + 1}))


def page(platform: PeaksPlatform, q: Query, *, if_none_match: str | None) -> Answer:
    """A page of the public feed (newest first); a first page counts as a gallery view."""
    if q.cursor is None:
        count_view(platform)
    feed = feed_of(platform)
    stamp = feed.stamp()
    etag = feed.etag_for(stamp, q)
    if etag_matches(if_none_match, etag):
        return Answer(etag, None)
    pg = feed.cached(stamp, q) or feed.render(stamp, q)
    return Answer(pg.etag, pg.body)


def public_media(platform: PeaksPlatform, photo_id: str, size: str, token_prefix: str, *,
                 if_none_match: str | None) -> Answer:
    """The derivative a public URL names (made now if still pending); FlowError 404 if there is none
    (unknown, not approved, no consent, stale token, or missing from the store)."""
    if size not in SIZES or len(token_prefix) < 8:
        raise FlowError(404, "not-found", "No public image at this address.")
    column = Photo.derivative_key if size == "display" else Photo.thumb_key
    with platform.db.read_session() as s:
        row = s.execute(select(column.label("key"), Photo.sha256).join(Climber, Climber.id == Photo.climber_id)
                        .where(Photo.id == photo_id, Photo.status == "approved",
                               Climber.gallery_consent.is_(True))).first()
    if row is None or not media_token(row.sha256, size).startswith(token_prefix.lower()):
        raise FlowError(404, "not-found", "No public image at this address.")
    key = row.key or _made_key(platform, photo_id, size)
    if key is None:
        raise FlowError(404, "not-found", "The image is not in the store.")
    etag = f'"{digest_of(key)}"'  # the derivative's full SHA-256: a strong ETag
    if etag_matches(if_none_match, etag):
        return Answer(etag, None)
    data = derivative_bytes(platform, photo_id, size, key)
    if data is None:
        raise FlowError(404, "not-found", "The image is not in the store.")
    return Answer(etag, data)


def _made_key(platform: PeaksPlatform, photo_id: str, size: str) -> str | None:
    """The derivative's key, made now (idempotent, safe under concurrency); None if it cannot be made."""
    try:
        return derivative_key(platform, photo_id, size, None)
    except StorageError:
        return None
