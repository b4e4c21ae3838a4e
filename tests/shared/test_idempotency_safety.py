"""Idempotency records: written after authentication only, scoped by the authenticated principal, and
holding no secret or personal value in clear (scope, key and fingerprint are keyed hashes; the stored
answer is sealed under a key derived from SECRET_KEY). After every write the database is searched for
each secret or personal value the answer carried: climber tokens, names, phones, birth dates, webhook
signing secrets.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shared import testing
from tests.reliability.support import create_app, quiet_settings
from tests.shared.minisvc.app import create_app as mini_app

ALICE = "demo-alice"
RESIDENT = {"name": "김민수", "birth_date": "1974-03-01", "gender": "male", "phone": "010-5555-0142",
            "address_district": "yongbong"}
CLIMBER = {"display_name": "Hong Gildong", "contact": "hong.gildong@example.kr", "birth_year": 1980,
           "gallery_consent": True}


@pytest.fixture
def service(request, tmp_path) -> Iterator[TestClient]:
    db = testing.database_overrides(tmp_path, request.param)
    try:
        with TestClient(create_app(request.param, **quiet_settings(db, tmp_path)), raise_server_exceptions=False) as c:
            yield c
    finally:
        testing.drop_schema(db.get("db_schema"))


def _texts(value: Any) -> Iterator[str | bytes]:
    if isinstance(value, dict | list):
        yield json.dumps(value, ensure_ascii=False)
    elif isinstance(value, str | bytes):
        yield value
    elif value is not None:
        yield str(value)


def stored_anywhere(client: TestClient, needle: str, tables: list[str] | None = None) -> list[str]:
    """The tables (of `tables`, default all) where `needle` is stored in clear, as text or bytes."""
    platform = client.app.state.platform
    metadata = platform.tables.api_key.metadata
    found = []
    with platform.db.read_session() as s:
        for table in metadata.sorted_tables:
            if tables is not None and table.name not in tables:
                continue
            for row in s.execute(select(table)).all():
                for value in row:
                    for text in _texts(value):
                        raw = needle.encode() if isinstance(text, bytes) else needle
                        if raw in text:
                            found.append(table.name)
    return found


def records(client: TestClient) -> int:
    p = client.app.state.platform
    with p.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(p.tables.idempotency))


@pytest.mark.parametrize("service", ["onestop"], indirect=True)
def test_personal_answers_are_sealed_and_replayed_to_their_caller_only(service):
    c = service
    h = {"authorization": "Bearer demo-bukgu-hub", "idempotency-key": "resident-1"}
    first = c.post("/v1/residents", json=RESIDENT, headers=h)
    assert first.status_code == 201, first.text
    shown = [RESIDENT["name"], RESIDENT["phone"], RESIDENT["birth_date"]]
    assert all(v in first.text for v in shown), "the answer carries the personal fields"
    for value in shown + [first.json()["id"]]:
        assert stored_anywhere(c, value, ["idempotency_record"]) == [], value
    # The same party, however it sends its key, replays the very answer.
    for headers in ({"authorization": "bearer demo-bukgu-hub"}, {"x-api-key": "demo-bukgu-hub"},
                    {"authorization": "BEARER   demo-bukgu-hub "}):
        again = c.post("/v1/residents", json=RESIDENT, headers={**headers, "idempotency-key": "resident-1"})
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
    assert records(c) == 1
    # Another party with the same key and body gets its own answer, never the stored one.
    other = c.post("/v1/residents", json=RESIDENT, headers={"authorization": "Bearer demo-kamco",
                                                            "idempotency-key": "resident-1"})
    assert other.status_code == 403 and "idempotent-replayed" not in other.headers
    assert RESIDENT["name"] not in other.text


@pytest.mark.parametrize("service", ["peaks"], indirect=True)
def test_anonymous_registration_refuses_the_key_and_a_replay_never_gets_a_token(service):
    c = service
    for _client in range(2):  # a second client replaying key and body gets no token either
        r = c.post("/v1/climbers", json=CLIMBER, headers={"idempotency-key": "register-1"})
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["errors"][0]["field"] == "Idempotency-Key" and "token" not in body
    assert records(c) == 0
    plain = c.post("/v1/climbers", json=CLIMBER)
    assert plain.status_code == 201 and plain.json()["token"].startswith("clt_")
    assert stored_anywhere(c, plain.json()["token"]) == []
    assert records(c) == 0


@pytest.mark.parametrize("service", ["peaks"], indirect=True)
def test_a_party_registering_gets_its_token_back_sealed_and_no_one_else_does(service):
    c = service
    h = {"idempotency-key": "register-2"}
    first = c.post("/v1/climbers", json=CLIMBER, headers={**h, "authorization": "Bearer demo-ulju"})
    assert first.status_code == 201, first.text
    token = first.json()["token"]
    assert stored_anywhere(c, token) == [] and stored_anywhere(c, CLIMBER["contact"], ["idempotency_record"]) == []
    again = c.post("/v1/climbers", json=CLIMBER, headers={**h, "x-api-key": "demo-ulju"})
    assert again.headers.get("idempotent-replayed") == "true" and again.json()["token"] == token
    other = c.post("/v1/climbers", json=CLIMBER, headers={**h, "authorization": "Bearer demo-miryang"})
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    assert other.json()["token"] != token
    anonymous = c.post("/v1/climbers", json=CLIMBER, headers=h)
    assert anonymous.status_code == 400 and token not in anonymous.text
    assert records(c) == 2


@pytest.mark.parametrize("service", ["peaks"], indirect=True)
def test_climber_tokens_are_principals_of_their_own(service):
    c = service
    tokens = [c.post("/v1/climbers", json={**CLIMBER, "contact": f"c{i}@example.kr"}).json() for i in range(2)]
    for climber in tokens:
        r = c.put(f"/v1/climbers/{climber['id']}/shipping-address", json={"address": "울산 울주군 상북면 1"},
                  headers={"authorization": f"Bearer {climber['token']}", "idempotency-key": "ship-1"})
        assert "idempotent-replayed" not in r.headers and r.status_code < 500, r.text
    assert records(c) == 2  # one per climber: the second never saw the first's record
    for climber in tokens:
        assert stored_anywhere(c, climber["token"]) == []


def test_signing_secrets_are_never_stored_in_clear(make_settings):
    with TestClient(mini_app(make_settings())) as c:
        h = {"authorization": "Bearer demo-op", "idempotency-key": "endpoint-1"}
        body = {"url": "http://127.0.0.1:9/hooks/alice", "enabled": True, "secret_version": 1}
        first = c.put("/v1/ops/endpoints/alice", json=body, headers=h)
        assert first.status_code == 200, first.text
        secret = first.json()["signing_secret"]
        assert secret and stored_anywhere(c, secret) == []
        again = c.put("/v1/ops/endpoints/alice", json=body, headers={**h, "authorization": "bearer demo-op"})
        assert again.headers["idempotent-replayed"] == "true" and again.json()["signing_secret"] == secret


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer wrong-key"}, {"x-api-key": "demo-nobody"},
                                     {"authorization": "Basic YWxpY2U6cHc="}, {"authorization": "Bearer "}])
def test_unauthenticated_requests_write_no_record(make_settings, headers):
    with TestClient(mini_app(make_settings())) as c:
        r = c.post("/v1/notes", json={"text": "x"}, headers={**headers, "idempotency-key": "anon-1"})
        assert r.status_code == 401
        assert records(c) == 0


def test_the_scope_and_fingerprint_are_keyed_hashes(make_settings):
    """Neither the credential nor a hash anyone can recompute from it (or from the body) is stored."""
    import hashlib

    with TestClient(mini_app(make_settings())) as c:
        body = {"text": "a private note"}
        assert c.post("/v1/notes", json=body, headers={"authorization": f"Bearer {ALICE}",
                                                        "idempotency-key": "k"}).status_code == 201
        p = c.app.state.platform
        with p.db.read_session() as s:
            row = s.execute(select(p.tables.idempotency)).one()
        plain = {hashlib.sha256(v.encode()).hexdigest() for v in (f"Bearer {ALICE}", ALICE, "party:alice")}
        assert row.scope not in plain and ALICE not in row.scope and row.key != "k"
        assert b"a private note" not in row.response_body and "a private note" not in json.dumps(row.response_headers)
