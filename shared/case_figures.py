"""Live figures of a running service for its `/v1/about` (and so for the three-cases page): aggregate counts
only, read from the trace and the outbox (no subjects, no fields: safe on a public endpoint)."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import distinct, func, select

if TYPE_CHECKING:
    from shared.platform import Platform

CACHE_S = 2.0  # a public endpoint: many readers within this window share one set of counts
_cache: dict[int, tuple[float, dict[str, Any]]] = {}


def live_figures(platform: Platform) -> dict[str, Any]:
    """What has crossed party boundaries so far: subjects by type, messages, parties reached, webhooks delivered."""
    now = time.monotonic()
    hit = _cache.get(id(platform))
    if hit is not None and now - hit[0] < CACHE_S:
        return hit[1]
    t = platform.tables
    with platform.db.read_session() as s:
        subjects = dict(s.execute(select(t.trace.c.subject_type, func.count(distinct(t.trace.c.subject_id)))
                                  .group_by(t.trace.c.subject_type)).all())
        messages = s.scalar(select(func.count()).select_from(t.trace)) or 0
        parties = s.scalar(select(func.count(distinct(t.trace.c.to_party)))) or 0
        delivered = s.scalar(select(func.count()).select_from(t.outbox).where(t.outbox.c.status == "delivered")) or 0
    figures = {"subjects": {str(k): int(v) for k, v in sorted(subjects.items())}, "messages": int(messages),
               "parties_reached": int(parties), "webhooks_delivered": int(delivered)}
    _cache[id(platform)] = (now, figures)
    return figures
