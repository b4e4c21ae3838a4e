"""The three OpenAPI documents tell the truth: typed answers, examples, problems and headers as they are.

Walks `app.openapi()` of each service (never started: no database) and checks that every operation's 2xx
answer has a typed schema, every request body has an example, every error is documented as
`application/problem+json` with the shared `Problem` schema (and FastAPI's `HTTPValidationError` appears
nowhere), every write documents `Idempotency-Key`, and that every problem `type` the code can emit
resolves to a page (HTML and JSON) saying how to fix it.
"""
from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.problems import _STATUS_SLUGS
from tests.reliability.support import SERVICES, offline_app

ROOT = Path(__file__).resolve().parents[2]
METHODS = {"get", "put", "post", "delete", "patch"}
WRITES = {"post", "put", "patch"}
# Operations allowed an untyped answer: none (the standards routes, HSDS, Darwin Core and GeoJSON exports
# and FHIR, have their own response models or media types now).
UNTYPED_ALLOWED: set[tuple[str, str, str]] = set()
OWN_ERROR_SHAPE = ("/open311/",)  # errors in the standard's own shape (Open311's [{code, description}])


@pytest.fixture(scope="module", params=SERVICES)
def service_doc(request) -> tuple[str, Any, dict[str, Any]]:
    app = offline_app(request.param)
    return request.param, app, app.openapi()


def operations(doc: dict[str, Any]):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def untyped(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """An answer a generated client learns nothing from: `{}`, or an object/array of unknown members."""
    schema = _resolve(doc, schema)
    if not schema:
        return True
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return any(untyped(doc, s) for s in schema[key] if s.get("type") != "null")
    if schema.get("type") == "array":
        return untyped(doc, schema.get("items", {}))
    if schema.get("type") == "object":
        extra = schema.get("additionalProperties")
        return not schema.get("properties") and not isinstance(extra, dict)
    return False


def test_every_2xx_answer_is_typed(service_doc):
    service, _app, doc = service_doc
    found = []
    for path, method, op in operations(doc):
        if (service, method, path) in UNTYPED_ALLOWED:
            continue
        for code, response in op["responses"].items():
            if not code.startswith("2"):
                continue
            for media, content in (response.get("content") or {}).items():
                if "json" in media and untyped(doc, content.get("schema", {})):
                    found.append(f"{method.upper()} {path} {code} {media}")
                elif "json" not in media and not content.get("schema"):
                    found.append(f"{method.upper()} {path} {code} {media} (no schema)")
    assert not found, f"{len(found)} untyped answers:\n" + "\n".join(found)


def test_every_request_body_has_an_example(service_doc):
    _service, _app, doc = service_doc
    missing = []
    for path, method, op in operations(doc):
        if path.startswith(OWN_ERROR_SHAPE):  # Open311's forms: the standards work documents them
            continue
        for media, content in (op.get("requestBody", {}).get("content") or {}).items():
            schema = _resolve(doc, content.get("schema", {}))
            if not (content.get("example") or content.get("examples") or schema.get("examples")
                    or schema.get("example")):
                missing.append(f"{method.upper()} {path} {media}")
    assert not missing, "request bodies without an example:\n" + "\n".join(missing)


def test_errors_are_problems_and_fastapi_validation_error_is_gone(service_doc):
    _service, _app, doc = service_doc
    assert "HTTPValidationError" not in json.dumps(doc)
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem["properties"])
    field_error = doc["components"]["schemas"]["FieldError"]
    assert {"field", "in", "pointer", "message"} <= set(field_error["properties"])
    wrong = []
    for path, method, op in operations(doc):
        if path.startswith(OWN_ERROR_SHAPE):
            continue
        codes = set(op["responses"])
        needed = {"503"} | ({"401", "403"} if op.get("security") else set())
        needed |= {"422"} if op.get("parameters") or op.get("requestBody") else set()
        needed |= {"404"} if any(p["in"] == "path" for p in op.get("parameters", [])) else set()
        needed |= {"413", "415"} if op.get("requestBody") else set()
        if needed - codes:
            wrong.append(f"{method.upper()} {path}: {sorted(needed - codes)} not documented")
        for code, response in op["responses"].items():
            if code[0] in "45" and response.get("content", {}).get("application/problem+json", {}).get(
                    "schema") != {"$ref": "#/components/schemas/Problem"}:
                wrong.append(f"{method.upper()} {path} {code}: not application/problem+json Problem")
            if code in ("429", "503") and "Retry-After" not in response.get("headers", {}):
                wrong.append(f"{method.upper()} {path} {code}: Retry-After not documented")
    assert not wrong, "\n".join(wrong)


def test_every_write_documents_idempotency_key(service_doc):
    # Honoured on every write by a caller with a key (a public write refuses it: a stored answer could be
    # replayed to anyone sending the same key).
    _service, _app, doc = service_doc
    missing = [f"{method.upper()} {path}" for path, method, op in operations(doc) if method in WRITES
               and op.get("security") and not any(p["name"] == "Idempotency-Key" and p["in"] == "header" and "stored" in p["description"]
                           for p in op.get("parameters", []))]
    assert not missing, "writes without Idempotency-Key:\n" + "\n".join(missing)


