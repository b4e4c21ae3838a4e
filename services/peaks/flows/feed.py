"""The public photo feed (gallery + open API): one indexed query per page, cheap ETags, a page cache.

Design (issue 7 target 6: a 100-item page ≥ 0.6× and its 304 ≥ 0.8× a bare FastAPI GET):

* **Version stamp.** What a feed page shows changes only when a photo becomes approved (approval
  is final) or an approved photo changes. (count of approved photos, max(updated_at), max(id))
  captures both: a new approval raises the count, an edit raises
  `updated_at` (and the time-ordered id catches inserts under a frozen test clock); all three are
  index-only lookups (counting ~100k index entries takes milliseconds, once per TTL). A process
  keeps that stamp for `open_api_stamp_ttl_s` (1 s): commits in this process that touched a photo
  or climber drop it at once (ORM flush hook), other processes' changes are seen within the TTL.
  Consent is given at registration and cannot be changed through the API; a consent change made
  another way is seen at the next photo change (documented limitation).
* **ETag** = hash(stamp, filter, cursor, limit). Computing it needs no database and no rendering,
  so `If-None-Match` → 304 costs an auth check, a token and a hash.
* **Page cache.** Rendered pages (JSON bytes) are cached per (stamp, filter, cursor, limit) in a
  small LRU that is cleared whenever the stamp moves; a miss runs ONE query (photo ⋈ climber on
  its primary key, keyset on `(updated_at, id)` over `ix_photo_updated_at`), no N+1, URLs built
  from the photo's SHA-256 (`media_path`; derivatives are made on first request). The cache is
  exact with respect to the stamp, so a cached page is never staler than the ETag that names it.

Only derivatives (display size and thumbnail, EXIF-free) are ever served; a URL carries a token
derived from (size, the original's SHA-256), never the original's key or digest. No personal data: display name only (no climber id, contact, birth
year, GPS position or capture time beyond the day).
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from services.peaks.domain import reference
from services.peaks.domain.open_data import Query, media_path
from services.peaks.domain.reference import KST
from services.peaks.models import Climber, Photo
from shared.pagination import keyset, page

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

PAGE_CACHE_ENTRIES = 256


@dataclass(frozen=True, slots=True)
class Page:
    etag: str
    body: bytes  # rendered JSON {"items": [...], "next_cursor": ...}
    count: int


class PhotoFeed:
    """Per-platform stamp + page cache (see the module docstring)."""

    def __init__(self, platform: PeaksPlatform):
        self.platform = platform
        self.ttl = float(getattr(platform.settings, "open_api_stamp_ttl_s", 1.0))
        self.base_url = platform.settings.base_url
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._stamp: str | None = None
        self._expires = 0.0
        self._pages: OrderedDict[tuple[str, str], Page] = OrderedDict()
        self._inflight: dict[tuple[str, str], threading.Lock] = {}
        self._install_hooks()

    # -- stamp ------------------------------------------------------------------------------

    def _install_hooks(self) -> None:
        def before_flush(session: Session, _ctx, _instances) -> None:
            if any(isinstance(o, Photo | Climber) for o in (*session.new, *session.dirty, *session.deleted)):
                session.info["peaks_feed_dirty"] = True

        def after_commit(session: Session) -> None:
            if session.info.pop("peaks_feed_dirty", False):
                self.invalidate()

        event.listen(self.platform.db.Session, "before_flush", before_flush)
        event.listen(self.platform.db.Session, "after_commit", after_commit)

    def invalidate(self) -> None:
        self._expires = 0.0

    def fresh_stamp(self) -> str | None:
        """The cached stamp if fresh — or while another thread refreshes it (stale-while-revalidate) —
        else None. No I/O: safe on the event loop."""
        if self._stamp is not None and (time.monotonic() < self._expires or self._refreshing.locked()):
            return self._stamp
        return None

    def stamp(self) -> str:
        """The data version of the public photo set (cached for `ttl` seconds).

        Three index-only lookups: the number of approved photos (`ix_photo_status_created`), the
        latest change (`ix_photo_updated_at`) and the latest id (primary key). One thread refreshes
        at a time; the others keep answering with the previous stamp meanwhile (no stampede).
        """
        if self._stamp is not None and time.monotonic() < self._expires:
            return self._stamp
        if not self._refreshing.acquire(blocking=self._stamp is None):
            return self._stamp  # type: ignore[return-value]  # someone else is refreshing
        try:
            with self.platform.db.read_session() as s:
                n, last, last_id = s.execute(select(
                    select(func.count()).select_from(Photo).where(Photo.status == "approved").scalar_subquery(),
                    select(func.max(Photo.updated_at)).scalar_subquery(),
                    select(func.max(Photo.id)).scalar_subquery())).one()
            stamp = f"{n}:{last.isoformat() if isinstance(last, datetime) else last or '-'}:{last_id or '-'}"
            with self._lock:
                if stamp != self._stamp:
                    self._pages.clear()
                self._stamp, self._expires = stamp, time.monotonic() + self.ttl
            return stamp
        finally:
            self._refreshing.release()

    # -- pages ------------------------------------------------------------------------------

    @staticmethod
    def etag_for(stamp: str, q: Query, scope: str = "") -> str:
        h = hashlib.blake2b(f"{stamp}|{scope}|{q.key()}".encode(), digest_size=12).hexdigest()
        return f'"{h}"'

    def cached(self, stamp: str, q: Query) -> Page | None:
        with self._lock:
            hit = self._pages.get((stamp, q.key()))
            if hit is not None:
                self._pages.move_to_end((stamp, q.key()))
            return hit

    def render(self, stamp: str, q: Query) -> Page:
        """Runs the page query and renders it (call from a worker thread: it does I/O).

        Single-flight per page: concurrent misses of one page wait for the first render."""
        key = (stamp, q.key())
        with self._lock:
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:
            hit = self.cached(stamp, q)
            if hit is not None:
                return hit
            try:
                return self._render(stamp, q)
            finally:
                with self._lock:
                    self._inflight.pop(key, None)

    def _render(self, stamp: str, q: Query) -> Page:
        with self.platform.db.read_session() as s:
            items, nxt = fetch_items(s, q, self.base_url)
        body = json.dumps({"items": items, "next_cursor": nxt}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        pg = Page(self.etag_for(stamp, q), body, len(items))
        with self._lock:
            if stamp == self._stamp:  # never cache a page under a stamp that already moved on
                self._pages[(stamp, q.key())] = pg
                while len(self._pages) > PAGE_CACHE_ENTRIES:
                    self._pages.popitem(last=False)
        return pg

    def page(self, q: Query) -> Page:
        stamp = self.stamp()
        return self.cached(stamp, q) or self.render(stamp, q)


def feed_of(platform: PeaksPlatform) -> PhotoFeed:
    """The platform's feed (`PeaksParts.feed`), built on first use (however many threads ask at once)."""
    parts = platform.parts
    feed = parts.feed
    if feed is None:
        with parts.feed_lock:
            feed = parts.feed
            if feed is None:
                feed = parts.feed = PhotoFeed(platform)
    return feed


