"""Webhook endpoint health: 410 Gone disables an endpoint until an operator enables it again; each
endpoint has its own concurrency and time budget; the receiving side checks the timestamp tolerance
setting and the webhook-id header."""
from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from shared import outbox, webhooks
from shared.db import utcnow
from shared.relay import Relay
from shared.testing import live_server, wait_until
from tests.shared.minisvc.app import create_app
from tests.shared.receiver import Receiver, Reply

OP = {"authorization": "Bearer demo-op"}
ALICE = {"authorization": "Bearer demo-alice"}


def run_once(relay: Relay) -> int:
    return asyncio.run(relay.run_once())


def enqueue(p, to_party: str, n: int, *, target_url: str | None = None, tag: str = "m") -> list[str]:
    with p.db.session() as s:
        return [outbox.enqueue(s, p.tables, from_party="op", to_party=to_party, kind="note.created",
                               subject_type="note", subject_id=f"{tag}{i}", payload={"i": i}, target_url=target_url)
                for i in range(n)]


def statuses(c: TestClient) -> dict[str, int]:
    return c.get("/v1/ops/outbox", headers=OP).json()["counts"]


# -- 410 Gone -------------------------------------------------------------------------------------------

def test_410_disables_the_endpoint_until_the_operator_enables_it(make_settings, receiver, clock):
    with TestClient(create_app(make_settings(relay_max_attempts=8))) as c:
        p = c.app.state.platform
        r = c.put("/v1/ops/endpoints/bob", json={"url": receiver.hook_url}, headers=OP)
        receiver.secrets = [r.json()["signing_secret"]]
        relay = Relay(p, worker_id="t", clock=clock, rng=lambda: 1.0)
        receiver.default = Reply(410)
        first = enqueue(p, "bob", 2)

        assert run_once(relay) == 2
        assert statuses(c) == {"disabled": 2}
        attempts = c.get(f"/v1/ops/outbox/{first[0]}/attempts", headers=OP).json()
        assert [(a["status_code"], a["outcome"]) for a in attempts] == [(410, "gone")]
        state = {e["party"]: e for e in c.get("/v1/ops/endpoints", headers=OP).json()["items"]}["bob"]
        assert state["state"] == "disabled" and state["enabled"] is False
        assert state["disabled_by"] == "receiver (410 Gone)" and state["waiting"] == {"disabled": 2}
        assert c.get("/readyz").json()["webhooks"]["disabled"] == ["bob"]

        # No more retries, however long we wait; new messages wait too, without a request.
        later = enqueue(p, "bob", 1, tag="later")
        for _ in range(3):
            clock.advance(3600)
            run_once(relay)
        assert len(receiver.requests) == 2 and statuses(c) == {"disabled": 3}
        assert receiver.attempts_for(later[0]) == 0

        receiver.default = Reply(200)
        assert c.put("/v1/ops/endpoints/bob", json={"url": receiver.hook_url, "enabled": True},
                     headers=OP).status_code == 200
        assert run_once(relay) == 3
        assert statuses(c) == {"delivered": 3}
        assert all(receiver.delivered[m] == 1 for m in [*first, *later]) and receiver.duplicates == 0


def test_410_from_a_subscription_url_is_not_retried(make_settings, receiver, clock):
    with TestClient(create_app(make_settings(relay_max_attempts=8))) as c:
        p = c.app.state.platform
        receiver.default = Reply(410)
        (mid,) = enqueue(p, "bob", 1, target_url=receiver.hook_url)
        relay = Relay(p, worker_id="t", clock=clock, rng=lambda: 1.0)
        assert run_once(relay) == 1
        clock.advance(3600)
        assert run_once(relay) == 0
        (msg,) = c.get("/v1/ops/outbox", params={"status": "dead"}, headers=OP).json()["items"]
        assert msg["id"] == mid and msg["attempts"] == 1 and "410" in msg["last_error"]


