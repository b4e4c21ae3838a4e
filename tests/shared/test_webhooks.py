"""Receiver side: signature and replay checks, dedupe by webhook-id, secret rotation."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shared import webhooks
from shared.db import utcnow
from shared.relay import Relay
from tests.shared.minisvc.app import SPEC, create_app
from tests.shared.receiver import Receiver
from tests.shared.test_relay import OP, create_note

SIM = "/sim/bob/webhooks"


def signed(secret_key: str, *, version: int = 1, msg_id: str = "msg_test1", age_s: float = 0,
           secrets: list[str] | None = None, data: dict | None = None) -> tuple[bytes, dict[str, str]]:
    at = utcnow() - timedelta(seconds=age_s)
    body = webhooks.envelope("note.created", at, data or {"id": "note_1", "text": "x"})
    keys = secrets or [webhooks.party_secret(secret_key, "bob", version)]
    return body, webhooks.sign_headers(keys, msg_id, at, body)


def inbox_count(c: TestClient) -> int:
    p = c.app.state.platform
    with p.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(p.tables.inbox))


def assert_401_problem(r) -> None:
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"].endswith("/webhook-signature-invalid") and body["status"] == 401
    assert body["title"] and body["detail"]


def test_forged_signature_rejected_without_effect(client):
    key = client.app.state.platform.settings.secret_key.get_secret_value()
    forged = webhooks.party_secret("someone-elses-secret", "bob", 1)
    body, headers = signed(key, secrets=[forged])
    assert_401_problem(client.post(SIM, content=body, headers=headers))
    # A body altered after signing fails too.
    body, headers = signed(key)
    assert_401_problem(client.post(SIM, content=body.replace(b"note_1", b"note_2"), headers=headers))
    # Missing headers.
    assert_401_problem(client.post(SIM, content=body, headers={"content-type": "application/json"}))
    assert inbox_count(client) == 0


def test_replayed_message_with_old_timestamp_rejected(client):
    key = client.app.state.platform.settings.secret_key.get_secret_value()
    body, headers = signed(key, age_s=600)  # a captured message replayed 10 minutes later
    r = client.post(SIM, content=body, headers=headers)
    assert_401_problem(r)
    assert "too old" in r.json()["detail"]
    assert inbox_count(client) == 0


def test_duplicate_webhook_id_accepted_once(client):
    key = client.app.state.platform.settings.secret_key.get_secret_value()
    body, headers = signed(key, msg_id="msg_dup")
    first = client.post(SIM, content=body, headers=headers)
    second = client.post(SIM, content=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["duplicate"] is False and second.json()["duplicate"] is True
    assert inbox_count(client) == 1


@pytest.mark.parametrize("signed_with", [1, 2])
def test_sim_receiver_accepts_both_versions_during_rotation(make_settings, signed_with):
    with TestClient(create_app(make_settings(webhook_secret_version=2))) as c:
        body, headers = signed(c.app.state.platform.settings.secret_key.get_secret_value(), version=signed_with)
        assert c.post(SIM, content=body, headers=headers).status_code == 200
        assert inbox_count(c) == 1


@pytest.mark.parametrize("holds", [1, 2])
def test_rotation_receiver_holding_one_version_accepts(make_settings, holds):
    """Secret version bumped to 2: during the window the relay signs with v2 and v1."""
    settings = make_settings()
    with Receiver([webhooks.party_secret(settings.secret_key.get_secret_value(), "bob", holds)]).serve() as rcv, \
            TestClient(create_app(settings)) as c:
        r = c.put("/v1/ops/endpoints/bob", json={"url": rcv.hook_url, "secret_version": 2}, headers=OP)
        assert r.json()["signing_secret"] == webhooks.party_secret(settings.secret_key.get_secret_value(), "bob", 2)
        _, mid = create_note(c)
        asyncio.run(Relay(c.app.state.platform).run_once())
        assert rcv.delivered[mid] == 1 and rcv.rejected == 0


def test_after_rotation_window_only_new_secret_signs(make_settings):
    settings = make_settings(webhook_rotation_window_s=0)
    old = webhooks.party_secret(settings.secret_key.get_secret_value(), "bob", 1)
    with Receiver([old]).serve() as rcv, TestClient(create_app(settings)) as c:
        c.put("/v1/ops/endpoints/bob", json={"url": rcv.hook_url, "secret_version": 2}, headers=OP)
        _, mid = create_note(c)
        asyncio.run(Relay(c.app.state.platform).run_once())
        assert rcv.delivered[mid] == 0 and rcv.rejected == 1


def test_sign_headers_are_standard_webhooks():
    from standardwebhooks import Webhook

    secret = webhooks.party_secret("master", "bob", 3)
    body, headers = signed("master", version=3)
    assert Webhook(secret).verify(body, headers)["type"] == "note.created"
    assert SPEC.name == "minisvc"
