"""Outbox relay: claims due messages, POSTs them as signed webhooks, retries, dead-letters."""
from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import anyio
import httpx
from sqlalchemy import and_, or_, select, update

from shared import webhooks
from shared.db import insert_row, utcnow

if TYPE_CHECKING:
    from shared.platform import Platform

log = logging.getLogger("shared.relay")


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


class Relay:
    """Delivers the outbox of one service. Safe to run several at once (leases + SKIP LOCKED).

    `clock` drives scheduling only (tests pass a simulated clock); signatures always use
    the real time, because receivers check it against theirs.
    """

    def __init__(self, platform: Platform, *, worker_id: str | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], datetime] = utcnow, rng: Callable[[], float] = random.random):
        self.platform = platform
        self.settings = platform.settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self) % 10000}"
        self.transport = transport
        self.clock = clock
        self.rng = rng
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._endpoints: tuple[float, dict] = (0.0, {})

    # -- wake-up from committing threads -------------------------------------------------
    def notify(self) -> None:
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        async with self._client() as client:
            while not stop.is_set():
                try:
                    n = await self.run_once(client)
                except Exception:  # the relay must outlive a database blip
                    log.exception("relay iteration failed")
                    n = 0
                    await asyncio.sleep(1.0)
                if n == 0 and not stop.is_set():
                    try:
                        await asyncio.wait_for(self._event.wait(), timeout=self.settings.relay_poll_interval_s)
                    except TimeoutError:
                        pass
                    self._event.clear()

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=self.settings.relay_timeout_s,
                                 headers={"user-agent": f"cpa-relay/{self.settings.service}"},
                                 limits=httpx.Limits(max_connections=self.settings.relay_concurrency * 2))

    async def run_once(self, client: httpx.AsyncClient | None = None) -> int:
        """Claims one batch and delivers it; returns how many messages were attempted."""
        rows = await anyio.to_thread.run_sync(self._claim, self.settings.relay_batch_size)
        if not rows:
            return 0
        own = client is None
        client = client or self._client()
        try:
            sem = asyncio.Semaphore(self.settings.relay_concurrency)

            async def one(row):
                async with sem:
                    await self._deliver(client, row)

            await asyncio.gather(*(one(r) for r in rows))
        finally:
            if own:
                await client.aclose()
        return len(rows)

    async def drain(self, max_rounds: int = 100) -> int:
        """Delivers until nothing is due (tests and the `cpa worker --once` path)."""
        total = 0
        async with self._client() as client:
            for _ in range(max_rounds):
                n = await self.run_once(client)
                total += n
                if n == 0:
                    break
        return total

    # -- claiming ----------------------------------------------------------------------
    def _claim(self, limit: int) -> list:
        p = self.platform
        o = p.tables.outbox
        now = self.clock()
        with p.db.session() as s:
            q = (select(o.c.id)
                 .where(or_(and_(o.c.status == "pending", o.c.next_attempt_at <= now),
                            and_(o.c.status == "delivering", o.c.locked_until < now)))
                 .order_by(o.c.next_attempt_at).limit(limit))
            if not p.db.is_sqlite:
                q = q.with_for_update(skip_locked=True)
            ids = list(s.scalars(q))
            if not ids:
                return []
            s.execute(update(o).where(o.c.id.in_(ids)).values(
                status="delivering", locked_by=self.worker_id,
                locked_until=now + timedelta(seconds=self.settings.relay_lease_s)))
            return list(s.execute(select(o).where(o.c.id.in_(ids))).all())

    def _endpoint(self, party: str) -> tuple[str, int, bool]:
        """(url, secret version, include previous secret) for a party."""
        p = self.platform
        expires, cache = self._endpoints
        if time.monotonic() > expires:
            e = p.tables.endpoint
            with p.db.read_session() as s:
                cache = {r.party: r for r in s.execute(select(e).where(e.c.enabled.is_(True))).all()}
            self._endpoints = (time.monotonic() + 2.0, cache)
        row = cache.get(party)
        if row is not None:
            rotating = (utcnow() - row.updated_at).total_seconds() < self.settings.webhook_rotation_window_s
            return row.url, row.secret_version, rotating
        return p.sim_url(party), self.settings.webhook_secret_version, True

    # -- delivering --------------------------------------------------------------------
    async def _deliver(self, client: httpx.AsyncClient, row) -> None:
        url, version, include_prev = self._endpoint(row.to_party)
        url = row.target_url or url
        secrets = webhooks.secrets_for(self.settings.secret_key.get_secret_value(), row.to_party, version,
                                       include_previous=include_prev)
        sent_at = utcnow()
        body = webhooks.envelope(row.kind, sent_at, row.payload)
        headers = webhooks.sign_headers(secrets, row.id, sent_at, body)
        started = time.perf_counter()
        code: int | None = None
        error: str | None = None
        retry_after: float | None = None
        try:
            resp = await client.post(url, content=body, headers=headers)
            code = resp.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
                retry_after = parse_retry_after(resp.headers.get("retry-after"), self.clock())
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        latency_ms = (time.perf_counter() - started) * 1000
        # Through the service's group-commit writer: outcomes of a burst of deliveries (and the
        # intakes that caused them) share transactions instead of queueing for the write lock.
        outcome = await self.platform.writer.run(self._finish, row, url, code, error, retry_after, latency_ms,
                                                 sent_at)
        if self.platform.metrics is not None:
            self.platform.metrics.observe_delivery(row.to_party, outcome, latency_ms / 1000)
        if outcome == "dead":
            log.warning("webhook dead-lettered", extra={"message_id": row.id, "to_party": row.to_party,
                                                        "attempts": row.attempts + 1})

    def _finish(self, s, row, url: str, code: int | None, error: str | None, retry_after: float | None,
                latency_ms: float, sent_at: datetime) -> str:
        """Records one attempt's outcome in the writer's transaction `s`; returns the outcome."""
        p = self.platform
        o, a = p.tables.outbox, p.tables.attempt
        now = self.clock()
        attempt_no = row.attempts + 1
        if error is None:
            values = dict(status="delivered", attempts=attempt_no, delivered_at=now, last_status_code=code,
                          last_error=None, locked_until=None)
            outcome = "delivered"
        elif attempt_no >= self.settings.relay_max_attempts:
            values = dict(status="dead", attempts=attempt_no, last_status_code=code, last_error=error,
                          locked_until=None)
            outcome = "dead"
        else:
            wait = full_jitter(attempt_no, self.settings.relay_backoff_base_s, self.settings.relay_backoff_max_s,
                               self.rng)
            if retry_after is not None:
                wait = max(wait, retry_after)
            values = dict(status="pending", attempts=attempt_no, next_attempt_at=now + timedelta(seconds=wait),
                          last_status_code=code, last_error=error, locked_until=None, locked_by=None)
            outcome = "retry"
        # Only while this worker still holds the lease: if it expired and another worker
        # re-claimed the message, that worker's outcome is the one that counts.
        s.execute(update(o).where(o.c.id == row.id, o.c.status == "delivering",
                                  o.c.locked_by == self.worker_id).values(**values))
        insert_row(s, a, dict(message_id=row.id, attempt_no=attempt_no, worker=self.worker_id, url=url,
                              started_at=sent_at, latency_ms=latency_ms, status_code=code, error=error,
                              outcome=outcome))
        return outcome
