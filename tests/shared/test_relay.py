"""Outbox → relay → party endpoint over real HTTP: retries, dead letters, Retry-After, restarts."""
from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from shared import outbox, webhooks
from shared.db import utcnow
from shared.platform import Platform
from shared.relay import Relay
from shared.testing import free_port, live_server, using_postgres, wait_until
from tests.shared.minisvc.app import SPEC, create_app, note
from tests.shared.receiver import Reply

OP = {"authorization": "Bearer demo-op"}
ALICE = {"authorization": "Bearer demo-alice"}


def bob_secret(settings, version: int = 1) -> str:
    return webhooks.party_secret(settings.secret_key.get_secret_value(), "bob", version)


def point_bob_at(c: TestClient, url: str, version: int = 1) -> str:
    r = c.put("/v1/ops/endpoints/bob", json={"url": url, "secret_version": version}, headers=OP)
    assert r.status_code == 200, r.text
    return r.json()["signing_secret"]


def create_note(c: TestClient, text: str = "hello") -> tuple[str, str]:
    """Creates a note (which queues `note.created` to bob); returns (note id, message id)."""
    r = c.post("/v1/notes", json={"text": text}, headers=ALICE)
    assert r.status_code == 201, r.text
    nid = r.json()["id"]
    trace = c.get("/v1/ops/trace", params={"subject_type": "note", "subject_id": nid}, headers=OP).json()
    return nid, trace["events"][0]["message_id"]


def message(c: TestClient, mid: str) -> dict:
    items = c.get("/v1/ops/outbox", headers=OP).json()["items"]
    return next(m for m in items if m["id"] == mid)


def run_once(relay: Relay) -> int:
    return asyncio.run(relay.run_once())


# The relay's time budget per delivery: generous, so that a loaded machine cannot turn a quick answer into
# a timeout and an extra attempt, except in the test whose outage is the timeout.
TIMEOUT_S = 10.0
SHORT_TIMEOUT_S = 0.5


@pytest.fixture
def setup(request, make_settings, receiver, clock):
    """An app whose party bob is the external receiver, and a relay on a simulated clock."""
    timeout = getattr(request, "param", TIMEOUT_S)
    settings = make_settings(relay_max_attempts=3, relay_backoff_base_s=10.0, relay_timeout_s=timeout)
    with TestClient(create_app(settings)) as c:
        receiver.secrets = [point_bob_at(c, receiver.hook_url)]
        relay = Relay(c.app.state.platform, worker_id="t1", clock=clock, rng=lambda: 1.0)
        yield c, relay


def test_500_twice_then_200_delivers_once_after_backoff(setup, receiver, clock):
    c, relay = setup
    receiver.script = [Reply(500), Reply(500)]
    _, mid = create_note(c)

    assert run_once(relay) == 1
    assert message(c, mid)["status"] == "pending"
    assert run_once(relay) == 0, "not due before the backoff elapsed"
    clock.advance(10)  # attempt 1 → wait base·2⁰ = 10 s (rng pinned to 1.0)
    assert run_once(relay) == 1
    clock.advance(19)
    assert run_once(relay) == 0, "second backoff is base·2¹ = 20 s"
    clock.advance(1)
    assert run_once(relay) == 1

    assert receiver.delivered[mid] == 1 and receiver.attempts_for(mid) == 3
    m = message(c, mid)
    assert m["status"] == "delivered" and m["attempts"] == 3 and m["last_status_code"] == 200
    attempts = c.get(f"/v1/ops/outbox/{mid}/attempts", headers=OP).json()
    assert [a["status_code"] for a in attempts] == [500, 500, 200]
    assert [a["outcome"] for a in attempts] == ["retry", "retry", "delivered"]
    assert all(a["latency_ms"] >= 0 and a["worker"] == "t1" for a in attempts)
    assert attempts[0]["url"] == receiver.hook_url


