"""The display and thumbnail derivatives of a photo, made on first request, and the bytes routes serve.

Lazy by design: the upload answers without them. The first request of a photo's image decodes the
stored original once at reduced scale (`domain.derivatives.make_derivatives`: upright, rebuilt from raw
pixels so no EXIF/GPS/XMP/ICC survives), stores both content-addressed (atomic, idempotent) and records
the keys on the row in its own small transaction, only where they are still PENDING. Concurrent first
requests are safe: in one process a striped lock makes the others wait and reuse the result; across
processes both make the same bytes (same keys), and the conditional UPDATE keeps whichever committed
first. The original is never returned.
"""
from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, update

from services.peaks.domain.derivatives import make_derivatives
from services.peaks.models import Photo
from services.peaks.photo_store import StorageError, storage_of

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

# `derivative_key` / `thumb_key` of a photo whose derivatives are not made yet.
PENDING = ""
SIZES = ("display", "thumb")
_DERIVE_LOCKS = tuple(threading.Lock() for _ in range(64))


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


# Decoding is CPU-bound and runs without the GIL, so more decodes at once than cores only add memory
# (each holds libjpeg's buffers and its reduced image) and cache thrashing; uploads in excess wait
# here, holding nothing but their bytes, instead of all decoding at once (the thread pool is 40).
DECODE_SLOTS = threading.BoundedSemaphore(_cores())


def _keys(platform: PeaksPlatform, photo_id: str):
    with platform.db.read_session() as s:
        return s.execute(select(Photo.storage_key, Photo.derivative_key, Photo.thumb_key)
                         .where(Photo.id == photo_id)).first()


def ensure_derivatives(platform: PeaksPlatform, photo_id: str) -> tuple[str, str] | None:
    """(display key, thumbnail key) of a photo, making and storing them on first use; None: no photo.

    Raises StorageError if the original is missing from the store.
    """
    row = _keys(platform, photo_id)
    if row is None:
        return None
    if row.derivative_key and row.thumb_key:
        return row.derivative_key, row.thumb_key
    with _DERIVE_LOCKS[hash(photo_id) % len(_DERIVE_LOCKS)]:
        row = _keys(platform, photo_id)  # another thread may have made them meanwhile
        if row is None:
            return None
        if row.derivative_key and row.thumb_key:
            return row.derivative_key, row.thumb_key
        store = storage_of(platform)
        st = platform.settings
        original = store.get(row.storage_key)
        with DECODE_SLOTS:
            derived = make_derivatives(original, display_side=st.display_side,
                                       thumb_side=st.thumb_side, max_pixels=st.photo_max_pixels)
        del original
        display, thumb = store.put(derived.display), store.put(derived.thumb)
        with platform.db.session() as s:
            s.execute(update(Photo).where(Photo.id == photo_id,
                                          or_(Photo.derivative_key == PENDING, Photo.thumb_key == PENDING))
                      .values(derivative_key=display, thumb_key=thumb))
        row = _keys(platform, photo_id)
        return (row.derivative_key, row.thumb_key) if row is not None else None


def derivative_key(platform: PeaksPlatform, photo_id: str, size: str, known: str | None) -> str | None:
    """The storage key of a photo's `size` ("display" | "thumb") derivative, made now if PENDING."""
    if known:
        return known
    keys = ensure_derivatives(platform, photo_id)
    if keys is None:
        return None
    return keys[0] if size == "display" else keys[1]


def derivative_bytes(platform: PeaksPlatform, photo_id: str, size: str, known: str | None) -> bytes | None:
    """The JPEG bytes of a photo's `size` derivative (made now if PENDING); None if it cannot be served
    (no such photo, or its original or derivative is missing from the store)."""
    try:
        key = derivative_key(platform, photo_id, size, known)
        return None if key is None else storage_of(platform).get(key)
    except StorageError:
        return None
