"""Outside demo mode there are no simulated parties: a message for a party without an endpoint waits,
visibly, until an operator sets one — it is never delivered to the hub itself."""
from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shared import webhooks
from shared.auth import create_key
from shared.relay import Relay
from tests.shared.conftest import REAL_SECRET
from tests.shared.minisvc.app import create_app

PUBLIC_IP = "93.184.216.34"


def public_resolver(host: str, port: int) -> list[str]:
    return [PUBLIC_IP]


@pytest.fixture
def prod(make_settings):
    """The minimal service outside demo mode with real keys; relay and autopilot off (driven by hand)."""
    settings = make_settings(demo_mode=False, secret_key=REAL_SECRET, public_base_url="http://127.0.0.1:8099")
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        p = c.app.state.platform
        with p.db.session() as s:
            op, alice = create_key(s, p.tables, party="op"), create_key(s, p.tables, party="alice")
        yield c, {"authorization": f"Bearer {op}"}, {"authorization": f"Bearer {alice}"}


class Recorder:
    """A party's endpoint behind the relay's transport: records what arrives."""

    def __init__(self):
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(204)


def signed_note(secret: str, msg_id: str = "msg_01TEST") -> tuple[bytes, dict[str, str]]:
    from shared.db import utcnow

    now = utcnow()
    body = webhooks.envelope("note.created", now, {"id": "note_x", "text": "t"})
    return body, webhooks.sign_headers([secret], msg_id, now, body)


def test_sim_routes_do_not_exist_outside_demo_mode(prod, make_settings):
    c, _op, _alice = prod
    body, headers = signed_note(webhooks.party_secret(REAL_SECRET, "bob", 1))
    r = c.post("/sim/bob/webhooks", content=body, headers=headers)
    assert r.status_code == 404
    p = c.app.state.platform
    with p.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(p.tables.inbox)) == 0
    with TestClient(create_app(make_settings())) as demo:  # demo mode keeps its simulated parties
        secret = webhooks.party_secret(demo.app.state.platform.settings.secret_key.get_secret_value(), "bob", 1)
        body, headers = signed_note(secret)
        assert demo.post("/sim/bob/webhooks", content=body, headers=headers).status_code == 200


def test_message_without_endpoint_waits_visibly_then_goes_out_once_an_endpoint_is_set(prod):
    c, op, alice = prod
    p = c.app.state.platform
    nid = c.post("/v1/notes", json={"text": "for bob"}, headers=alice).json()["id"]
    rec = Recorder()
    relay = Relay(p, worker_id="t", resolver=public_resolver, transport=httpx.MockTransport(rec))

    assert asyncio.run(relay.run_once()) == 1
    assert rec.requests == [], "no endpoint: nothing is sent anywhere, least of all to the hub itself"
    held = c.get("/v1/ops/outbox", params={"status": "no-endpoint"}, headers=op).json()
    (msg,) = held["items"]
    assert msg["to"] == "bob" and msg["subject_id"] == nid and msg["attempts"] == 0
    assert "PUT /v1/ops/endpoints/bob" in msg["last_error"] and held["counts"] == {"no-endpoint": 1}
    assert asyncio.run(relay.run_once()) == 0, "a held message is not claimed again while nothing changed"

    listing = c.get("/v1/ops/endpoints", headers=op).json()
    states = {e["party"]: e for e in listing["items"]}
    assert set(states) == {"alice", "bob"}, "every receiving party is listed, configured or not"
    assert states["bob"]["state"] == "unconfigured" and states["bob"]["waiting"] == {"no-endpoint": 1}
    assert states["alice"]["state"] == "unconfigured" and states["alice"]["url"] is None
    ready = c.get("/readyz").json()
    assert ready["webhooks"]["unconfigured"] == ["alice", "bob"]
    assert ready["webhooks"]["held"] == {"bob": {"no-endpoint": 1}}

    p.relay.resolver = public_resolver
    r = c.put("/v1/ops/endpoints/bob", json={"url": "https://hooks.bob.example/in"}, headers=op)
    assert r.status_code == 200, r.text
    assert asyncio.run(relay.run_once()) == 1
    (req,) = rec.requests
    assert req.headers["host"] == "hooks.bob.example" and req.url.path == "/in"
    webhooks.verify(req.content, req.headers, [r.json()["signing_secret"]])
    assert c.get("/v1/ops/outbox", headers=op).json()["counts"] == {"delivered": 1}
    ready = c.get("/readyz").json()["webhooks"]
    assert ready["held"] == {} and ready["unconfigured"] == ["alice"]
    states = {e["party"]: e for e in c.get("/v1/ops/endpoints", headers=op).json()["items"]}
    assert states["bob"]["state"] == "configured" and states["bob"]["waiting"] == {}


def test_demo_mode_lists_unconfigured_parties_as_simulated(make_settings):
    with TestClient(create_app(make_settings())) as c:
        listing = c.get("/v1/ops/endpoints", headers={"authorization": "Bearer demo-op"}).json()
    assert listing["demo_mode"] is True and "loopback" in listing["url_policy"]
    assert {e["party"]: e["state"] for e in listing["items"]} == {"alice": "simulated", "bob": "simulated"}
