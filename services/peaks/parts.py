"""The peaks service's own platform parts (`platform.parts`), built once with the platform."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from services.peaks.config import Settings
from services.peaks.domain.certificate_pdf import PdfCache
from services.peaks.domain.ratelimit import TokenBuckets
from services.peaks.photo_store import Storage
from shared.platform import Platform


class Invalidatable(Protocol):
    def invalidate(self) -> None: ...


@dataclass
class PeaksParts:
    """Photo store, open-API and registration rate limiters, climber-token cache and certificate PDF cache;
    the open API's photo feed (`flows.feed.feed_of`) is built on first use (it hooks every write session,
    so only services that serve it pay)."""

    platform: Platform[PeaksParts] = field(repr=False)
    storage: Storage
    limiter: TokenBuckets
    registrations: TokenBuckets  # climber registrations per client (flows.climbers.register)
    # Tokens known valid: {digest: (valid until, climber id)} (services/peaks/flows/climbers.py).
    climber_tokens: dict[str, tuple[float, str]] = field(default_factory=dict)
    certificate_pdfs: PdfCache = field(default_factory=PdfCache)
    feed: Any = field(default=None, init=False, repr=False)  # flows.feed.PhotoFeed, once built
    feed_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def feed_if_built(self) -> Invalidatable | None:
        """The feed if something has used it (a bulk seed then invalidates it), else None."""
        return self.feed


def build_parts(platform: Platform[PeaksParts]) -> PeaksParts:
    s = cast(Settings, platform.settings)
    return PeaksParts(platform=platform, storage=Storage(s.resolved_storage_dir),
                      limiter=TokenBuckets(s.open_api_rate_per_minute, s.open_api_burst),
                      registrations=TokenBuckets(s.registration_per_hour / 60, s.registration_burst))


# What peaks code takes as `platform`: the shared platform with these parts.
PeaksPlatform = Platform[PeaksParts]