def test_operator_disabled_endpoint_holds_messages_in_demo_mode_too(make_settings, receiver):
    with TestClient(create_app(make_settings())) as c:
        p = c.app.state.platform
        c.put("/v1/ops/endpoints/bob", json={"url": receiver.hook_url, "enabled": False}, headers=OP)
        enqueue(p, "bob", 1)
        assert run_once(Relay(p, worker_id="t")) == 1
        assert statuses(c) == {"disabled": 1} and receiver.requests == []
        with p.db.read_session() as s:  # and not handed to the simulated bob either
            assert s.scalar(select(func.count()).select_from(p.tables.inbox)) == 0
        state = {e["party"]: e for e in c.get("/v1/ops/endpoints", headers=OP).json()["items"]}["bob"]
        assert state["disabled_by"] == "operator"


# -- per-endpoint budgets -------------------------------------------------------------------------------

class Gated:
    """A slow endpoint: every request waits until the test opens the gate. Counts requests in flight."""

    def __init__(self):
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.done: list[str] = []

    def app(self) -> Starlette:
        async def hook(request: Request) -> JSONResponse:
            with self.lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            await asyncio.to_thread(self.gate.wait, 60)
            with self.lock:
                self.in_flight -= 1
                self.done.append(request.headers["webhook-id"])
            return JSONResponse({"ok": True})

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def test_a_slow_endpoint_does_not_hold_up_a_fast_one(make_settings):
    """One endpoint blocks every request; the other's deliveries — queued before and after the slow
    ones — complete while the slow endpoint still holds all its requests."""
    settings = make_settings(relay_concurrency=4, relay_endpoint_concurrency=2, relay_timeout_s=60,
                             relay_poll_interval_s=0.05, relay_batch_size=50)
    slow, fast = Gated(), Receiver()
    events: list[tuple[str, str]] = []
    with TestClient(create_app(settings)) as c, live_server(slow.app()) as slow_srv, fast.serve():
        p = c.app.state.platform
        c.put("/v1/ops/endpoints/bob", json={"url": f"{slow_srv.url}/hook"}, headers=OP)
        c.put("/v1/ops/endpoints/alice", json={"url": fast.hook_url}, headers=OP)
        slow_ids = enqueue(p, "bob", 8, tag="slow")
        fast_before = enqueue(p, "alice", 4, tag="fast")
        stop = asyncio.Event()
        loop = asyncio.new_event_loop()
        runner = threading.Thread(target=loop.run_until_complete, args=(p.relay.run(stop),), daemon=True)
        runner.start()
        try:
            wait_until(lambda: all(fast.delivered[m] for m in fast_before))
            events.append(("fast-before", f"slow done {len(slow.done)}"))
            wait_until(lambda: slow.in_flight == 2)
            fast_after = enqueue(p, "alice", 4, tag="later")
            p.relay.notify()
            wait_until(lambda: all(fast.delivered[m] for m in fast_after))
            events.append(("fast-after", f"slow done {len(slow.done)}"))
            assert slow.done == [] and slow.in_flight == 2 and slow.max_in_flight == 2
            slow.gate.set()
            wait_until(lambda: sorted(slow.done) == sorted(slow_ids))
        finally:
            slow.gate.set()
            loop.call_soon_threadsafe(stop.set)
            runner.join(30)
            loop.close()
    assert events == [("fast-before", "slow done 0"), ("fast-after", "slow done 0")]
    assert slow.max_in_flight == 2, "never more than the endpoint's concurrency at once"


