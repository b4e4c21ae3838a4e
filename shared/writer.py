"""Group commit: one writer thread runs many small write jobs in one transaction.

Why by hand: SQLite has one write lock per database, so N request threads each running
BEGIN IMMEDIATE … COMMIT queue up on that lock and pay a commit each; a single writer that
takes every job waiting in its queue and commits them together pays one BEGIN/COMMIT per
batch and never contends with itself. No library does this for SQLAlchemy sessions (it is
the pattern of PostgreSQL's own group commit and of SQLite's WAL writers, done in the app).

Guarantees:
- A job's future resolves only after its transaction has committed, so nothing is
  acknowledged before it is durable.
- A job that raises is rolled back with the whole batch, then the other jobs of the batch
  are run again without it: one bad job never makes another fail, never half-writes.
- No waiting to fill a batch: a batch is what is queued when the writer gets to it, so at
  low load each job is its own transaction and latency is one commit.
- On PostgreSQL, jobs name the advisory locks they need; the writer takes the union for the
  batch in one statement, in lock-id order, at its start, so batches in several processes never deadlock.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.db import Database, advisory_locks, defer_inserts, flush_inserts

log = logging.getLogger("shared.writer")
_STOP = object()


@dataclass(slots=True)
class _Job:
    fn: Callable[..., Any]
    args: tuple
    locks: tuple[tuple[str, str], ...]
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop
    outcome: tuple[bool, Any] | None = field(default=None)


class _JobFailed(Exception):
    def __init__(self, job: _Job, exc: BaseException):
        self.job, self.exc = job, exc


class BatchWriter:
    """`await writer.run(fn, *args)` runs `fn(session, *args)` in the writer thread's transaction."""

    def __init__(self, db: Database, *, name: str = "writer", max_batch: int = 64):
        self.db = db
        self.name = name
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.jobs = 0

    async def run(self, fn: Callable[..., Any], *args: Any, locks: Iterable[tuple[str, str]] = ()) -> Any:
        self._start()
        loop = asyncio.get_running_loop()
        job = _Job(fn, args, tuple(locks), loop.create_future(), loop)
        self._queue.put(job)
        # Shielded: a client that goes away must not cancel a job the writer may already
        # have committed; its outcome is simply not sent.
        return await asyncio.shield(job.future)

    def close(self, timeout: float = 10.0) -> None:
        """Runs what is queued, then stops the thread (a later `run` starts a new one)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            try:
                self._run_batch(batch)
            except BaseException as exc:  # never leave a caller waiting
                log.exception("writer batch failed")
                for job in batch:
                    if job.outcome is None:
                        job.outcome = (False, exc)
            for job in batch:
                self._resolve(job)
            if stop:
                return

    def _run_batch(self, batch: list[_Job]) -> None:
        pending = batch
        while pending:
            try:
                results = self._transaction(pending)
            except _JobFailed as failed:
                failed.job.outcome = (False, failed.exc)
                pending = [j for j in pending if j is not failed.job]
                continue
            except Exception as exc:
                # The commit itself failed (database gone, disk full…): nothing of this batch is
                # stored. Alone, the job gets the error; in a batch, each one tries on its own.
                if len(pending) == 1:
                    pending[0].outcome = (False, exc)
                    return
                for job in pending:
                    try:
                        job.outcome = (True, self._transaction([job])[0])
                    except _JobFailed as failed:
                        job.outcome = (False, failed.exc)
                    except Exception as single:
                        job.outcome = (False, single)
                return
            for job, result in zip(pending, results, strict=True):
                job.outcome = (True, result)
            self.batches += 1
            self.jobs += len(pending)
            return

    def _transaction(self, jobs: list[_Job]) -> list[Any]:
        results = []
        with self.db.session() as session:
            advisory_locks(session, [lock for job in jobs for lock in job.locks])
            defer_inserts(session)
            for job in jobs:
                try:
                    results.append(job.fn(session, *job.args))
                except Exception as exc:
                    raise _JobFailed(job, exc) from exc
            flush_inserts(session)
        return results

    @staticmethod
    def _resolve(job: _Job) -> None:
        ok, value = job.outcome

        def settle() -> None:
            if job.future.done():
                return
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)

        try:
            job.loop.call_soon_threadsafe(settle)
        except RuntimeError:  # the caller's loop has closed
            pass
