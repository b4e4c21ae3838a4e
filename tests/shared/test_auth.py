"""API keys: 401/403, demo keys only in demo mode, hashed storage, revocation, secret placeholders."""
from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shared import auth
from shared.settings import ServiceSettings
from tests.shared.conftest import REAL_SECRET
from tests.shared.minisvc.app import SPEC, create_app

NOTE = {"text": "hello"}


def test_missing_wrong_and_forbidden(client):
    r = client.post("/v1/notes", json=NOTE)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert client.post("/v1/notes", json=NOTE, headers={"authorization": "Bearer nope"}).status_code == 401
    assert client.post("/v1/notes", json=NOTE, headers={"authorization": "Bearer demo-mallory"}).status_code == 401
    r = client.post("/v1/notes", json=NOTE, headers={"authorization": "Bearer demo-bob"})
    assert r.status_code == 403 and r.json()["type"].endswith("/problems/forbidden")
    assert r.json()["allowed"] == ["role:writer"]
    assert client.post("/v1/notes", json=NOTE, headers={"x-api-key": "demo-alice"}).status_code == 201


def test_demo_keys_refused_outside_demo_mode(make_settings):
    with TestClient(create_app(make_settings(demo_mode=False, secret_key=REAL_SECRET))) as c:
        assert c.post("/v1/notes", json=NOTE, headers={"authorization": "Bearer demo-alice"}).status_code == 401


def _all_db_text(platform) -> str:
    parts = []
    with platform.db.read_session() as s:
        for table in SPEC.metadata.sorted_tables:
            for row in s.execute(select(table)).all():
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


def test_created_keys_work_and_are_stored_hashed(make_settings):
    with TestClient(create_app(make_settings(demo_mode=False, secret_key=REAL_SECRET))) as c:
        p = c.app.state.platform
        with p.db.session() as s:
            key = auth.create_key(s, p.tables, party="alice", label="ci")
        r = c.post("/v1/notes", json=NOTE, headers={"authorization": f"Bearer {key}", "idempotency-key": "k1"})
        assert r.status_code == 201
        dump = _all_db_text(p)
        assert key not in dump and key[12:] not in dump
        assert hashlib.sha256(key.encode()).hexdigest() in dump
        with p.db.read_session() as s:
            row = s.execute(select(p.tables.api_key)).one()
        assert row.prefix == key[:12] and row.key_hash == hashlib.sha256(key.encode()).hexdigest()
        if p.db.is_sqlite:  # and not in the raw file either (WAL included)
            path = p.settings.resolved_database_url.split("///", 1)[1]
            for suffix in ("", "-wal"):
                try:
                    raw = open(path + suffix, "rb").read()
                except FileNotFoundError:
                    continue
                assert key.encode() not in raw


def test_revoked_keys_refused(make_settings):
    with TestClient(create_app(make_settings(demo_mode=False, secret_key=REAL_SECRET))) as c:
        p = c.app.state.platform
        with p.db.session() as s:
            issued = auth.issue_key(s, p.tables, party="bob")
            other = auth.create_key(s, p.tables, party="bob")
        key = issued.key
        h = {"authorization": f"Bearer {key}"}
        assert c.get("/v1/notes", headers=h).status_code == 200  # now cached by the resolver
        with p.db.session() as s:
            assert auth.revoke_key(s, p.tables, public_id=issued.public_id, resolver=p.keys) == 1
        assert c.get("/v1/notes", headers=h).status_code == 401
        assert c.get("/v1/notes", headers={"authorization": f"Bearer {other}"}).status_code == 200
        # Revoked from another process (`cpa keys revoke`): a fresh resolver refuses it too.
        assert auth.KeyResolver(p).resolve(key) is None


@pytest.mark.parametrize("secret", ["change-me", "demo-secret-not-for-production", "", "  secret ", "short"])
def test_placeholder_secrets_refused_outside_demo_mode(secret):
    with pytest.raises(ValueError):
        ServiceSettings(demo_mode=False, secret_key=secret)
    assert ServiceSettings(demo_mode=True, secret_key=secret).demo_mode


def test_real_secret_accepted(monkeypatch):
    assert ServiceSettings(demo_mode=False, secret_key=REAL_SECRET).secret_key.get_secret_value() == REAL_SECRET
    monkeypatch.setenv("DEMO_MODE", "false")
    monkeypatch.setenv("SECRET_KEY", "change-me")
    with pytest.raises(ValueError):
        ServiceSettings()
