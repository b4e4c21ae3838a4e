"""Server-sent events for live trainer pages: an in-process hub plus a DB-polling fallback."""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import Request
from fastapi.responses import StreamingResponse

if TYPE_CHECKING:
    from shared.platform import Platform

log = logging.getLogger("shared.ui.sse")

HEARTBEAT_S = 15.0  # below the 30-60 s idle timeouts of common proxies
POLL_S = 1.0
QUEUE_MAX = 256  # per subscriber; a stalled browser must not grow memory without bound
RETRY_MS = 3000  # how long EventSource waits before reconnecting

# A topic's version, computed by a blocking function (usually one SELECT max(...)):
# when it changes, subscribers of the topic get an event. Runs in a worker thread.
VersionFn = Callable[[], Any]


@dataclass(frozen=True)
class Event:
    topic: str
    data: Any
    id: int


@dataclass(eq=False)  # identity semantics: kept in a set
class _Subscriber:
    topics: frozenset[str]
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_MAX))

    def wants(self, topic: str) -> bool:
        return topic in self.topics or "*" in self.topics

    def offer(self, event: Event) -> None:
        # Runs on the subscriber's own loop (via call_soon_threadsafe), so no locking.
        if self.queue.full():
            # Drop the oldest: pages re-fetch whole regions, so the newest event is what matters.
            self.queue.get_nowait()
        self.queue.put_nowait(event)


class EventHub:
    """Fan-out of `publish(topic, data)` to every async subscriber of that topic in this process.

    `publish` is safe from any thread (sync routes run in the thread pool) and never blocks:
    it only schedules a callback on each subscriber's event loop.
    """

    def __init__(self) -> None:
        self._subs: set[_Subscriber] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subs)

    def publish(self, topic: str, data: Any = None) -> int:
        """Delivers to current subscribers; returns how many were notified. Never raises for a closed loop."""
        event = Event(topic, data, next(self._ids))
        with self._lock:
            targets = [s for s in self._subs if s.wants(topic)]
        sent = 0
        for sub in targets:
            try:
                sub.loop.call_soon_threadsafe(sub.offer, event)
                sent += 1
            except RuntimeError:  # loop closed: the server stopped; its subscriber is gone too
                self._discard(sub)
        return sent

    def publish_after_commit(self, session: Any, topic: str, data: Any = None) -> None:
        """Publishes once `session` commits (nothing on rollback).

        Publishing before commit would make a browser re-fetch a region before the change
        is visible to the read it triggers.
        """
        from sqlalchemy import event as sa_event

        def _after_commit(_session: Any) -> None:
            self.publish(topic, data)

        def _after_rollback(_session: Any) -> None:
            if sa_event.contains(session, "after_commit", _after_commit):
                sa_event.remove(session, "after_commit", _after_commit)

        sa_event.listen(session, "after_commit", _after_commit, once=True)
        sa_event.listen(session, "after_rollback", _after_rollback, once=True)

    def _discard(self, sub: _Subscriber) -> None:
        with self._lock:
            self._subs.discard(sub)

    async def subscribe(self, topics: Iterable[str], *, versions: Mapping[str, VersionFn] | None = None,
                        heartbeat_s: float = HEARTBEAT_S, poll_s: float = POLL_S,
                        ) -> AsyncIterator[Event | None]:
        """Yields events for `topics`; yields None when `heartbeat_s` passed without one.

        `versions` maps a topic to a version function polled every `poll_s` seconds: a change
        made by another process (a relay worker, a second replica) then still reaches the page.
        The subscription is removed when the generator is closed or cancelled (client gone).
        """
        sub = _Subscriber(frozenset(topics), asyncio.get_running_loop())
        with self._lock:
            self._subs.add(sub)
        poller = None
        if versions:
            poller = asyncio.create_task(self._poll(sub, versions, poll_s), name="sse-version-poll")
        try:
            while True:
                try:
                    yield await asyncio.wait_for(sub.queue.get(), timeout=heartbeat_s)
                except TimeoutError:
                    yield None
        finally:
            self._discard(sub)
            if poller is not None:
                poller.cancel()

    async def _poll(self, sub: _Subscriber, versions: Mapping[str, VersionFn], poll_s: float) -> None:
        last: dict[str, Any] = {}
        first = True
        while True:
            tick: dict[int, Any] = {}  # topics sharing one version function cost one query per tick
            for topic, fn in versions.items():
                try:
                    if id(fn) not in tick:
                        # Blocking DB read: keep it off the event loop.
                        tick[id(fn)] = await anyio.to_thread.run_sync(fn)
                    current = tick[id(fn)]
                except Exception:  # a failing poll must not kill the stream; the next tick retries
                    log.warning("version poll failed", extra={"topic": topic}, exc_info=True)
                    continue
                if not first and current != last.get(topic):
                    sub.offer(Event(topic, {"version": _jsonable(current), "source": "poll"},
                                    next(self._ids)))
                last[topic] = current
            first = False
            await asyncio.sleep(poll_s)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def format_event(event: Event | None) -> str:
    """One SSE frame; a comment line for heartbeats (ignored by EventSource, keeps proxies open)."""
    if event is None:
        return ": ping\n\n"
    data = json.dumps(event.data, default=str, separators=(",", ":"))
    # json.dumps never emits a raw newline, so the payload fits one `data:` line.
    return f"id: {event.id}\nevent: {event.topic}\ndata: {data}\n\n"


async def event_stream(hub: EventHub, topics: Iterable[str], *, versions: Mapping[str, VersionFn] | None = None,
                       heartbeat_s: float = HEARTBEAT_S) -> AsyncIterator[str]:
    # A first frame at once: sets the reconnect delay and tells the page the stream is open.
    yield f"retry: {RETRY_MS}\nevent: ready\ndata: {{}}\n\n"
    stream = hub.subscribe(topics, versions=versions, heartbeat_s=heartbeat_s)
    try:
        async for event in stream:
            yield format_event(event)
    finally:
        await stream.aclose()


def sse_response(request: Request, hub: EventHub, topics: Iterable[str], *,
                 versions: Mapping[str, VersionFn] | None = None,
                 heartbeat_s: float = HEARTBEAT_S) -> StreamingResponse:
    """A `text/event-stream` response of `topics` (Starlette cancels it when the client disconnects)."""
    del request  # kept in the signature so callers can later filter by principal without an API change
    return StreamingResponse(
        event_stream(hub, list(topics), versions=versions, heartbeat_s=heartbeat_s),
        media_type="text/event-stream",
        # no-transform and X-Accel-Buffering stop proxies (nginx) from buffering the stream.
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"})


def hub_for(platform: Platform[Any]) -> EventHub:
    """The hub of one running service (`Platform.ui_hub`, created with the platform)."""
    return platform.ui_hub
