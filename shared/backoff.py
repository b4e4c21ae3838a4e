"""Retry timing for webhook deliveries: the receiver's Retry-After and full-jitter backoff."""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    try:
        return min(max(float(value), 0.0), 86400.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max((when - now).total_seconds(), 0.0), 86400.0)


def full_jitter(attempt: int, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """AWS "full jitter": uniform in [0, min(cap, base·2^(attempt-1))] so retries spread out."""
    return rng() * min(cap, base * (2 ** max(attempt - 1, 0)))
