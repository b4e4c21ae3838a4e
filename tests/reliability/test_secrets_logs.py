"""Secrets and personal data: hashed tokens, constant-time comparisons, logs free of personal values,
security headers on pages, CORS only on the open API's GET routes.

Covered elsewhere and not repeated here: API keys stored only as SHA-256 and never in the SQLite file
(tests/shared/test_auth.py::test_created_keys_work_and_are_stored_hashed); webhook secret rotation —
old and new secret both accepted during the window, only the new one after it
(tests/shared/test_webhooks.py::test_sim_receiver_accepts_both_versions_during_rotation,
::test_rotation_receiver_holding_one_version_accepts, ::test_after_rotation_window_only_new_secret_signs);
forged/replayed webhooks rejected (tests/shared/test_webhooks.py).
"""
from __future__ import annotations

import hashlib
import hmac
import logging

import httpx
import pytest
from sqlalchemy import select

from shared import auth, testing, webhooks
from tests.reliability.roadkill_support import INTAKE, OPERATOR, TMAP, intake_path, voice_report
from tests.reliability.support import (
    SERVICES,
    create_app,
    decision_of,
    fill_path,
    first_route,
    http_routes,
    quiet_settings,
    record_figure,
    register_climber,
    service_client,
    spec_of,
)

REAL_SECRET = "sNPbP14Ya7i3u156VtQ5WUDRvYu8Cph1XzEyVzhzZso"
# Personal values the flows below send; none may reach a log line.
PERSONAL = {
    "reporter": "tmap-sub-8c41d2e9-PERSONAL",
    "name": "박서연개인",
    "phone": "010-7391-4462",
    "contact": "seoyeon.park.personal@example.kr",
    "address": "울주군 상북면 등억알프스리 산 12-4 개인주소",
    "display": "SeoyeonPersonalName",
    "rrn": "850101-2345678",
}


def _dump(platform) -> str:
    parts = []
    with platform.db.read_session() as s:
        for table in platform.spec.metadata.sorted_tables:
            for row in s.execute(select(table)).all():
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


# -- tokens and keys: hashed at rest, compared in constant time ------------------------------------------


def test_peaks_climber_tokens_stored_only_hashed(tmp_path):
    with service_client("peaks", tmp_path) as c:
        climber = register_climber(c, contact=PERSONAL["contact"])
        token = climber["token"]
        dump = _dump(c.app.state.platform)
        assert token not in dump and token[8:] not in dump
        assert hashlib.sha256(token.encode()).hexdigest() in dump


