"""Every error is RFC 9457 problem+json: validation, 404, 405, 413 (declared and streamed), 500, 503."""
from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from shared.testing import free_port, live_server
from tests.shared.minisvc.app import create_app

ALICE = {"authorization": "Bearer demo-alice"}
BOB = {"authorization": "Bearer demo-bob"}


def assert_problem(r, status: int, slug: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    for k in ("type", "title", "status", "detail"):
        assert body.get(k), f"problem lacks {k}: {body}"
    assert body["status"] == status
    if slug:
        assert body["type"].endswith(f"/problems/{slug}")
    return body


def test_validation_error_names_the_fields(client):
    body = assert_problem(client.post("/v1/notes", json={"text": "", "notify": "maybe"}, headers=ALICE),
                          422, "validation-error")
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"text", "notify"}
    text_err = next(e for e in body["errors"] if e["field"] == "text")
    assert text_err["in"] == "body" and text_err["accepted"] == {"min_length": 1}
    body = assert_problem(client.get("/v1/notes", params={"limit": 0}, headers=BOB), 422)
    assert body["errors"][0]["field"] == "limit" and body["errors"][0]["in"] == "query"
    # Not JSON at all.
    assert_problem(client.post("/v1/notes", content=b"{nope", headers={**ALICE, "content-type": "application/json"}),
                   422)


def test_404_and_405(client):
    assert_problem(client.get("/nothing/here"), 404, "not-found")
    assert_problem(client.get("/v1/notes/note_missing", headers=BOB), 404, "not-found")
    body = assert_problem(client.delete("/v1/notes", headers=ALICE), 405, "method-not-allowed")
    assert "DELETE" in body["detail"]


def test_413_declared_content_length(make_settings):
    with TestClient(create_app(make_settings(max_body_bytes=1000))) as c:
        r = c.post("/v1/notes", content=b"x" * 2000, headers={**ALICE, "content-type": "application/json"})
        assert_problem(r, 413, "payload-too-large")


def test_413_chunked_body_without_content_length(make_settings):
    """Real HTTP with Transfer-Encoding: chunked, so the limit must hold while streaming."""
    app = create_app(make_settings(max_body_bytes=1000))

    def chunks():
        for _ in range(20):
            yield b'{"text": "' + b"y" * 200

    with live_server(app) as server, httpx.Client(base_url=server.url) as h:
        r = h.post("/v1/notes", content=chunks(), headers={**ALICE, "content-type": "application/json"})
        assert "content-length" not in r.request.headers
        assert r.request.headers["transfer-encoding"] == "chunked"
        assert_problem(r, 413, "payload-too-large")
        # With an Idempotency-Key the middleware buffers the body: the limit still applies.
        r = h.post("/v1/notes", content=chunks(), headers={**ALICE, "content-type": "application/json",
                                                           "idempotency-key": "big-1"})
        assert_problem(r, 413, "payload-too-large")
        # The server is still healthy and a small body goes through.
        assert h.post("/v1/notes", json={"text": "small"}, headers=ALICE).status_code == 201


def test_unhandled_exception_is_a_500_problem(make_settings):
    with TestClient(create_app(make_settings()), raise_server_exceptions=False) as c:
        body = assert_problem(c.get("/v1/boom", headers=BOB), 500, "internal-error")
        assert "kaboom" not in body["detail"]


@pytest.mark.parametrize("route", ["/v1/notes", "/v1/notes/note_x"])
def test_database_unreachable_is_503_with_retry_after(tmp_path, route):
    """PostgreSQL URL on a port nothing listens on: connection refused, every time."""
    from tests.shared.minisvc.app import MiniSettings

    settings = MiniSettings(database_url=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test",
                            auto_migrate=False, relay_enabled=False, autopilot_enabled=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        if route == "/v1/notes":
            r = c.post(route, json={"text": "x"}, headers=ALICE)
        else:
            r = c.get(route, headers=BOB)
        body = assert_problem(r, 503, "database-unavailable")
        assert r.headers["retry-after"].isdigit()
        assert "127.0.0.1" not in body["detail"]
        # A non-demo key needs the database to be looked up: also 503, not 401 or 500.
        assert_problem(c.get(route, headers={"authorization": "Bearer cpa_x_nope"}), 503)
        assert_problem(c.get("/readyz"), 503)
        assert c.get("/healthz").status_code == 200
