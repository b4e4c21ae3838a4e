"""The relay's transactions: the claim (which due messages one worker takes next, and which wait for an
operator), the renewal of a lease, and the record of each attempt's outcome.

Claiming is one short transaction: due messages (and held ones whose party has an enabled endpoint
again) are selected with `SKIP LOCKED`, each is routed (`shared.endpoints.resolve`), messages without a
usable endpoint are put on hold (`no-endpoint`, `disabled`) and the rest are leased to the worker. A
running relay passes `cap`: no endpoint gets more claimed messages than that, and full endpoints are left
out of the query, so a slow endpoint's backlog never fills a batch meant for the others.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, not_, or_, select, update
from sqlalchemy.orm import Session

from shared.backoff import full_jitter
from shared.db import insert_row, utcnow
from shared.endpoints import DISABLED, GONE, HELD, Hold, Target, resolve

if TYPE_CHECKING:
    from shared.platform import Platform


def route(platform: Platform, party: str, target_url: str | None, row: Any | None) -> Target | Hold:
    """`resolve` with the rotation window read from the endpoint row's last change."""
    rotating = row is not None and (
        (utcnow() - row.updated_at).total_seconds() < platform.settings.webhook_rotation_window_s)
    return resolve(platform, party, target_url, row, rotating)


def claim(s: Session, platform: Platform, worker_id: str, now: datetime, limit: int, *, queued: dict[str, int],
          cap: int | None, exclude_parties: set[str], exclude_urls: set[str]) -> tuple[list[tuple[Any, Target]], int]:
    """Claims up to `limit` messages for `worker_id` in the write transaction `s` (the relay runs it in the
    service's group-commit writer); returns (claimed rows with their targets, number put on hold).
    `queued`: messages the worker already holds per endpoint key."""
    p = platform
    o, e = p.tables.outbox, p.tables.endpoint
    due = or_(and_(o.c.status == "pending", o.c.next_attempt_at <= now),
              and_(o.c.status == "delivering", o.c.locked_until < now),
              and_(o.c.status.in_(HELD), o.c.to_party.in_(select(e.c.party).where(e.c.enabled.is_(True)))))
    endpoints = {r.party: r for r in s.execute(select(e)).all()}
    q = select(o.c.id, o.c.to_party, o.c.target_url).where(due)
    if exclude_parties:
        q = q.where(not_(and_(o.c.target_url.is_(None), o.c.to_party.in_(sorted(exclude_parties)))))
    if exclude_urls:
        q = q.where(or_(o.c.target_url.is_(None), o.c.target_url.not_in(sorted(exclude_urls))))
    q = q.order_by(o.c.next_attempt_at).limit(limit * 4 if cap else limit)
    if not p.db.is_sqlite:
        q = q.with_for_update(skip_locked=True)
    chosen: dict[str, Target] = {}
    holds: dict[tuple[str, str], list[str]] = {}
    taken: Counter[str] = Counter()
    for c in s.execute(q).all():
        target = route(p, c.to_party, c.target_url, endpoints.get(c.to_party))
        if isinstance(target, Hold):
            holds.setdefault((target.status, target.reason), []).append(c.id)
        elif len(chosen) < limit and not (cap and queued.get(target.key, 0) + taken[target.key] >= cap):
            taken[target.key] += 1
            chosen[c.id] = target
    for (status, reason), ids in holds.items():
        s.execute(update(o).where(o.c.id.in_(ids)).values(status=status, last_error=reason,
                                                          locked_until=None, locked_by=None))
    held = sum(len(ids) for ids in holds.values())
    if not chosen:
        return [], held
    s.execute(update(o).where(o.c.id.in_(list(chosen))).values(
        status="delivering", locked_by=worker_id,
        locked_until=now + timedelta(seconds=p.settings.relay_lease_s)))
    rows = sorted(s.execute(select(o).where(o.c.id.in_(list(chosen)))).all(), key=lambda r: r.next_attempt_at)
    return [(r, chosen[r.id]) for r in rows], held


def renew(platform: Platform, worker_id: str, message_id: str, now: datetime) -> bool:
    """Extends `worker_id`'s lease on a message it is about to deliver; False if the lease is no longer
    its own (expired and claimed by another worker, or finished)."""
    o = platform.tables.outbox
    with platform.db.session() as s:
        done = s.execute(update(o).where(o.c.id == message_id, o.c.status == "delivering", o.c.locked_by == worker_id)
                         .values(locked_until=now + timedelta(seconds=platform.settings.relay_lease_s)))
    return bool(done.rowcount)


def record_outcome(s: Session, platform: Platform, worker_id: str, row: Any, target: Target, *, code: int | None,
                   error: str | None, retry_after: float | None, latency_ms: float, sent_at: datetime,
                   now: datetime, rng: Callable[[], float]) -> str:
    """Records one attempt's outcome in the writer's transaction `s`; returns the outcome (delivered, retry,
    dead, or GONE when a party endpoint answered 410)."""
    p = platform
    o, a, e = p.tables.outbox, p.tables.attempt, p.tables.endpoint
    attempt_no = row.attempts + 1
    if error is None:
        values = dict(status="delivered", attempts=attempt_no, delivered_at=now, last_status_code=code,
                      last_error=None, locked_until=None)
        outcome = "delivered"
    elif code == 410 and target.party_endpoint:
        # Standard Webhooks: 410 Gone means "stop sending". The endpoint is disabled (only if it
        # still has this URL) and its messages wait until an operator enables it again.
        s.execute(update(e).where(e.c.party == row.to_party, e.c.url == target.url).values(enabled=False))
        values = dict(status=DISABLED, attempts=attempt_no, last_status_code=code, locked_until=None,
                      locked_by=None, last_error="HTTP 410 Gone: the endpoint is disabled until an operator "
                                                 f"enables it (PUT /v1/ops/endpoints/{row.to_party})")
        outcome = GONE
    elif attempt_no >= p.settings.relay_max_attempts or code == 410:
        gone = code == 410 and p.spec.endpoint_gone is not None
        if gone:  # a subscription URL: the service stops the subscription in this transaction
            p.spec.endpoint_gone(s, p, row.to_party, target.url)
        values = dict(status="dead", attempts=attempt_no, last_status_code=code, locked_until=None,
                      last_error=error if code != 410 else "HTTP 410 Gone: the receiver asked to stop; not retried"
                      + ("; its subscription is stopped" if gone else ""))
        outcome = "dead"
    else:
        wait = full_jitter(attempt_no, p.settings.relay_backoff_base_s, p.settings.relay_backoff_max_s, rng)
        if retry_after is not None:
            wait = max(wait, retry_after)
        values = dict(status="pending", attempts=attempt_no, next_attempt_at=now + timedelta(seconds=wait),
                      last_status_code=code, last_error=error, locked_until=None, locked_by=None)
        outcome = "retry"
    # Only while this worker still holds the lease: if it expired and another worker
    # re-claimed the message, that worker's outcome is the one that counts.
    s.execute(update(o).where(o.c.id == row.id, o.c.status == "delivering",
                              o.c.locked_by == worker_id).values(**values))
    insert_row(s, a, dict(message_id=row.id, attempt_no=attempt_no, worker=worker_id, url=target.url,
                          started_at=sent_at, latency_ms=latency_ms, status_code=code, error=error, outcome=outcome))
    return outcome