def _kst(value: datetime | None) -> str | None:
    return value.astimezone(KST).isoformat() if value is not None else None


def fetch_items(session: Session, q: Query, base_url: str = "") -> tuple[list[dict[str, Any]], str | None]:
    """One page of public photos, newest change first: ONE query (photo ⋈ climber by primary key)."""
    stmt = (select(Photo.id, Photo.peak_code, Photo.season_id, Photo.capture_day, Photo.created_at,
                   Photo.reviewed_at, Photo.updated_at, Photo.sha256, Climber.display_name)
            .join(Climber, Climber.id == Photo.climber_id)
            .where(Photo.status == "approved", Climber.gallery_consent.is_(True)))
    if q.peaks is not None:
        stmt = stmt.where(Photo.peak_code.in_(q.peaks))
    if q.updated_since is not None:
        stmt = stmt.where(Photo.updated_at >= q.updated_since)
    stmt = keyset(stmt, [Photo.updated_at, Photo.id], q.cursor, q.limit)
    rows, nxt = page(session.execute(stmt).all(), q.limit, key=lambda r: (r.updated_at.isoformat(), r.id))
    peaks = reference.peaks()
    items = []
    for r in rows:
        pk = peaks.get(r.peak_code)
        items.append({
            "id": r.id, "peak": r.peak_code, "peak_name_en": pk.name_en if pk else r.peak_code,
            "peak_name_ko": pk.name_ko if pk else r.peak_code, "season": r.season_id,
            "display_name": r.display_name, "capture_day": r.capture_day.isoformat(),
            "approved_at": _kst(r.reviewed_at or r.created_at), "updated_at": _kst(r.updated_at),
            "images": {"display": base_url + media_path(r.id, "display", r.sha256),
                       "thumb": base_url + media_path(r.id, "thumb", r.sha256)},
        })
    return items, nxt
