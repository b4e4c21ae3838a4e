"""/healthz, /readyz (migrations at head), /metrics, and logs free of request data."""
from __future__ import annotations

import logging
import uuid

from fastapi.testclient import TestClient

from shared import migrations
from tests.shared.minisvc.app import create_app


def test_healthz_readyz_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["migrations_at_head"] is True
    client.post("/v1/notes", json={"text": "x"}, headers={"authorization": "Bearer demo-alice"})
    m = client.get("/metrics")
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain")
    text = m.text
    assert "# TYPE http_requests_total counter" in text
    assert 'http_requests_total{method="POST",route="/v1/notes",status="201"} 1.0' in text
    assert "# TYPE outbox_messages gauge" in text and 'outbox_messages{status="pending"} 1.0' in text
    assert "note_" not in text, "metrics use route templates, not concrete paths"


def test_readyz_503_when_migrations_pending(make_settings):
    with TestClient(create_app(make_settings(auto_migrate=False))) as c:
        r = c.get("/readyz")
        assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith("/problems/migrations-pending") and r.json()["revision"] == []
        assert r.headers["retry-after"]
        assert c.get("/healthz").status_code == 200
        # Applying the migrations (what `cpa migrate` does) makes it ready.
        p = c.app.state.platform
        migrations.upgrade(p.db, p.spec.migrations_dir)
        assert c.get("/readyz").status_code == 200


def test_logs_carry_no_request_data(make_settings, caplog, capfd):
    marker = f"PERSONAL-{uuid.uuid4().hex}"
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(make_settings()), raise_server_exceptions=False) as c:
        alice = {"authorization": "Bearer demo-alice"}
        assert c.post("/v1/notes", json={"text": marker}, headers=alice).status_code == 201
        assert c.post("/v1/notes", json={"text": marker, "notify": "maybe"}, headers=alice).status_code == 422
        assert c.get(f"/v1/notes/{marker}", headers={"authorization": "Bearer demo-bob"}).status_code == 404
        assert c.get("/v1/notes", params={"cursor": marker}, headers={"authorization": "Bearer demo-bob"}).status_code == 400
        # An unhandled database error whose SQL parameters hold the body: logged, without them.
        assert c.post("/v1/notes/note_dup/copy", json={"text": marker}, headers=alice).status_code == 500
    out, err = capfd.readouterr()
    records = caplog.records
    assert any(r.name == "access" for r in records), "the capture must see the service's logs"
    assert any(r.name == "shared.errors" and r.exc_info for r in records)
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in records)
    logged += "\n" + "\n".join(str(r.exc_info[1]) for r in records if r.exc_info)
    assert marker not in logged
    assert marker not in out + err
