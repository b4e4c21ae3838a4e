"""Outside demo mode: SECRET_KEY must be a real random value (32+ characters, no repeats, sequences or
words), `/metrics` needs the operator's key or METRICS_TOKEN, and `/docs`/`/redoc` are served only when
the operator sets PUBLIC_API_DOCS (`/openapi.json` stays public for integrators). Demo mode keeps
everything open.
"""
from __future__ import annotations

import base64
import secrets

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.settings import ServiceSettings
from tests.shared.conftest import REAL_SECRET
from tests.shared.minisvc.app import create_app
from tests.shared.test_operator_errors import assert_operator_error, cpa, free_port

METRICS_TOKEN = "yB0d9tqV3Lr7m_Kc2WQeZxA81nJhUoPf4sGvTiRa6Y0"
WEAK = ["aaaaaaaaaaaaaaaa", "a" * 64, "abababababababababababababababab", "abcdefghijklmnopqrstuvwxyz012345",
        "0123456789" * 4, "k3y-for-tests-0123456789-abcdefghij", "passwordpasswordpasswordpassword1",
        "qwertyuiopasdfghjklzxcvbnm1234567890", "Zq8vN1xTm4LpR7cW0bYs3KdF6hJ9gE2"]  # the last: random, 31 characters


@pytest.mark.parametrize("secret", WEAK)
def test_weak_secrets_are_refused_outside_demo_mode(secret):
    with pytest.raises(ValidationError, match="SECRET_KEY is too weak"):
        ServiceSettings(demo_mode=False, secret_key=secret)
    assert ServiceSettings(demo_mode=True, secret_key=secret).demo_mode


@settings(max_examples=40)
@given(size=st.integers(min_value=24, max_value=96), encoding=st.sampled_from(["urlsafe", "hex", "b64"]))
def test_random_secrets_of_32_characters_or_more_are_accepted(size, encoding):
    raw = secrets.token_bytes(size)  # what the hint and `openssl rand` give, in every usual encoding
    secret = {"urlsafe": base64.urlsafe_b64encode(raw).decode().rstrip("="), "hex": raw.hex(),
              "b64": base64.b64encode(raw).decode()}[encoding]
    assert ServiceSettings(demo_mode=False, secret_key=secret).secret_key.get_secret_value() == secret


def test_a_weak_metrics_token_is_refused():
    with pytest.raises(ValidationError, match="METRICS_TOKEN is too weak"):
        ServiceSettings(demo_mode=False, secret_key=REAL_SECRET, metrics_token="metrics-metrics-metrics-metrics!")


def test_cpa_serve_refuses_to_start_with_a_weak_secret(tmp_path):
    secret = "a" * 40
    r = cpa("serve", "roadkill", "--port", str(free_port()), cwd=tmp_path, DEMO_MODE="false", SECRET_KEY=secret,
            DATABASE_URL=f"sqlite:///{tmp_path}/{{service}}.db")
    lines = assert_operator_error(r, "SECRET_KEY is too weak", "secrets.token_urlsafe", secret=secret)
    assert lines[0].startswith("error: SECRET_KEY") and lines[1].startswith("hint: set SECRET_KEY to a random value")
    assert not list(tmp_path.glob("*.db")), "nothing touched the database"


@pytest.fixture
def production(make_settings):
    def make(**overrides) -> TestClient:
        return TestClient(create_app(make_settings(demo_mode=False, secret_key=REAL_SECRET, **overrides)))
    return make


def test_metrics_need_the_operator_key_or_the_metrics_token_outside_demo_mode(production):
    from shared import auth

    with production(metrics_token=METRICS_TOKEN) as c:
        p = c.app.state.platform
        with p.db.session() as s:
            operator = auth.create_key(s, p.tables, party="op")
            alice = auth.create_key(s, p.tables, party="alice")
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"authorization": "Bearer not-a-key"}).status_code == 401
        assert c.get("/metrics", headers={"authorization": "Bearer demo-op"}).status_code == 401
        refused = c.get("/metrics", headers={"authorization": f"Bearer {alice}"})
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
        for headers in ({"authorization": f"Bearer {operator}"}, {"x-api-key": operator},
                        {"authorization": f"Bearer {METRICS_TOKEN}"}):
            r = c.get("/metrics", headers=headers)
            assert r.status_code == 200 and "http_requests_total" in r.text


def test_docs_pages_only_when_the_operator_opts_in(production):
    with production() as c:
        for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            r = c.get(path)
            assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json"), path
        assert c.get("/openapi.json").status_code == 200  # integrators need the contract
        assert c.get("/favicon.ico").status_code == 200
    with production(public_api_docs=True) as c:
        assert c.get("/docs").status_code == 200 and c.get("/redoc").status_code == 200


def test_demo_mode_keeps_everything_open(client):
    for path in ("/metrics", "/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 200, path
