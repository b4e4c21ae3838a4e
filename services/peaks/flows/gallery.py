"""Gallery helpers: the per-day view counter and the lookup behind public media URLs.

A gallery page view is ONE statement: an upsert on the day's counter row
(`INSERT … ON CONFLICT (day) DO UPDATE SET count = count + 1`, both SQLite and PostgreSQL).

Public media: `/v1/media/{photo_id}/{size}/{digest}.jpg` serves the display-size or thumbnail
derivative of an approved photo of a consenting climber — looked up by the photo's primary key,
and only ever its `derivative_key` / `thumb_key` (made on first request when still pending, see
`photos.ensure_derivatives`). The original (`storage_key`) has no URL at all, so no key, digest or
id can reach it. The token in the path must be `open_api.media_token(sha256 of the original, size)`
(a prefix of it): the URL then names immutable content and may be cached for a year.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.peaks.models import Climber, GalleryView, Photo
from services.peaks.open_api import SIZES, digest_of, media_token


def count_view(session: Session, day: date) -> None:
    """Adds one view to `day`'s counter (one upsert)."""
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(GalleryView)
    session.execute(ins.values(day=day, count=1).on_conflict_do_update(
        index_elements=[GalleryView.day], set_={"count": GalleryView.count + 1}))


@dataclass(frozen=True, slots=True)
class Media:
    key: str  # storage key of the derivative (never the original's); "" = not made yet

    @property
    def digest(self) -> str:
        """Its full SHA-256 (strong ETag)."""
        return digest_of(self.key)


def public_media(session: Session, photo_id: str, size: str, token_prefix: str) -> Media | None:
    """The derivative a public URL names, or None (unknown, not approved, no consent, stale token).

    `Media.key` is "" while the derivatives are pending: the caller makes them
    (`photos.derivative_key`) outside this read transaction.
    """
    if size not in SIZES or len(token_prefix) < 8:
        return None
    column = Photo.derivative_key if size == "display" else Photo.thumb_key
    row = session.execute(select(column.label("key"), Photo.sha256).join(Climber, Climber.id == Photo.climber_id)
                          .where(Photo.id == photo_id, Photo.status == "approved",
                                 Climber.gallery_consent.is_(True))).first()
    if row is None or not media_token(row.sha256, size).startswith(token_prefix.lower()):
        return None
    return Media(key=row.key)