def test_dead_letter_then_redrive_delivers_once(setup, receiver, clock):
    c, relay = setup
    receiver.default = Reply(500)
    _, mid = create_note(c)
    for _ in range(3):  # RELAY_MAX_ATTEMPTS=3
        assert run_once(relay) == 1
        clock.advance(3600)
    assert run_once(relay) == 0
    dead = c.get("/v1/ops/outbox", params={"status": "dead"}, headers=OP).json()
    assert [m["id"] for m in dead["items"]] == [mid]
    assert dead["items"][0]["last_error"] == "HTTP 500" and dead["counts"]["dead"] == 1
    assert receiver.delivered[mid] == 0

    receiver.default = Reply(200)  # the party recovers
    r = c.post(f"/v1/ops/outbox/{mid}/redrive", headers=OP)
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert c.post(f"/v1/ops/outbox/{mid}/redrive", headers=OP).status_code == 409
    assert run_once(relay) == 1
    assert receiver.delivered[mid] == 1 and receiver.duplicates == 0
    assert message(c, mid)["status"] == "delivered"
    assert c.get("/v1/ops/outbox", params={"status": "dead"}, headers=OP).json()["items"] == []


def test_ops_endpoints_need_the_operator(setup):
    c, _ = setup
    assert c.get("/v1/ops/outbox", headers=ALICE).status_code == 403
    assert c.post("/v1/ops/outbox/msg_x/redrive", headers=OP).status_code == 404


@pytest.mark.parametrize("header", ["120", "HTTP-DATE"])
def test_retry_after_is_honoured(make_settings, receiver, clock, header):
    settings = make_settings(relay_backoff_base_s=0.01)
    with TestClient(create_app(settings)) as c:
        receiver.secrets = [point_bob_at(c, receiver.hook_url)]
        relay = Relay(c.app.state.platform, clock=clock, rng=lambda: 1.0)
        before = clock.now
        if header == "HTTP-DATE":
            from email.utils import format_datetime
            header = format_datetime(before + timedelta(seconds=121), usegmt=True)
        receiver.script = [Reply(503, headers={"Retry-After": header})]
        _, mid = create_note(c)
        assert run_once(relay) == 1
        o = SPEC.tables.outbox
        with c.app.state.platform.db.read_session() as s:
            nxt = s.scalar(select(o.c.next_attempt_at).where(o.c.id == mid))
        assert nxt >= before + timedelta(seconds=120)
        clock.advance(60)
        assert run_once(relay) == 0
        clock.advance(62)
        assert run_once(relay) == 1 and receiver.delivered[mid] == 1


@pytest.mark.parametrize("setup", [SHORT_TIMEOUT_S], indirect=True)
def test_timeout_and_connection_refused_count_as_failures(setup, receiver, clock):
    c, relay = setup
    receiver.script = [Reply(200, sleep_s=4 * SHORT_TIMEOUT_S)]
    _, slow = create_note(c, "slow")
    assert run_once(relay) == 1
    attempts = c.get(f"/v1/ops/outbox/{slow}/attempts", headers=OP).json()
    assert attempts[0]["error"] == "timeout" and attempts[0]["status_code"] is None
    assert attempts[0]["outcome"] == "retry"

    dead_port = free_port()  # nothing listens there
    with c.app.state.platform.db.session() as s:
        refused = outbox.enqueue(s, SPEC.tables, from_party="op", to_party="bob", kind="ping",
                                 subject_type="note", subject_id="n1", payload={"x": 1},
                                 target_url=f"http://127.0.0.1:{dead_port}/hook")
    clock.advance(10)
    assert run_once(relay) == 2
    attempts = c.get(f"/v1/ops/outbox/{refused}/attempts", headers=OP).json()
    assert attempts[0]["status_code"] is None and "Connect" in attempts[0]["error"]
    assert message(c, refused)["status"] == "pending"


