"""Pure rules of the public photo feed (gallery + open API): public media URLs, page queries, ETags, the
peaks document and territory filters. The feed itself (stamp, page cache, queries) is `flows.feed`."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.peaks.domain import reference

MAX_LIMIT = 100
SIZES = ("display", "thumb")


def digest_of(key: str) -> str:
    """The SHA-256 part of a storage key `ab/cd/<64 hex>` (the content's hash)."""
    return key.rsplit("/", 1)[-1]


def media_token(sha256: str, size: str) -> str:
    """The name of a photo's `size` derivative in its public URL: a hash of (size, the original's SHA-256).

    Derivatives are made lazily (on first request), so the URL cannot carry the derivative's own
    digest; it names what the derivative is derived from instead, which is just as immutable.
    Keyed with a fixed prefix so it is never the original's digest (no URL can name an original).
    """
    return hashlib.sha256(f"peaks-media-v1:{size}:{sha256}".encode()).hexdigest()


def media_path(photo_id: str, size: str, sha256: str) -> str:
    """Path of a derivative of the photo whose original has this SHA-256: immutable, cacheable forever."""
    return f"/v1/media/{photo_id}/{size}/{media_token(sha256, size)[:24]}.jpg"


def territory(party: str) -> tuple[str, ...]:
    """Peak codes lying (partly) in a municipality's territory."""
    return tuple(code for code, p in reference.peaks().items() if party in p.municipalities)


@dataclass(frozen=True, slots=True)
class Query:
    peaks: tuple[str, ...] | None  # None: every peak
    updated_since: datetime | None
    cursor: str | None
    limit: int

    def key(self) -> str:
        since = self.updated_since.isoformat() if self.updated_since else ""
        return f"{','.join(self.peaks) if self.peaks is not None else '*'}|{since}|{self.cursor or ''}|{self.limit}"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of an `If-None-Match` list (or `*`) against our ETag."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == bare for t in if_none_match.split(","))


def body_etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def peaks_document(season: reference.Season | None) -> dict[str, Any]:
    """The nine peaks with names, coordinates and municipalities (reference data)."""
    ref = reference.reference()
    return {
        "season": season.id if season else None,
        "versions": dict(ref.versions),
        "items": [{"code": p.code, "name_en": p.name_en, "name_ko": p.name_ko,
                   "aliases": [{"name_en": a.name_en, "name_ko": a.name_ko} for a in p.aliases],
                   "elevation_m": p.elevation_m, "lat": p.lat, "lon": p.lon, "approximate": p.approximate,
                   "coordinate_uncertainty_m": p.coordinate_uncertainty_m, "radius_m": p.radius_m,
                   "municipalities": list(p.municipalities),
                   "active": bool(season and season.is_active(p.code))} for p in ref.peaks.values()],
    }


def parse_peaks(peak: str | None, scope: Sequence[str] | None) -> tuple[str, ...] | None:
    """Peak filter from `?peak=` (code, name or alias) intersected with a territory; None = all."""
    codes: tuple[str, ...] | None = None if scope is None else tuple(scope)
    if peak:
        found = reference.find_peak(peak)
        if found is None:
            return ()
        codes = (found.code,) if codes is None or found.code in codes else ()
    return codes
