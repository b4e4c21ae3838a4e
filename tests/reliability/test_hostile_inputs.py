"""Hostile input corpus: garbage in → a 4xx problem (Open311's format on Open311 paths), never a 5xx, and
nothing half-written (row counts of every table, and for peaks the stored files, before and after).

- every write route of every service gets malformed bodies (wrong content types, truncated JSON, invalid
  UTF-8, arrays instead of objects, 5,000-digit numbers, deep nesting, NUL characters in each field);
- roadkill's intake gets hostile text in each of its text fields (NUL, control characters, 100 KB, RTL
  overrides, SQL injection) and a hypothesis run of arbitrary Unicode transcripts: accepted text must
  round-trip unchanged, refused text must leave nothing behind;
- oversize bodies get 413 from the server before it has read them (raw sockets: a declared
  Content-Length is refused after the headers alone; a chunked stream is cut off near the limit);
- peaks' photo intake gets truncated, polyglot, text-as-JPEG, decompression-bomb and garbage-EXIF files.
"""
from __future__ import annotations

import json
import select as selectmod
import socket
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from shared import testing
from shared.rrn import redact
from tests.reliability.roadkill_support import INTAKE, OPERATOR, TMAP, voice_report
from tests.reliability.support import (
    CLIMBER_REGISTRATION,
    SERVICES,
    Synth,
    assert_problem,
    caller_headers,
    create_app,
    decision_of,
    fill_path,
    has_route,
    http_routes,
    quiet_settings,
    record_figure,
    register_climber,
    service_client,
    spec_of,
    write_routes,
)

HOSTILE_TEXT = {
    "nul": "before\x00after",
    "control": "bell\x07 escape\x1b[31m backspace\x08 del\x7f",
    "long_100k": "가" * 100_000,
    "rtl_override": "\u202eexe.txt\u202c ‫عربى‬ עברית",
    "sql_quote": "'; DROP TABLE report; --",
    "sql_union": "x' UNION SELECT key_hash FROM api_key --",
    "sql_or": "' OR '1'='1",
    "zalgo_emoji": "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ 🦌🚗💥",
    "format_chars": "\u200b\u200d\ufeff zero width",
}
TOTALS: dict[str, int] = {}


def _tally(key: str, n: int = 1) -> None:
    TOTALS[key] = TOTALS.get(key, 0) + n


def row_counts(platform) -> dict[str, int]:
    with platform.db.read_session() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t))
                for t in platform.spec.metadata.sorted_tables}


def files_under(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()} if path.exists() else set()


def unchanged(before: dict[str, int], after: dict[str, int], what: str) -> None:
    # The idempotency table may hold a refused request's outcome; nothing else may change.
    diff = {k: (before.get(k), after.get(k)) for k in after if before.get(k) != after.get(k)
            and k != "idempotency_key"}
    assert not diff, f"{what}: rows written by a refused request: {diff}"


# -- malformed bodies on every write route -------------------------------------------------------