def _spy(monkeypatch, module) -> list[tuple]:
    calls: list[tuple] = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((type(a).__name__, len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(module.hmac, "compare_digest", spy)
    return calls


def test_api_keys_are_compared_in_constant_time(monkeypatch, tmp_path):
    """A stored key's digest is compared with hmac.compare_digest after the lookup (and autopilot keys too)."""
    calls = _spy(monkeypatch, auth)
    with service_client("roadkill", tmp_path, demo_mode=False, secret_key=REAL_SECRET) as c:
        p = c.app.state.platform
        with p.db.session() as s:
            key = auth.create_key(s, p.tables, party="chungnam")
        assert c.get("/v1/ops/endpoints", headers={"authorization": f"Bearer {key}"}).status_code == 200
        assert calls, "the key path must compare with hmac.compare_digest"
        calls.clear()
        assert c.get("/v1/ops/endpoints", headers={"authorization": "Bearer ap_" + "0" * 64}).status_code == 401
    assert calls == [], "autopilot keys are refused outright when the autopilot is off"


def test_peaks_climber_tokens_are_compared_in_constant_time(monkeypatch, tmp_path):
    import services.peaks.flows.climbers as peaks_auth

    calls = _spy(monkeypatch, peaks_auth)
    with service_client("peaks", tmp_path) as c:
        climber = register_climber(c)
        r = c.get(f"/v1/climbers/{climber['id']}/progress", headers={"authorization": f"Bearer {climber['token']}"})
        assert r.status_code == 200
    assert calls


def test_webhook_signatures_are_verified_in_constant_time(monkeypatch):
    import standardwebhooks.webhooks as sw

    calls = _spy(monkeypatch, sw)
    from shared.db import utcnow
    secrets = webhooks.secrets_for(REAL_SECRET, "acrc", 1, include_previous=False)
    body = webhooks.envelope("t", utcnow(), {"x": 1})
    headers = webhooks.sign_headers(secrets, "msg_1", utcnow(), body)
    assert webhooks.verify(body, headers, secrets)["data"] == {"x": 1}
    assert calls


# -- logs: no personal values ------------------------------------------------------------------------


def _roadkill_flow(tmp_path) -> int:
    if not intake_path():
        return 0
    db = testing.database_overrides(tmp_path, "roadkill")
    n = 0
    try:
        port = testing.free_port()
        app = create_app("roadkill", **quiet_settings(
            db, tmp_path, relay_enabled=True, autopilot_enabled=True, autopilot_delay_s=0.0,
            autopilot_poll_interval_s=0.05, relay_poll_interval_s=0.05, port=port, log_level="DEBUG",
            public_base_url=f"http://127.0.0.1:{port}", seed_demo_incidents=False))
        with testing.live_server(app, port=port) as server, httpx.Client(base_url=server.url) as h:
            body = voice_report(1, reporter=PERSONAL["reporter"],
                                transcript=f"고라니 죽어 있어요 연락처 {PERSONAL['phone']}")
            r = h.post(INTAKE, json=body, headers=TMAP)
            assert r.status_code == 201
            inc = r.json()["incident_id"]
            testing.wait_until(lambda: h.get(f"/v1/incidents/{inc}", headers=OPERATOR).json()["status"] == "closed",
                               timeout=30)
            # Error paths with personal values in body, path and query.
            bad = {**body, "consent": False}
            assert h.post(INTAKE, json=bad, headers=TMAP).status_code == 422
            assert h.post(INTAKE, json={**body, "lat": 10.0}, headers=TMAP).status_code == 422
            assert h.get(f"/v1/incidents/{PERSONAL['reporter']}", headers=OPERATOR).status_code == 404
            assert h.get("/v1/incidents", params={"cursor": PERSONAL["phone"]}, headers=OPERATOR).status_code in (400, 422)
            n = 6
    finally:
        testing.drop_schema(db.get("db_schema"))
    return n


def _onestop_flow(tmp_path) -> int:
    if not first_route("onestop", "POST", "/v1/residents"):
        return 0
    from tests.reliability.onestop_support import HUB, agency, consent, refer

    with service_client("onestop", tmp_path, seed_demo_data=False, log_level="DEBUG") as c:
        r = c.post("/v1/residents", json={"name": PERSONAL["name"], "birth_date": "1985-01-01",
                                          "phone": PERSONAL["phone"], "address_district": "yongbong"}, headers=HUB)
        assert r.status_code == 201, r.text
        rid = r.json()["id"]
        from tests.reliability.onestop_support import ASSESSMENT
        case = c.post("/v1/cases", json={"resident_id": rid, "assessment": ASSESSMENT}, headers=HUB).json()["id"]
        consent(c, rid, "kamco", ["identity", "contact", "finance"])
        ref = refer(c, case, "kamco-bad-debt-adjustment")["id"]
        assert c.get(f"/v1/agency/referrals/{ref}", headers=agency("kamco")).status_code == 200
        assert c.get(f"/v1/residents/{rid}", headers=HUB).status_code == 200
        # Refused: an RRN in the name, a bad phone; personal values in path and query.
        assert c.post("/v1/residents", json={"name": PERSONAL["rrn"], "birth_date": "1985-01-01",
                                             "phone": PERSONAL["phone"], "address_district": "yongbong"},
                      headers=HUB).status_code == 422
        assert c.post("/v1/residents", json={"name": PERSONAL["name"], "birth_date": "1985-01-01",
                                             "phone": PERSONAL["address"], "address_district": "yongbong"},
                      headers=HUB).status_code == 422
        assert c.get(f"/v1/residents/{PERSONAL['phone']}", headers=HUB).status_code == 404
        return 9


def _peaks_flow(tmp_path) -> int:
    if not first_route("peaks", "POST", "/v1/climbers"):
        return 0
    with service_client("peaks", tmp_path, log_level="DEBUG") as c:
        climber = register_climber(c, display_name=PERSONAL["display"], contact=PERSONAL["contact"])
        headers = {"authorization": f"Bearer {climber['token']}"}
        c.put(f"/v1/climbers/{climber['id']}/shipping-address",
              json={"name": PERSONAL["name"], "address": PERSONAL["address"], "postal_code": "44900",
                    "phone": PERSONAL["phone"]}, headers=headers)
        assert c.post("/v1/climbers", json={"display_name": PERSONAL["display"], "contact": PERSONAL["contact"],
                                            "birth_year": 3000, "gallery_consent": True}).status_code == 422
        assert c.get(f"/v1/climbers/{climber['id']}/progress", headers={"authorization": "Bearer clt_" + "x" * 40}
                     ).status_code == 401
        return 4


def test_logs_of_representative_flows_hold_no_personal_values(tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    flows = {"roadkill": _roadkill_flow(tmp_path / "r"), "onestop": _onestop_flow(tmp_path / "o"),
             "peaks": _peaks_flow(tmp_path / "p")}
    out, err = capfd.readouterr()
    records = caplog.records
    assert any(r.name == "access" for r in records), "the capture sees the services' logs"
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in records)
    logged += "\n" + "\n".join(str(r.exc_info[1]) for r in records if r.exc_info)
    logged += "\n" + out + "\n" + err
    leaks = {k: v for k, v in PERSONAL.items() if v in logged}
    record_figure("log_scan", {"requests": flows, "log_records": len(records), "values_checked": len(PERSONAL),
                               "bytes_scanned": len(logged)})
    assert not leaks, f"personal values in the logs: {leaks}"


# -- pages: CSP and security headers; CORS only on the open API's GETs -----------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_ui_pages_send_csp_and_security_headers(service, tmp_path):
    with service_client(service, tmp_path) as c:
        pages = [p for m, p, r in http_routes(c.app) if m == "GET" and p.startswith("/ui")
                 and not p.startswith(("/ui/events", "/ui/static"))]
        if not pages:
            pytest.skip(f"{service} has no /ui pages yet")
        for path in pages:
            r = c.get(fill_path(path))
            assert r.status_code < 500, (path, r.status_code)
            h = r.headers  # on every answer, a 404 or a 401 page included
            csp = h.get("content-security-policy", "")
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, (path, csp)
            assert "'unsafe-eval'" not in csp and "script-src 'self'" in csp
            assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
            assert h["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("service", SERVICES)
def test_cors_only_on_open_api_get_routes(service, tmp_path):
    spec = spec_of(service)
    prefixes = tuple(spec.cors_get_prefixes)
    origin = "https://partner-municipality.example"
    checked = 0
    with service_client(service, tmp_path) as c:
        for method, path, route in http_routes(c.app):
            if decision_of(route) is None or method == "*":
                continue
            url = fill_path(path)
            pre = c.options(url, headers={"origin": origin, "access-control-request-method": method,
                                          "access-control-request-headers": "authorization"})
            simple = c.request(method, url, headers={"origin": origin}) if method == "GET" else None
            checked += 1
            open_get = method == "GET" and path.startswith(prefixes) if prefixes else False
            if open_get:
                assert pre.headers.get("access-control-allow-origin") == "*", (path, pre.headers)
                assert "POST" not in pre.headers.get("access-control-allow-methods", "")
                assert simple is not None and simple.headers.get("access-control-allow-origin") == "*"
            else:
                assert "access-control-allow-origin" not in pre.headers, f"preflight {method} {path} allowed"
                if simple is not None:
                    assert "access-control-allow-origin" not in simple.headers, f"GET {path} has CORS"
    record_figure(f"cors_{service}", {"routes_checked": checked, "cors_prefixes": list(prefixes)})


def test_demo_keys_open_nothing_outside_demo_mode(tmp_path):
    """Outside demo mode no documented demo key opens any party route of any service."""
    for service in SERVICES:
        with service_client(service, tmp_path / service, demo_mode=False, secret_key=REAL_SECRET) as c:
            operator = spec_of(service).parties.operator
            r = c.get("/v1/ops/outbox", headers={"authorization": f"Bearer demo-{operator}"})
            assert r.status_code == 401
            ap = auth.autopilot_key(REAL_SECRET, operator)
            assert c.get("/v1/ops/outbox", headers={"authorization": f"Bearer {ap}"}).status_code == 401
