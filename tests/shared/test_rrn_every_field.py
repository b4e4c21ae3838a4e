"""Every text field of every write route of the three services (read from their OpenAPI documents), given a
resident registration number: either the request is refused naming that field, or the number is stored
nowhere — no table of the service (business rows, outbox payloads, trace, inbox) holds it — and the answer
does not hold it either (issue 14, M2). Form and multipart fields are covered per service
(tests/roadkill/test_rrn_redaction.py, tests/peaks/test_rrn_fields.py)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from shared.rrn import find_rrns, rrn_paths
from tests.reliability.support import (
    SERVICES,
    Synth,
    service_client,
    write_routes,
)

NUMBER = "850101-1234567"
DIGITS = NUMBER.replace("-", "")


def _holds_it(value: Any) -> bool:
    """Whether `value` holds this test's number (not any RRN-shaped value, so a hash never counts)."""
    return any(m.digits == DIGITS for text in _texts(value) for m in find_rrns(text))


def _texts(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _texts(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _texts(v)


def _stored(platform) -> list[str]:
    found = []
    with platform.db.read_session() as s:
        for table in platform.spec.metadata.sorted_tables:
            for row in s.execute(select(table)).mappings():
                values = {k: v for k, v in row.items() if isinstance(v, str | dict | list)}
                if _holds_it(values):
                    found.append(f"{table.name}: {rrn_paths(values)}")
    return found


def _string_fields(synth: Synth, method: str, path: str) -> list[str]:
    op = synth.operation(method, path) or {}
    content = synth.resolve(op.get("requestBody") or {}).get("content", {})
    schema = synth.resolve(content.get("application/json", {}).get("schema", {}))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = synth.resolve(prop)
        kinds = [synth.resolve(o).get("type") for o in prop.get("anyOf", [])] or [prop.get("type")]
        if "string" in kinds:
            out.append(name)
    return out


@pytest.mark.parametrize("service", SERVICES)
def test_no_text_field_keeps_a_resident_registration_number(service, tmp_path):
    refused, accepted, failures = 0, [], []
    with service_client(service, tmp_path, seed_demo_incidents=False, seed_demo_data=False) as c:
        p = c.app.state.platform
        synth = Synth(c.app.openapi())
        for w in write_routes(c, service, synth):
            method, path, body = w.method, w.path, w.request.get("json")
            if not isinstance(body, dict):
                continue
            for field in _string_fields(synth, method, path):
                r = c.request(method, w.url, params=w.request.get("params"), headers=w.headers,
                              json={**body, field: f"note {NUMBER} end"})
                where = f"{method} {path} {field}"
                if r.status_code >= 500:
                    failures.append(f"{where}: HTTP {r.status_code}")
                if any(m.digits == DIGITS for m in find_rrns(r.text)):
                    failures.append(f"{where}: the answer ({r.status_code}) holds the number")
                if r.status_code == 422 and r.json().get("type", "").endswith("/rrn-refused"):
                    assert [e["field"] for e in r.json()["errors"]] == [field], where
                    refused += 1
                else:
                    accepted.append(f"{where} ({r.status_code})")
        failures += _stored(p)
    print(f"[figure] {service}: {refused} fields refused, {len(accepted)} not refused and stored nowhere: "
          f"{', '.join(accepted)}")
    assert not failures, "\n".join(failures)
    assert refused > 0


def test_an_endpoint_url_holding_one_is_refused(tmp_path):
    with service_client("roadkill", tmp_path, seed_demo_incidents=False) as c:
        r = c.put("/v1/ops/endpoints/acrc", headers={"authorization": "Bearer demo-chungnam"},
                  json={"url": f"https://hooks.example/{NUMBER}/in"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url", r.text
        assert not _holds_it(r.text) and not _stored(c.app.state.platform)