def _malformed(body: object) -> list[tuple[str, dict]]:
    valid = json.dumps(body if body is not None else {}).encode()
    deep = b"[" * 100_000 + b"]" * 100_000
    out = [
        ("text/plain", {"content": valid, "headers": {"content-type": "text/plain"}}),
        ("xml", {"content": b"<?xml version='1.0'?><a><b>1</b></a>", "headers": {"content-type": "application/xml"}}),
        ("truncated_json", {"content": valid[: max(len(valid) // 2, 1)], "headers": {"content-type": "application/json"}}),
        ("invalid_utf8", {"content": b'{"x": "\xff\xfe\xc3\x28"}', "headers": {"content-type": "application/json"}}),
        ("json_array", {"content": b"[]", "headers": {"content-type": "application/json"}}),
        ("json_null", {"content": b"null", "headers": {"content-type": "application/json"}}),
        ("huge_number", {"content": b'{"n": ' + b"9" * 5000 + b"}", "headers": {"content-type": "application/json"}}),
        ("deep_nesting", {"content": deep[:400_000], "headers": {"content-type": "application/json"}}),
        ("lone_surrogate", {"content": b'{"x": "\\ud800"}', "headers": {"content-type": "application/json"}}),
    ]
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, str):
                out.append((f"nul_in_{key}", {"json": {**body, key: value + "\x00"}}))
    return out


@pytest.mark.parametrize("service", SERVICES)
def test_malformed_bodies_on_every_write_route(service, tmp_path):
    failures: list[str] = []
    tried = 0
    with service_client(service, tmp_path, seed_demo_incidents=False, seed_demo_data=False) as c:
        p = c.app.state.platform
        for w in write_routes(c, service, Synth(c.app.openapi())):
            for name, variant in _malformed(w.request.get("json")):
                before = row_counts(p)
                headers = {**w.headers, **variant.get("headers", {})}
                r = c.request(w.method, w.url, params=w.request.get("params"), headers=headers,
                              **{k: v for k, v in variant.items() if k != "headers"})
                tried += 1
                where = f"{w.method} {w.path} [{name}]"
                if r.status_code >= 500 or r.status_code < 400:
                    failures.append(f"{where}: HTTP {r.status_code}: {r.text[:200]}")
                    continue
                try:
                    assert_problem(r, w.path)
                    unchanged(before, row_counts(p), where)
                except AssertionError as exc:
                    failures.append(str(exc)[:300])
    _tally(f"malformed_{service}", tried)
    record_figure(f"hostile_malformed_{service}", {"requests": tried})
    assert not failures, "\n".join(failures[:40])


# -- hostile text in roadkill's intake -----------------------------------------------------------------


@pytest.fixture
def roadkill(tmp_path):
    with service_client("roadkill", tmp_path, seed_demo_incidents=False) as c:
        yield c


def _check_intake(c, body: dict, what: str) -> int:
    p = c.app.state.platform
    before = row_counts(p)
    r = c.post(INTAKE, json=body, headers=TMAP)
    assert r.status_code < 500, f"{what}: HTTP {r.status_code}: {r.text[:300]}"
    if r.status_code >= 400:
        assert_problem(r, INTAKE)
        unchanged(before, row_counts(p), what)
        return r.status_code
    assert r.status_code == 201
    detail = c.get(f"/v1/incidents/{r.json()['incident_id']}", headers=OPERATOR).json()
    mine = next(x for x in detail["reports"] if x["id"] == r.json()["report_id"])
    for field in ("transcript", "road_name"):
        if body.get(field) is not None:
            # Stored as given (at most trimmed of surrounding whitespace, and a resident registration
            # number masked: shared.rrn), never interpreted.
            stored, given = mine[field], redact(body[field])
            assert stored in given and stored.strip() == given.strip(), \
                f"{what}: {field} changed in storage: {stored!r}"
    assert c.get("/readyz").status_code == 200
    return r.status_code


@pytest.mark.parametrize("field", ["transcript", "reporter", "road_name"])
def test_roadkill_intake_hostile_text(roadkill, field):
    codes = {}
    for i, (name, value) in enumerate(HOSTILE_TEXT.items()):
        body = voice_report(500 + i)
        body[field] = value
        codes[name] = _check_intake(roadkill, body, f"{field}={name}")
    _tally("roadkill_hostile_text", len(codes))
    assert codes["nul"] == 422
    # Tables survived the injection attempts.
    assert roadkill.get("/v1/incidents", headers=OPERATOR).status_code == 200


@settings(max_examples=40, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(transcript=st.text(min_size=1, max_size=300))
def test_roadkill_intake_arbitrary_unicode_never_500(roadkill, transcript):
    body = voice_report(900)
    body["transcript"] = transcript
    _check_intake(roadkill, body, f"transcript={transcript!r}")
    _tally("roadkill_hypothesis_transcripts")


def test_roadkill_intake_hostile_numbers_and_types(roadkill):
    cases = {"lat": ["NaN", "Infinity", 1e308, "36.8; DROP TABLE incident", True, None],
             "heading_deg": [-1, 361, "north"], "accuracy_m": [-5, 1e12],
             "reported_at": ["2026-13-45T99:99:99+09:00", "1999-01-01T00:00:00+09:00", "2999-01-01T00:00:00+09:00",
                             "2026-11-29T10:00:00"],
             "consent": [False, "no", 0, None]}
    n = 0
    for field, values in cases.items():
        for v in values:
            body = voice_report(700 + n)
            body[field] = v
            payload = json.dumps(body, allow_nan=True)
            before = row_counts(roadkill.app.state.platform)
            r = roadkill.post(INTAKE, content=payload, headers={**TMAP, "content-type": "application/json"})
            assert 400 <= r.status_code < 500, (field, v, r.status_code, r.text[:200])
            assert_problem(r, INTAKE)
            if r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"):
                assert r.json().get("errors"), "validation errors name the field"
            unchanged(before, row_counts(roadkill.app.state.platform), f"{field}={v!r}")
            n += 1
    _tally("roadkill_hostile_values", n)


# -- oversize bodies: 413 before the server read them -----------------------------------------------


def _raw_request(port: int, method: str, path: str, headers: dict[str, str], body_iter=(),
                 wait_first_s: float = 0.0, deadline_s: float = 30.0):
    """A request over a raw socket that stops sending as soon as the server answers.

    `wait_first_s`: how long to wait for an answer after the headers, before sending any body.
    Returns (status line, body bytes sent, whether the server answered before the client finished)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=deadline_s)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(head.encode() + b"\r\n")
    sent, answered_early = 0, False
    start = time.monotonic()
    try:
        if wait_first_s and selectmod.select([sock], [], [], wait_first_s)[0]:
            answered_early = True
        else:
            for chunk in body_iter:
                if selectmod.select([sock], [], [], 0)[0]:
                    answered_early = True
                    break
                try:
                    sock.sendall(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    answered_early = True
                    break
                sent += len(chunk)
                if time.monotonic() - start > deadline_s:
                    break
        data = b""
        while b"\r\n" not in data:
            part = sock.recv(65536)
            if not part:
                break
            data += part
        return data.split(b"\r\n", 1)[0].decode(errors="replace"), sent, answered_early
    finally:
        sock.close()


MULTIPART_HEAD = (b'--xyzzy\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
                  b"Content-Type: image/jpeg\r\n\r\n")


def _chunked(total: int, piece: int = 65536, prefix: bytes = b""):
    if prefix:
        yield f"{len(prefix):x}\r\n".encode() + prefix + b"\r\n"
    frame = f"{piece:x}\r\n".encode() + b"y" * piece + b"\r\n"
    for _ in range(total // piece):
        yield frame
        time.sleep(0.0002)


@pytest.mark.parametrize("service", SERVICES)
def test_oversize_bodies_get_413_before_being_read(service, tmp_path):
    spec = spec_of(service)
    max_body = 1_000_000
    db = testing.database_overrides(tmp_path, service)
    try:
        app = create_app(service, **quiet_settings(db, tmp_path, max_body_bytes=max_body))
        posts = {p for m, p, _ in http_routes(app) if m == "POST"}
        auth = {"authorization": f"Bearer demo-{spec.parties.operator}"}
        # A route of every service that reads a JSON body, and every path with a limit of its own.
        targets = {("PUT", "/v1/ops/endpoints/{party}"): max_body}
        targets.update({("POST", p): lim for p, lim in spec.body_limits.items() if p in posts})
        decisions = {(m, p): decision_of(r) for m, p, r in http_routes(app)}
        with testing.live_server(app) as server:
            token = None
            if has_route(app, "POST", CLIMBER_REGISTRATION):
                with httpx.Client(base_url=server.url) as h:
                    token = register_climber(h)["token"]
            for (method, target), limit in targets.items():
                auth = caller_headers(decisions[(method, target)], spec.parties, token)
                target = fill_path(target, party=spec.parties.operator)
                ctype = "application/json" if method == "PUT" else "multipart/form-data; boundary=xyzzy"
                declared = 50 * limit
                # Declared length over the limit: answered after the headers alone, no body byte read.
                status, sent, early = _raw_request(server.port, method, target,
                                                   {**auth, "content-type": ctype,
                                                    "content-length": str(declared)}, wait_first_s=5)
                assert " 413 " in status + " ", (target, status)
                assert early and sent == 0, f"{target}: no answer before the body was sent"
                # Chunked, no length: cut off near the limit (kernel buffers add a few MB at most).
                status, sent, early = _raw_request(server.port, method, target,
                                                   {**auth, "content-type": ctype,
                                                    "transfer-encoding": "chunked"},
                                                   _chunked(8 * limit, prefix=b"" if method == "PUT" else MULTIPART_HEAD))
                assert " 413 " in status + " ", (target, status)
                assert early and sent < limit + 8_000_000, f"{target}: {sent:,} bytes sent before the answer"
                _tally(f"oversize_{service}", 2)
    finally:
        testing.drop_schema(db.get("db_schema"))


# -- peaks: hostile files ------------------------------------------------------------------------------


def test_peaks_hostile_files(tmp_path):
    from tests.reliability.peaks_support import hostile_files

    n = hostile_files(tmp_path, row_counts, files_under, unchanged)
    _tally("peaks_hostile_files", n)


def test_zz_record_totals():
    """Runs last in this module (file order): the number of hostile inputs tried, for docs/reliability.md."""
    record_figure("hostile_totals", TOTALS)