def test_webhooks_carry_standard_webhooks_headers_and_payloads(service_doc):
    _service, _app, doc = service_doc
    hooks = doc.get("webhooks") or {}
    assert hooks, "no OpenAPI 3.1 webhooks section"
    for name, item in hooks.items():
        op = item["post"]
        headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
        assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= headers, name
        body = _resolve(doc, op["requestBody"]["content"]["application/json"]["schema"])
        assert {"type", "timestamp", "data"} <= set(body["properties"]), name
        assert not untyped(doc, body["properties"]["data"]), f"{name}: untyped payload"



def calls_in(folder: Path) -> Iterator[tuple[str, ast.Call]]:
    """Every call in the Python code under `folder`, with the name it is called by (`f(…)` or `x.f(…)`)."""
    for file in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                yield getattr(node.func, "id", getattr(node.func, "attr", "")), node


def _text(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def sent_webhook_kinds(folder: Path) -> set[str]:
    """Every webhook kind the code under `folder` queues as a literal: `outbox.enqueue(..., kind="...")` and
    the subscriber notifications (`notify_subscribers(session, platform, "...", ...)`)."""
    kinds: set[str | None] = set()
    for name, call in calls_in(folder):
        if name == "enqueue":
            kinds |= {_text(k.value) for k in call.keywords if k.arg == "kind"}
        elif name == "notify_subscribers" and len(call.args) > 2:
            kinds.add(_text(call.args[2]))
    return {k for k in kinds if k}


def test_every_webhook_the_code_sends_is_documented(service_doc):
    service, _app, doc = service_doc
    sent = sent_webhook_kinds(ROOT / "services" / service)
    assert sent, f"the scan found no webhook that {service} sends"
    assert sent <= set(doc.get("webhooks") or {}), f"sent but not documented: {sorted(sent - set(doc['webhooks']))}"


# -- problem types: every slug the code can emit resolves ------------------------------------

# Calls whose first string argument that reads as a slug is a problem's slug (after status, app or platform).
PROBLEM_CALLS = {"Problem", "_problem", "_problem_bytes", "reply", "FlowError", "problem_body"}
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_KEYWORDS = {"field_problem": "slug", "InputError": "code", "Problem": "slug"}


def emitted_slugs(folder: Path) -> set[str]:
    """Every problem slug written as a literal in the code under `folder` (positional or keyword)."""
    slugs: set[str | None] = set()
    for name, call in calls_in(folder):
        if name in PROBLEM_CALLS:  # the first string argument that reads as a slug
            slugs.update([t for t in map(_text, call.args) if t and SLUG.match(t)][:1])
        slugs.update(_text(k.value) for k in call.keywords if k.arg == SLUG_KEYWORDS.get(name))
    return {s for s in slugs if s}


def test_the_scan_finds_the_slugs_it_should():
    # A guard on the guard: literals in positional and keyword form are all found.
    assert {"unknown-resident", "consent-required"} <= emitted_slugs(ROOT / "services" / "onestop")
    assert {"peak-inactive", "no-medal-due", "malformed-multipart"} <= emitted_slugs(ROOT / "services" / "peaks")
    assert {"idempotency-key-reused", "payload-too-large", "bad-cursor"} <= emitted_slugs(ROOT / "shared")


def test_every_problem_type_the_code_emits_resolves(service_doc):
    service, app, _doc = service_doc
    slugs = emitted_slugs(ROOT / "shared") | emitted_slugs(ROOT / "services" / service) | set(_STATUS_SLUGS.values())
    base = app.state.platform.settings.base_url
    client = TestClient(app)  # no lifespan: the pages need no database
    unresolved = []
    for slug in sorted(slugs):
        r = client.get(f"/problems/{slug}", headers={"accept": "application/json"})
        if r.status_code != 200:
            unresolved.append(slug)
            continue
        page = r.json()
        assert page["type"] == f"{base}/problems/{slug}" and page["slug"] == slug and page["fix"], page
        html = client.get(f"/problems/{slug}", headers={"accept": "text/html,application/xhtml+xml"})
        assert html.headers["content-type"].startswith("text/html") and page["title"] in html.text
    assert not unresolved, f"problem types without a page in {service}: {unresolved}"
    listing = client.get("/problems/").json()["items"]
    assert {e["slug"] for e in listing} >= slugs - {"error"}


def test_a_problem_answer_carries_an_absolute_type_that_resolves(service_doc):
    _service, app, _doc = service_doc
    client = TestClient(app)
    body = client.get("/v1/ops/outbox").json()  # no key: 401, answered before any database use
    assert body["type"] == f"{app.state.platform.settings.base_url}/problems/unauthorized", body
    page = client.get(body["type"].removeprefix(app.state.platform.settings.base_url))
    assert page.status_code == 200 and page.json()["status"] == 401
    assert client.get("/problems/no-such-problem").status_code == 404