def test_outbox_row_only_with_the_business_change(client):
    p = client.app.state.platform
    t = p.tables
    with pytest.raises(RuntimeError), p.db.session() as s:
        s.execute(insert(note).values(id="note_rollback", text="x", status="new",
                                      created_at=utcnow()))
        outbox.enqueue(s, t, from_party="alice", to_party="bob", kind="note.created", subject_type="note",
                       subject_id="note_rollback", payload={"id": "note_rollback"})
        raise RuntimeError("business rule failed after enqueue")
    with p.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(t.outbox)) == 0
        assert s.scalar(select(func.count()).select_from(t.trace)) == 0
        assert s.scalar(select(func.count()).select_from(note)) == 0

    # Committed: the note, its message and its trace hop all exist.
    nid = client.post("/v1/notes", json={"text": "kept"}, headers=ALICE).json()["id"]
    with p.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(t.outbox).where(t.outbox.c.subject_id == nid)) == 1
        assert s.scalar(select(func.count()).select_from(t.trace).where(t.trace.c.subject_id == nid)) == 1


def test_message_committed_before_a_crash_is_delivered_after_restart(make_settings, receiver):
    settings = make_settings(relay_enabled=False)
    with TestClient(create_app(settings)) as c:  # the process that "dies" before delivering
        receiver.secrets = [point_bob_at(c, receiver.hook_url)]
        _, mid = create_note(c)
    assert receiver.requests == []
    restarted = make_settings(relay_enabled=True, relay_poll_interval_s=0.05)
    with TestClient(create_app(restarted)) as c:
        wait_until(lambda: receiver.delivered[mid] == 1, timeout=15)
        wait_until(lambda: message(c, mid)["status"] == "delivered", timeout=15)
    assert receiver.delivered[mid] == 1 and receiver.duplicates == 0


def test_end_to_end_with_simulated_party(make_settings):
    """Relay in the app's own loop → /sim/bob/webhooks → inbox → autopilot acts as bob."""
    port = free_port()
    settings = make_settings(relay_enabled=True, autopilot_enabled=True, relay_poll_interval_s=0.05,
                             autopilot_poll_interval_s=0.05, port=port,
                             public_base_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    with live_server(app, port=port) as server:
        import httpx

        with httpx.Client(base_url=server.url, headers=ALICE) as h:
            nid = h.post("/v1/notes", json={"text": "hi"}).json()["id"]
            wait_until(lambda: h.get(f"/v1/notes/{nid}", headers=OP).json()["status"] == "acked", timeout=15)
            events = h.get("/v1/ops/trace", params={"subject_type": "note", "subject_id": nid},
                           headers=OP).json()["events"]
    assert [(e["from"], e["to"], e["kind"]) for e in events] == [
        ("alice", "bob", "note.created"), ("bob", "op", "note.acked")]
    assert events[0]["status"] == "delivered"


@pytest.mark.skipif(not using_postgres(), reason="concurrent relay workers need FOR UPDATE SKIP LOCKED "
                                                 "(PostgreSQL); SQLite serialises writers anyway")
def test_two_workers_deliver_each_message_exactly_once(make_settings, receiver):
    n = 1000
    settings = make_settings(relay_batch_size=50, relay_concurrency=16)
    with TestClient(create_app(settings)):
        pass  # migrations
    receiver.secrets = [bob_secret(settings)]
    platforms = [Platform(SPEC, settings) for _ in range(2)]
    try:
        with platforms[0].db.session() as s:
            ids = {outbox.enqueue(s, SPEC.tables, from_party="alice", to_party="bob", kind="bulk",
                                  subject_type="note", subject_id=f"n{i}", payload={"i": i},
                                  target_url=receiver.hook_url) for i in range(n)}
        relays = [Relay(p, worker_id=f"w{i}") for i, p in enumerate(platforms)]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def work(relay: Relay) -> None:
            try:
                barrier.wait()
                asyncio.run(relay.drain(max_rounds=1000))
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(r,)) for r in relays]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors
        assert set(receiver.delivered) == ids
        assert all(v == 1 for v in receiver.delivered.values())
        assert receiver.duplicates == 0 and len(receiver.requests) == n
        a = SPEC.tables.attempt
        with platforms[0].db.read_session() as s:
            per_worker = dict(s.execute(select(a.c.worker, func.count()).group_by(a.c.worker)).all())
            statuses = outbox.counts(s, SPEC.tables)
        assert statuses == {"delivered": n}
        assert sum(per_worker.values()) == n and set(per_worker) == {"w0", "w1"}
    finally:
        for p in platforms:
            p.db.dispose()
