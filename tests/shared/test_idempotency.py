"""Idempotency-Key: replay, reuse with another body, concurrent duplicates, per-credential scope."""
from __future__ import annotations

import threading

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shared.testing import live_server
from tests.shared.minisvc.app import create_app, note

ALICE = {"authorization": "Bearer demo-alice"}



def notes(c: TestClient) -> int:
    p = c.app.state.platform
    with p.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(note))


def test_same_key_same_body_replays_the_stored_response(client):
    h = {**ALICE, "idempotency-key": "abc-1"}
    first = client.post("/v1/notes", json={"text": "once"}, headers=h)
    second = client.post("/v1/notes", json={"text": "once"}, headers=h)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert second.headers["content-type"] == first.headers["content-type"]
    assert notes(client) == 1


def test_same_key_different_body_is_422(client):
    h = {**ALICE, "idempotency-key": "abc-2"}
    assert client.post("/v1/notes", json={"text": "one"}, headers=h).status_code == 201
    r = client.post("/v1/notes", json={"text": "two"}, headers=h)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"].endswith("/problems/idempotency-key-reused") and body["errors"][0]["field"] == "Idempotency-Key"
    assert notes(client) == 1


def test_bad_key_is_400(client):
    r = client.post("/v1/notes", json={"text": "x"}, headers={**ALICE, "idempotency-key": "x" * 300})
    assert r.status_code == 400 and r.json()["type"].startswith("http") and r.json()["type"].endswith(
        "/problems/bad-idempotency-key")  # absolute: under the service's base URL


def test_failed_request_is_not_stored(client):
    """A 5xx is not a final answer: the client may retry with the same key."""
    h = {**ALICE, "idempotency-key": "abc-3"}
    assert client.post("/v1/notes", json={"text": ""}, headers=h).status_code == 422  # stored (4xx is final)
    assert client.post("/v1/notes", json={"text": ""}, headers=h).headers["idempotent-replayed"] == "true"


def test_concurrent_duplicate_one_201_one_409(make_settings):
    app = create_app(make_settings())
    body = {"text": "slow", "slow_s": 1.0}
    results: list[httpx.Response] = []
    lock = threading.Lock()
    with live_server(app) as server:
        started = threading.Barrier(2)

        def post() -> None:
            started.wait()
            r = httpx.post(f"{server.url}/v1/notes", json=body, headers={**ALICE, "idempotency-key": "race-1"},
                           timeout=30)
            with lock:
                results.append(r)

        threads = [threading.Thread(target=post) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.status_code for r in results) == [201, 409]
        conflict = next(r for r in results if r.status_code == 409)
        assert conflict.json()["type"].endswith("/problems/idempotency-in-flight") and conflict.headers["retry-after"]
        # After the first finished, a retry replays its response.
        again = httpx.post(f"{server.url}/v1/notes", json=body, headers={**ALICE, "idempotency-key": "race-1"})
        created = next(r for r in results if r.status_code == 201)
        assert again.status_code == 201 and again.json() == created.json()
        p = app.state.platform
        with p.db.read_session() as s:
            assert s.scalar(select(func.count()).select_from(note)) == 1


def test_keys_are_scoped_per_principal_not_per_credential(make_settings):
    """Two keys of one party are one caller (a retry after a key rotation replays); another party never
    sees the record, and an invalid key gets its own 401, not a replay."""
    from shared import auth
    from tests.shared.conftest import REAL_SECRET

    with TestClient(create_app(make_settings(demo_mode=False, secret_key=REAL_SECRET))) as c:
        p = c.app.state.platform
        with p.db.session() as s:
            a = auth.create_key(s, p.tables, party="alice")
            b = auth.create_key(s, p.tables, party="alice", label="second credential")
        r1 = c.post("/v1/notes", json={"text": "x"}, headers={"authorization": f"Bearer {a}", "idempotency-key": "k"})
        r2 = c.post("/v1/notes", json={"text": "x"}, headers={"x-api-key": b, "idempotency-key": "k"})
        assert r1.status_code == r2.status_code == 201
        assert r1.json() == r2.json() and r2.headers["idempotent-replayed"] == "true"
        # Another credential's stored response is never served, even for a 401.
        r3 = c.post("/v1/notes", json={"text": "x"}, headers={"x-api-key": "demo-op", "idempotency-key": "k"})
        assert r3.status_code == 401 and "idempotent-replayed" not in r3.headers
        assert notes(c) == 1


def test_party_a_key_never_replays_for_party_b(client):
    h = {"idempotency-key": "shared-key"}
    a = client.post("/v1/notes", json={"text": "x"}, headers={**ALICE, **h})
    b = client.post("/v1/notes", json={"text": "x"}, headers={"authorization": "Bearer demo-bob", **h})
    assert a.status_code == 201
    assert b.status_code == 403 and "idempotent-replayed" not in b.headers  # bob's own answer, not alice's
    assert notes(client) == 1
