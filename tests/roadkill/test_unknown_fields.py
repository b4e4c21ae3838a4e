"""Request bodies refuse fields they do not know (422 naming them, nothing written), and every JSON request
body in the three OpenAPI documents says so (`additionalProperties: false`), so what a client sends is never
silently dropped and the documents match what the platform checks."""
from __future__ import annotations

import importlib

import pytest
from sqlalchemy import func, select

from services.roadkill.models import Report
from tests.roadkill.conftest import auth, report_body


def test_an_unknown_field_in_a_voice_report_is_refused_naming_it(client, platform):
    r = client.post("/v1/voice-reports", json={**report_body(), "speeed_kmh": 80}, headers=auth("tmap"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["speeed_kmh"]
    with platform.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Report)) == 0


def _resolve(doc, schema):
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


@pytest.mark.parametrize("service", ["roadkill", "peaks", "onestop"])
def test_every_json_request_body_is_closed(service):
    doc = importlib.import_module(f"services.{service}.app").create_app().openapi()
    open_bodies = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            content = (op.get("requestBody") or {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is None:
                continue
            schema = _resolve(doc, schema)
            if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
                open_bodies.append(f"{method.upper()} {path}")
    assert not open_bodies
