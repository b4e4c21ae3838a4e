"""Outbox relay: claims due messages, POSTs them as signed webhooks, retries, dead-letters.

Each receiving endpoint (a URL's origin) has its own budget: at most `relay_endpoint_concurrency`
deliveries at once, each within `relay_timeout_s` from connect to last byte, and the running relay keeps
claiming for other endpoints while a slow one works through its queue (it never waits for a whole batch).
Outside demo mode every delivery re-vets its URL and connects to the vetted address (`shared.url_safety`).
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import anyio
import httpx

from shared import url_safety, webhooks
from shared.backoff import parse_retry_after
from shared.db import utcnow
from shared.endpoints import GONE, Target, origin
from shared.relay_claim import claim, record_outcome, renew

if TYPE_CHECKING:
    from shared.platform import Platform

log = logging.getLogger("shared.relay")


# How many messages an endpoint may hold claimed, in multiples of its concurrency: enough that its slots
# stay busy while the next claim waits its turn in the writer (at 2× a single busy endpoint fell behind a
# steady 100 reports/s: bench scenario 3, docs/performance.md), few enough that a slow endpoint's backlog
# does not fill the batch meant for the others.
CLAIM_AHEAD = 4


class _Budget:
    """Concurrency of one event loop's deliveries: per endpoint (a URL's origin) and in all."""

    def __init__(self, per_endpoint: int, total: int):
        self.per_endpoint = per_endpoint
        self.total = asyncio.Semaphore(total)
        self.slots: dict[str, asyncio.Semaphore] = {}

    def slot(self, key: str) -> asyncio.Semaphore:
        return self.slots.setdefault(key, asyncio.Semaphore(self.per_endpoint))


class Relay:
    """Delivers the outbox of one service. Safe to run several at once (leases + SKIP LOCKED).

    `clock` drives scheduling only (tests pass a simulated clock); signatures always use
    the real time, because receivers check it against theirs. `resolver` resolves webhook hosts
    for the URL checks (tests inject a stub instead of real DNS).
    """

    def __init__(self, platform: Platform, *, worker_id: str | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], datetime] = utcnow, rng: Callable[[], float] = random.random,
                 resolver: url_safety.Resolver = url_safety.system_resolver):
        self.platform = platform
        self.settings = platform.settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{id(self) % 10000}"
        self.transport = transport
        self.clock = clock
        self.rng = rng
        self.resolver = resolver
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task] = set()
        self._queued: Counter[str] = Counter()  # claimed, not finished: per endpoint key
        self._queued_urls: Counter[str] = Counter()  # the same per subscription URL (claim exclusion)

    @property
    def policy(self) -> url_safety.Policy:
        """Which webhook URLs are allowed (demo mode: loopback and private too; see shared.url_safety)."""
        return url_safety.Policy(allow_local=self.settings.demo_mode, resolver=self.resolver)

    @property
    def per_endpoint(self) -> int:
        return max(1, self.settings.relay_endpoint_concurrency)

    # -- wake-up from committing threads -------------------------------------------------
    def notify(self) -> None:
        loop, event = self._loop, self._event
        if loop is not None and event is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass

    async def run(self, stop: asyncio.Event) -> None:
        """Claims and delivers until `stop`; never waits for a batch: a finished delivery frees its
        endpoint's slot and wakes the loop to claim more."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        budget = _Budget(self.per_endpoint, self.settings.relay_concurrency)
        async with self._client() as client:
            try:
                while not stop.is_set():
                    try:
                        n, _tasks = await self._dispatch(client, budget, continuous=True)
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
                    # Coalesce: every commit and every finished delivery wakes the loop, and each claim is a
                    # write transaction (on SQLite it waits for the one writer). Claiming at most once per
                    # gap takes what a burst made due together instead of one message per transaction.
                    await asyncio.sleep(self.settings.relay_claim_gap_s)
            finally:
                if self._tasks:
                    await asyncio.wait(set(self._tasks), timeout=self.settings.relay_timeout_s + 1.0)

    def _client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self.settings.relay_concurrency * 2)
        pinned = url_safety.PinnedTransport(lambda: self.policy, self.transport,
                                            make_pool=lambda: httpx.AsyncHTTPTransport(limits=limits))
        return httpx.AsyncClient(transport=pinned,
                                 timeout=self.settings.relay_timeout_s,
                                 headers={"user-agent": f"cpa-relay/{self.settings.service}"})

    async def run_once(self, client: httpx.AsyncClient | None = None) -> int:
        """Claims one batch and delivers it; returns how many messages were attempted or put on hold."""
        own = client is None
        client = client or self._client()
        try:
            n, tasks = await self._dispatch(client, _Budget(self.per_endpoint, self.settings.relay_concurrency),
                                            continuous=False)
            if tasks:
                await asyncio.gather(*tasks)
        finally:
            if own:
                await client.aclose()
        return n

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

    # -- scheduling --------------------------------------------------------------------
    async def _dispatch(self, client: httpx.AsyncClient, budget: _Budget, *,
                        continuous: bool) -> tuple[int, list[asyncio.Task]]:
        """Claims what is due and starts its deliveries. Running continuously, an endpoint is given at
        most CLAIM_AHEAD times its concurrency in claimed messages, so the rest of the batch goes to others."""
        limit, cap = self.settings.relay_batch_size, None
        exclude_parties: set[str] = set()
        exclude_urls: set[str] = set()
        if continuous:
            limit = min(limit, self.settings.relay_concurrency * 4 - len(self._tasks))
            if limit <= 0:
                return 0, []
            cap = CLAIM_AHEAD * self.per_endpoint
            full = {k for k, n in self._queued.items() if n >= cap}
            exclude_parties = {k.split(":", 1)[1] for k in full if k.startswith(("party:", "sim:"))}
            exclude_urls = {u for u, n in self._queued_urls.items() if n and origin(u) in full}
        # In the group-commit writer, like the outcomes: a claim is a write, and on SQLite its own transaction
        # would queue for the one write lock behind every batch of intakes.
        claimed, held = await self.platform.writer.run(
            lambda s: claim(s, self.platform, self.worker_id, self.clock(), limit, queued=dict(self._queued),
                            cap=cap, exclude_parties=exclude_parties, exclude_urls=exclude_urls))
        tasks = []
        for row, target in claimed:
            self._queued[target.key] += 1
            if row.target_url:
                self._queued_urls[row.target_url] += 1
            task = asyncio.create_task(self._run_one(client, budget, row, target))
            self._tasks.add(task)
            task.add_done_callback(self._done)
            tasks.append(task)
        return len(claimed) + held, tasks

    async def _run_one(self, client: httpx.AsyncClient, budget: _Budget, row, target: Target) -> None:
        try:
            queued_at = time.monotonic()
            async with budget.slot(target.key), budget.total:
                # Waited long for the endpoint's slot (a drained batch): renew the lease first, and leave
                # the message alone if it expired and another worker has taken it.
                if time.monotonic() - queued_at > self.settings.relay_lease_s / 3 and not await anyio.to_thread.run_sync(
                        renew, self.platform, self.worker_id, row.id, self.clock()):
                    return
                exchange = await self._exchange(client, row, target)
            # The slot is the endpoint's (requests in flight to it): recording the outcome waits for the
            # writer's next commit, and holding the slot meanwhile capped one busy endpoint below the rate
            # of intakes (bench scenario 3).
            await self._record(row, target, *exchange)
        finally:
            self._queued[target.key] -= 1
            if self._queued[target.key] <= 0:
                del self._queued[target.key]
            if row.target_url:
                self._queued_urls[row.target_url] -= 1
                if self._queued_urls[row.target_url] <= 0:
                    del self._queued_urls[row.target_url]

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook delivery failed", exc_info=task.exception())
        if self._event is not None:
            self._event.set()

    # -- delivering --------------------------------------------------------------------
    async def _exchange(self, client: httpx.AsyncClient, row,
                        target: Target) -> tuple[int | None, str | None, float | None, float, datetime]:
        """POSTs the signed message within the endpoint's time budget: (status, error, Retry-After,
        latency in ms, the time it was signed)."""
        secrets = webhooks.secrets_for(self.settings.secret_key.get_secret_value(), row.to_party,
                                       target.secret_version, include_previous=target.include_previous)
        sent_at = utcnow()
        body = webhooks.envelope(row.kind, sent_at, row.payload)
        headers = webhooks.sign_headers(secrets, row.id, sent_at, body)
        started = time.perf_counter()
        code: int | None = None
        error: str | None = None
        retry_after: float | None = None
        try:
            async with asyncio.timeout(self.settings.relay_timeout_s):  # the endpoint's time budget
                resp = await client.post(target.url, content=body, headers=headers)
            code = resp.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
                retry_after = parse_retry_after(resp.headers.get("retry-after"), self.clock())
        except (TimeoutError, httpx.TimeoutException):
            error = "timeout"
        except url_safety.UnsafeURLError as exc:
            error = f"refused before connecting: {exc}"[:500]
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        latency_ms = (time.perf_counter() - started) * 1000
        return code, error, retry_after, latency_ms, sent_at

    async def _record(self, row, target: Target, code: int | None, error: str | None, retry_after: float | None,
                      latency_ms: float, sent_at: datetime) -> None:
        # Through the service's group-commit writer: outcomes of a burst of deliveries (and the
        # intakes that caused them) share transactions instead of queueing for the write lock.
        outcome = await self.platform.writer.run(
            lambda tx: record_outcome(tx, self.platform, self.worker_id, row, target, code=code, error=error,
                                      retry_after=retry_after, latency_ms=latency_ms, sent_at=sent_at,
                                      now=self.clock(), rng=self.rng))
        if self.platform.metrics is not None:
            self.platform.metrics.observe_delivery(row.to_party, outcome, latency_ms / 1000)
        if outcome == "dead":
            log.warning("webhook dead-lettered", extra={"message_id": row.id, "to_party": row.to_party,
                                                        "attempts": row.attempts + 1})
        elif outcome == GONE:
            log.warning("webhook endpoint disabled: the receiver answered 410 Gone",
                        extra={"message_id": row.id, "to_party": row.to_party})

