"""Group-commit writer: batched jobs commit together, a bad job fails alone, nothing is half-written."""
from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import func, insert, select, text

from shared import outbox
from shared.db import insert_row, utcnow
from shared.writer import BatchWriter
from tests.shared.minisvc.app import create_app, note, tables


@pytest.fixture
def platform(make_settings):
    from fastapi.testclient import TestClient

    app = create_app(make_settings())
    with TestClient(app):
        yield app.state.platform


def _add(session, note_id: str, *, fail: bool = False, enqueue: bool = True) -> str:
    session.execute(insert(note).values(id=note_id, text="t", status="new", created_at=utcnow()))
    if enqueue:
        outbox.enqueue(session, tables, from_party="op", to_party="bob", kind="note.created",
                       subject_type="note", subject_id=note_id, payload={"id": note_id})
    if fail:
        raise ValueError(f"job {note_id} refused")
    return note_id


def _count(platform, table) -> int:
    with platform.db.read_session() as s:
        return s.execute(select(func.count()).select_from(table)).scalar_one()


def _ids(platform) -> set[str]:
    with platform.db.read_session() as s:
        return set(s.scalars(select(note.c.id)))


async def _run_all(writer: BatchWriter, jobs):
    return await asyncio.gather(*(writer.run(fn, *args) for fn, args in jobs), return_exceptions=True)


def test_jobs_queued_together_commit_in_one_batch(platform):
    writer = BatchWriter(platform.db, name="t-writer")
    gate = threading.Event()
    # Hold the writer on a first job so the next 40 queue up behind it and form one batch.
    jobs = [(lambda s: gate.wait(5) and "first", ())] + [(_add, (f"n{i:03d}",)) for i in range(40)]

    async def main():
        task = asyncio.gather(*(writer.run(fn, *args) for fn, args in jobs))
        await asyncio.sleep(0.2)
        gate.set()
        return await task

    results = asyncio.run(main())
    writer.close()
    assert results == ["first", *[f"n{i:03d}" for i in range(40)]]
    assert _ids(platform) == {f"n{i:03d}" for i in range(40)}
    assert _count(platform, tables.outbox) == 40 and _count(platform, tables.trace) == 40
    assert writer.jobs == 41 and writer.batches <= 2


def test_a_failing_job_fails_alone_and_leaves_nothing_behind(platform):
    writer = BatchWriter(platform.db, name="t-writer")
    jobs = [(_add, (f"ok{i}",)) for i in range(10)]
    jobs.insert(3, (lambda s: _add(s, "bad1", fail=True), ()))
    jobs.insert(7, (lambda s: _add(s, "bad2", fail=True), ()))
    results = asyncio.run(_run_all(writer, jobs))
    writer.close()
    errors = [r for r in results if isinstance(r, Exception)]
    assert [str(e) for e in errors] == ["job bad1 refused", "job bad2 refused"]
    assert _ids(platform) == {f"ok{i}" for i in range(10)}
    # The failed jobs' outbox and trace rows went with them (deferred rows are discarded too).
    assert _count(platform, tables.outbox) == 10 and _count(platform, tables.trace) == 10


def test_a_commit_that_fails_is_retried_job_by_job(platform):
    """A duplicate key only found when the deferred rows are flushed: the batch falls back to one
    transaction per job, so only the job that owns the conflict fails."""
    writer = BatchWriter(platform.db, name="t-writer")
    gate = threading.Event()

    def deferred(session, note_id: str):
        insert_row(session, note, {"id": note_id, "text": "t", "status": "new", "created_at": utcnow()})
        return note_id

    async def main():
        first = asyncio.ensure_future(writer.run(lambda s: gate.wait(5)))
        await asyncio.sleep(0.1)
        rest = [asyncio.ensure_future(writer.run(deferred, i)) for i in ("a", "b", "a", "c")]
        await asyncio.sleep(0.1)
        gate.set()
        await first
        return await asyncio.gather(*rest, return_exceptions=True)

    results = asyncio.run(main())
    writer.close()
    assert results[0] == "a" and results[1] == "b" and results[3] == "c"
    assert isinstance(results[2], Exception)
    assert _ids(platform) == {"a", "b", "c"}


def test_many_concurrent_callers_all_get_their_own_result(platform):
    writer = BatchWriter(platform.db, name="t-writer", max_batch=16)
    n = 300
    results = asyncio.run(_run_all(writer, [(_add, (f"c{i:04d}",)) for i in range(n)]))
    writer.close()
    assert results == [f"c{i:04d}" for i in range(n)]
    assert len(_ids(platform)) == n and _count(platform, tables.outbox) == n
    assert writer.batches < n  # batched at least once


def test_results_arrive_only_after_commit(platform):
    """When a caller has its answer, another connection already sees the row."""
    writer = BatchWriter(platform.db, name="t-writer")

    async def main():
        seen = []
        for i in range(20):
            await writer.run(lambda s, i=i: _add(s, f"v{i}", enqueue=False))
            seen.append(f"v{i}" in _ids(platform))
        return seen

    assert all(asyncio.run(main()))
    writer.close()


def test_postgres_batches_take_the_union_of_their_locks_in_order(platform):
    if platform.db.is_sqlite:
        pytest.skip("advisory locks are PostgreSQL's; SQLite writers hold the database lock")
    writer = BatchWriter(platform.db, name="t-writer")
    seen = []

    def locks_held(session):
        rows = session.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                    "AND pid = pg_backend_pid()")).scalar_one()
        seen.append(rows)
        return rows

    async def main():
        return await writer.run(locks_held, locks=[("ns", "b"), ("ns", "a"), ("ns", "b")])

    assert asyncio.run(main()) == 2
    writer.close()
