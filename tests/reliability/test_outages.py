"""Partner outages against the real roadkill service: 500s, timeouts, refused connections.

Every party is pointed at a real receiver (tests/shared/receiver.py: verifies signatures, dedupes on
webhook-id) with `PUT /v1/ops/endpoints/{party}`. The relay runs on a simulated clock, so backoff is
exercised without sleeping. After the partner recovers every message has had its effect exactly once at
the receiver; past the attempt limit messages are dead-lettered, listed at GET /v1/ops/outbox?status=dead,
and a re-drive delivers them once.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shared import outbox, testing
from shared.relay import Relay
from shared.testing import LiveServer, free_port
from tests.reliability.roadkill_support import INTAKE, OPERATOR, SERVICE, TMAP, intake_path, voice_report
from tests.reliability.support import create_app, quiet_settings, record_figure
from tests.shared.conftest import SimClock
from tests.shared.receiver import Receiver, Reply
from tests.shared.webhook_schema import webhook_errors

MESSAGES = 20
MAX_ATTEMPTS = 4
BACKOFF_BASE_S = 10.0
# The relay's time budget per delivery. It is generous where a timeout is not the outage under test, so a
# loaded CI machine (a freshly started receiver, four deliveries at once) cannot turn a success into a
# timeout and an extra attempt; where it is the outage, the receiver sleeps three times the budget.
TIMEOUT_S = {"timeout": 1.0}
DEFAULT_TIMEOUT_S = 10.0


class RestartableReceiver:
    """The shared test receiver on a fixed port that can go away (connection refused) and come back."""

    def __init__(self) -> None:
        self.receiver = Receiver()
        self.port = free_port()
        self.server: LiveServer | None = None

    @property
    def hook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def up(self) -> None:
        self.server = LiveServer(self.receiver.app(), port=self.port).start()
        self.receiver.url = self.server.url

    def down(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@contextlib.contextmanager
def roadkill(tmp_path, relay_timeout_s: float = DEFAULT_TIMEOUT_S) -> Iterator[TestClient]:
    db = testing.database_overrides(tmp_path, SERVICE)
    try:
        app = create_app(SERVICE, **quiet_settings(db, tmp_path, relay_max_attempts=MAX_ATTEMPTS,
                                                   relay_backoff_base_s=BACKOFF_BASE_S,
                                                   relay_timeout_s=relay_timeout_s, seed_demo_incidents=False))
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c
    finally:
        testing.drop_schema(db.get("db_schema"))


def point_every_party_at(c: TestClient, rr: RestartableReceiver) -> None:
    secrets = []
    for party in c.app.state.platform.parties.codes():
        r = c.put(f"/v1/ops/endpoints/{party}", json={"url": rr.hook_url}, headers=OPERATOR)
        assert r.status_code == 200, r.text
        secrets.append(r.json()["signing_secret"])
    rr.receiver.secrets = secrets


def produce(c: TestClient, n: int, offset: int = 0) -> set[str]:
    """n partner messages from real intakes (voice reports → complaint to ACRC); returns the new message ids.

    Until the intake route exists the messages are queued with `shared.outbox.enqueue` in the roadkill
    database, which exercises the same relay and receiver.
    """
    p = c.app.state.platform
    o = p.tables.outbox
    with p.db.read_session() as s:
        before = set(s.scalars(select(o.c.id)))
    if intake_path():
        for i in range(offset, offset + n):
            r = c.post(INTAKE, json=voice_report(i), headers={**TMAP, "idempotency-key": f"outage-{i}"})
            assert r.status_code == 201, r.text
    else:
        with p.db.session() as s:
            for i in range(offset, offset + n):
                outbox.enqueue(s, p.tables, from_party="chungnam", to_party="acrc", kind="complaint.filed",
                               subject_type="incident", subject_id=f"inc_outage_{i}", payload={"n": i})
    with p.db.read_session() as s:
        new = set(s.scalars(select(o.c.id))) - before
    assert len(new) >= n
    return new


def relay_round(relay: Relay, clock: SimClock, advance_s: float = 3600) -> int:
    n = asyncio.run(relay.drain(max_rounds=20))
    clock.advance(advance_s)
    return n


def statuses(c: TestClient) -> dict[str, int]:
    p = c.app.state.platform
    with p.db.read_session() as s:
        return outbox.counts(s, p.tables)


def attempts_total(c: TestClient) -> int:
    p = c.app.state.platform
    with p.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(p.tables.attempt))


def attempts_by_round(c: TestClient) -> dict[tuple[int, str, str | None], int]:
    """(attempt_no, outcome, error) -> how many: what an unexpected attempt count is made of."""
    a = c.app.state.platform.tables.attempt
    with c.app.state.platform.db.read_session() as s:
        rows = s.execute(select(a.c.attempt_no, a.c.outcome, a.c.error, func.count())
                         .group_by(a.c.attempt_no, a.c.outcome, a.c.error)).all()
    return {(n, outcome, error): count for n, outcome, error, count in rows}


@pytest.mark.parametrize("outage", ["http_500", "timeout", "refused"])
def test_outage_then_recovery_delivers_every_message_exactly_once(outage, tmp_path):
    rr = RestartableReceiver()
    rr.up()
    try:
        with roadkill(tmp_path, TIMEOUT_S.get(outage, DEFAULT_TIMEOUT_S)) as c:
            point_every_party_at(c, rr)
            ids = produce(c, MESSAGES)
            clock = SimClock()  # after the intakes: every message is due at the first round
            relay = Relay(c.app.state.platform, worker_id="outage", clock=clock, rng=lambda: 1.0)
            # The partner is down for two attempts (less than the attempt limit).
            if outage == "http_500":
                rr.receiver.default = Reply(500)
            elif outage == "timeout":
                rr.receiver.default = Reply(200, sleep_s=3 * TIMEOUT_S["timeout"])
            else:
                rr.down()
            for _ in range(2):
                relay_round(relay, clock)
            assert statuses(c).get("delivered", 0) == 0
            assert statuses(c).get("pending", 0) == len(ids)
            # Recovery.
            rr.receiver.default = Reply(200)
            if outage == "refused":
                rr.up()
            for _ in range(3):
                relay_round(relay, clock)
            rec = rr.receiver
            assert statuses(c) == {"delivered": len(ids)}
            assert set(rec.delivered) == ids, "every message reached the receiver"
            assert all(v == 1 for v in rec.delivered.values()), "each had its effect exactly once"
            # Two failed rounds, then delivered: three attempts each.
            assert attempts_total(c) == 3 * len(ids), attempts_by_round(c)
            doc = c.get("/openapi.json").json()  # what arrived is what the OpenAPI `webhooks` promise
            assert {w: webhook_errors(doc, e["type"], e) for w, e in rec.payloads.items()} == \
                {w: [] for w in rec.payloads}
            if outage != "timeout":
                assert rec.duplicates == 0
            record_figure(f"outage_{outage}", {"messages": len(ids), "attempts": attempts_total(c),
                                               "delivered_once": sum(rec.delivered.values()),
                                               "redeliveries_deduped": rec.duplicates,
                                               "requests_at_receiver": len(rec.requests)})
    finally:
        rr.down()


def test_past_the_attempt_limit_dead_letter_then_redrive(tmp_path):
    rr = RestartableReceiver()
    rr.up()
    try:
        with roadkill(tmp_path) as c:
            point_every_party_at(c, rr)
            ids = produce(c, MESSAGES)
            clock = SimClock()
            relay = Relay(c.app.state.platform, worker_id="dead", clock=clock, rng=lambda: 1.0)
            rr.receiver.default = Reply(503)
            for _ in range(MAX_ATTEMPTS + 1):
                relay_round(relay, clock)
            assert statuses(c) == {"dead": len(ids)}
            dead = c.get("/v1/ops/outbox", params={"status": "dead", "limit": 500}, headers=OPERATOR)
            assert dead.status_code == 200
            listed = dead.json()["items"]
            assert {m["id"] for m in listed} == ids
            assert all(m["attempts"] == MAX_ATTEMPTS and m["last_error"] == "HTTP 503" for m in listed)
            assert sum(rr.receiver.delivered.values()) == 0
            one = next(iter(ids))
            attempts = c.get(f"/v1/ops/outbox/{one}/attempts", headers=OPERATOR).json()
            assert [a["outcome"] for a in attempts] == ["retry"] * (MAX_ATTEMPTS - 1) + ["dead"]
            # Dead letters are operator-only.
            assert c.get("/v1/ops/outbox", params={"status": "dead"}, headers=TMAP).status_code == 403

            rr.receiver.default = Reply(200)  # the partner is back; the operator re-drives
            for mid in ids:
                r = c.post(f"/v1/ops/outbox/{mid}/redrive", headers=OPERATOR)
                assert r.status_code == 200 and r.json()["status"] == "pending"
            assert c.post(f"/v1/ops/outbox/{one}/redrive", headers=OPERATOR).status_code == 409
            relay_round(relay, clock)
            assert statuses(c) == {"delivered": len(ids)}
            assert set(rr.receiver.delivered) == ids
            assert all(v == 1 for v in rr.receiver.delivered.values()) and rr.receiver.duplicates == 0
            assert c.get("/v1/ops/outbox", params={"status": "dead"}, headers=OPERATOR).json()["items"] == []
            record_figure("outage_dead_letter", {"messages": len(ids), "attempts_before_dead": MAX_ATTEMPTS,
                                                 "dead_lettered": len(ids), "redriven_delivered_once": len(ids),
                                                 "attempts": attempts_total(c)})
    finally:
        rr.down()
