"""Per-key token buckets for the open API (in-process, thread-safe, O(1) per request).

Each API key gets a bucket of `burst` tokens refilled at `per_minute / 60` tokens a second; a
request takes one token or is refused with the seconds until the next token. Buckets live in
this process only: with N app processes a key may get up to N× the rate (documented; a shared
limiter would cost a database or Redis round trip on every request, which the 304 path cannot
afford). Idle buckets are dropped once full again, so memory stays bounded by the active keys.

Headers (on every open API answer, see `headers`):
  X-RateLimit-Limit      the bucket size (requests that may be made in a burst)
  X-RateLimit-Remaining  whole tokens left after this request
  X-RateLimit-Reset      seconds until the bucket is full again
  Retry-After            (429 only) seconds until one request is allowed again
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # until the bucket is full again
    retry_after_s: int  # until the next token (0 when allowed)

    def headers(self) -> dict[str, str]:
        out = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
               "X-RateLimit-Reset": str(self.reset_s)}
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after_s)
        return out


class TokenBuckets:
    """`take(key)` → Decision. `per_minute <= 0` disables limiting (every request allowed)."""

    MAX_KEYS = 10_000

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = max(per_minute, 0.0) / 60.0  # tokens per second
        self.burst = max(int(burst), 1)
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, last refill time]

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str) -> Decision:
        if not self.enabled:
            return Decision(True, self.burst, self.burst, 0, 0)
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.MAX_KEYS:
                    self._prune(now)
                bucket = self._buckets[key] = [float(self.burst), now]
            tokens = min(float(self.burst), bucket[0] + (now - bucket[1]) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            bucket[0], bucket[1] = tokens, now
        reset = math.ceil((self.burst - tokens) / self.rate) if tokens < self.burst else 0
        retry = 0 if allowed else max(1, math.ceil((1.0 - tokens) / self.rate))
        return Decision(allowed, self.burst, int(tokens), reset, retry)

    def _prune(self, now: float) -> None:
        """Drops buckets that have refilled completely (they behave exactly like new ones)."""
        full = [k for k, (tok, at) in self._buckets.items() if tok + (now - at) * self.rate >= self.burst]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) >= self.MAX_KEYS:  # all busy: start over rather than grow without bound
            self._buckets.clear()