def drip_app(gate: threading.Event) -> Starlette:
    """Answers 200 one byte at a time, a little faster than any per-read timeout, until `gate` opens."""
    async def body():
        for _ in range(400):
            if gate.is_set():
                break
            yield b" "
            await asyncio.sleep(0.05)

    async def hook(request: Request) -> StreamingResponse:
        return StreamingResponse(body(), media_type="application/json")

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def test_a_slow_drip_answer_is_cut_at_the_time_budget(make_settings, clock):
    """The budget covers the whole exchange, not each read: a receiver trickling its answer cannot keep
    a delivery slot for longer than `relay_timeout_s`."""
    gate = threading.Event()
    with TestClient(create_app(make_settings(relay_timeout_s=0.3))) as c, live_server(drip_app(gate)) as srv:
        p = c.app.state.platform
        c.put("/v1/ops/endpoints/bob", json={"url": f"{srv.url}/hook"}, headers=OP)
        (mid,) = enqueue(p, "bob", 1)
        try:
            assert run_once(Relay(p, worker_id="t", clock=clock)) == 1
        finally:
            gate.set()
        (attempt,) = c.get(f"/v1/ops/outbox/{mid}/attempts", headers=OP).json()
        assert attempt["error"] == "timeout" and attempt["outcome"] == "retry"


# -- the receiving side: tolerance and webhook-id -------------------------------------------------------

def signed(secret: str, *, age_s: float = 0, msg_id: str = "msg_01TEST") -> tuple[bytes, dict[str, str]]:
    sent = utcnow() - timedelta(seconds=age_s)
    body = webhooks.envelope("note.created", sent, {"id": "note_x"})
    return body, webhooks.sign_headers([secret], msg_id, sent, body)


@pytest.mark.parametrize(("tolerance", "age", "accepted"), [(30, 60, False), (30, 10, True), (900, 600, True),
                                                           (300, 600, False)])
def test_webhook_tolerance_setting_is_the_receivers_window(make_settings, tolerance, age, accepted):
    with TestClient(create_app(make_settings(webhook_tolerance_s=tolerance))) as c:
        secret = webhooks.party_secret(c.app.state.platform.settings.secret_key.get_secret_value(), "bob", 1)
        body, headers = signed(secret, age_s=age)
        r = c.post("/sim/bob/webhooks", content=body, headers=headers)
        assert (r.status_code == 200) is accepted, r.text
        if not accepted:
            assert "too old" in r.json()["detail"] and f"{tolerance} s" in r.json()["detail"]


@pytest.fixture(scope="module")
def sim_client(tmp_path_factory):
    from shared import testing
    from tests.shared.minisvc.app import MiniSettings

    overrides = testing.database_overrides(tmp_path_factory.mktemp("wid"), "minisvc")
    with TestClient(create_app(MiniSettings(**overrides, relay_enabled=False, autopilot_enabled=False))) as c:
        yield c
    testing.drop_schema(overrides.get("db_schema"))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(alphabet="abcXYZ019_-", min_size=65, max_size=6000),
                 st.text(min_size=1, max_size=40).filter(
                     lambda t: t == t.strip() and not all(ch.isascii() and (ch.isalnum() or ch in "._:~-") for ch in t))))
def test_unreasonable_webhook_id_is_a_400_naming_the_header(sim_client, wid):
    secret = webhooks.party_secret(sim_client.app.state.platform.settings.secret_key.get_secret_value(), "bob", 1)
    body, headers = signed(secret, msg_id="msg_ok")
    p = sim_client.app.state.platform
    with p.db.read_session() as s:
        before = s.scalar(select(func.count()).select_from(p.tables.inbox))
    try:
        headers["webhook-id"] = wid
        r = sim_client.post("/sim/bob/webhooks", content=body, headers=headers)
    except (UnicodeEncodeError, ValueError):  # a header value no HTTP client can send
        return
    assert r.status_code == 400, r.text
    problem = r.json()
    assert problem["errors"][0]["field"] == "webhook-id" and "webhook-id" in problem["detail"]
    with p.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(p.tables.inbox)) == before


def test_5000_character_webhook_id_refused_but_64_accepted(sim_client):
    secret = webhooks.party_secret(sim_client.app.state.platform.settings.secret_key.get_secret_value(), "bob", 1)
    body, headers = signed(secret, msg_id="x" * 5000)
    r = sim_client.post("/sim/bob/webhooks", content=body, headers=headers)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    body, headers = signed(secret, msg_id="y" * 64)
    assert sim_client.post("/sim/bob/webhooks", content=body, headers=headers).status_code == 200


def test_a_full_simulated_party_is_left_out_of_the_claim(make_settings):
    """Demo mode: a simulated party with a backlog and no free slot does not fill the candidates of the
    claim, so the next party's message is claimed (batch 2 → 8 candidates, 20 of them for bob)."""
    settings = make_settings(relay_batch_size=2, relay_endpoint_concurrency=1)
    with TestClient(create_app(settings)) as c:
        p = c.app.state.platform
        enqueue(p, "bob", 20, tag="bob")
        (for_alice,) = enqueue(p, "alice", 1, tag="alice")
        relay = Relay(p, worker_id="t", transport=httpx.ASGITransport(c.app))
        from shared.relay import CLAIM_AHEAD

        relay._queued["sim:bob"] = CLAIM_AHEAD * 1  # bob's slots and queue are taken by deliveries in progress

        async def dispatch():
            from shared.relay import _Budget

            async with relay._client() as client:
                n, tasks = await relay._dispatch(client, _Budget(1, 4), continuous=True)
                await asyncio.gather(*tasks)
                return n

        assert asyncio.run(dispatch()) == 1
        assert c.get("/v1/ops/outbox", params={"party": "alice"}, headers=OP).json()["items"][0]["id"] == for_alice
        assert statuses(c) == {"pending": 20, "delivered": 1}


def test_a_drained_batch_waiting_for_its_endpoint_keeps_its_lease(make_settings, receiver):
    """`drain` claims a whole batch for one endpoint that takes one delivery at a time: messages waiting
    for the slot longer than the lease renew it (or leave it to the worker that took it over), so a
    second worker never delivers one of them again."""
    settings = make_settings(relay_endpoint_concurrency=1, relay_lease_s=2.0, relay_timeout_s=1.5,
                             relay_poll_interval_s=0.05)
    receiver.default = Reply(200, sleep_s=0.5)
    with TestClient(create_app(settings)) as c:
        p = c.app.state.platform
        c.put("/v1/ops/endpoints/bob", json={"url": receiver.hook_url}, headers=OP)
        ids = enqueue(p, "bob", 8)
        other = Relay(p, worker_id="w2")
        stop = asyncio.Event()
        loop = asyncio.new_event_loop()
        runner = threading.Thread(target=loop.run_until_complete, args=(other.run(stop),), daemon=True)
        try:
            drained = threading.Thread(target=lambda: asyncio.run(Relay(p, worker_id="w1").drain()))
            drained.start()
            wait_until(lambda: receiver.requests)  # w1 holds the batch; w2 starts polling for expired leases
            runner.start()
            drained.join(60)
            wait_until(lambda: statuses(c) == {"delivered": 8}, timeout=30)
        finally:
            loop.call_soon_threadsafe(stop.set)
            runner.join(30)
            loop.close()
    assert [receiver.attempts_for(m) for m in ids] == [1] * 8 and receiver.duplicates == 0


def test_the_trainer_pages_show_messages_waiting_for_an_operator(tmp_path):
    """The public activity fragment (aggregate counts only) lists held messages when there are any."""
    from services.roadkill.app import create_app as roadkill_app
    from services.roadkill.config import Settings
    from shared import testing

    overrides = testing.database_overrides(tmp_path, "roadkill")
    try:
        app = roadkill_app(Settings(**overrides, relay_enabled=False, autopilot_enabled=False, seed_on_start=False))
        with TestClient(app) as c:
            p = c.app.state.platform
            before = c.get("/ui/partials/activity").text
            assert "Disabled" not in before and "No-endpoint" not in before
            c.put("/v1/ops/endpoints/acrc", json={"url": "http://127.0.0.1:9/off", "enabled": False},
                  headers={"authorization": "Bearer demo-chungnam"})
            enqueue(p, "acrc", 2)
            assert run_once(Relay(p, worker_id="t")) == 2
            page = c.get("/ui/partials/activity").text
            assert "<dt>Disabled</dt><dd>2</dd>" in page
    finally:
        testing.drop_schema(overrides.get("db_schema"))
