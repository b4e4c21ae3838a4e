"""The OpenAPI document as the service behaves: problems, headers and webhooks documented from one place.

`install(app)` wraps FastAPI's generator. On top of what the routes declare it documents, per operation:

* every error status the platform can answer with, as `application/problem+json` with the shared
  `Problem` schema (RFC 9457 members plus `errors[]` naming each invalid field with a JSON Pointer):
  401/403 where a key is needed, 404 where the path names a record, 413/415 where a body is read,
  422 where an input is validated, 400/409 around `Idempotency-Key`, `If-Match` and cursors, 503 always;
  FastAPI's `HTTPValidationError` is removed (the platform never answers with it);
* `Idempotency-Key` on every POST/PUT/PATCH (the middleware honours it on all of them), `Retry-After`
  on 429/503 and on the in-flight 409, `Idempotent-Replayed` on replayed answers;
* the Standard Webhooks events each party receives, as OpenAPI 3.1 `webhooks` (`webhook_events`).

Paths whose errors have another shape by their standard (`ServiceSpec.error_formatters`, e.g. Open311)
keep the error responses their routes declare.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from shared import openapi_links, openapi_summaries
from shared.answers import FeatureCollection
from shared.problems import PROBLEM_JSON

WRITE_METHODS = ("post", "put", "patch")
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}}
RATE_LIMIT = {name: {"description": text, "schema": {"type": "integer"}} for name, text in (
    ("X-RateLimit-Limit", "Requests allowed per window for this key"),
    ("X-RateLimit-Remaining", "Requests left in the current window"),
    ("X-RateLimit-Reset", "Seconds until the budget is full again"))}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": ("A unique key (1–255 printable characters, e.g. a UUID) making this write safe to retry. "
                    "The first answer to a key is stored for 24 h per calling party: retrying the same request "
                    "with the same key returns it again (`Idempotent-Replayed: true`) without acting twice; "
                    "the same key with another body is refused (422 idempotency-key-reused); a retry while the "
                    "first is still running gets 409 idempotency-in-flight with `Retry-After`. Answers ≥ 500 "
                    "are not stored, so they may be retried with the same key."),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7E]+$",
               "examples": ["5f0c6a9e-2d7b-4c1e-9a43-0b8f2e6d1c7a"]}}
REPLAYED = {"Idempotent-Replayed": {"description": "`true` when this is the stored answer to an earlier "
                                                  "request with the same Idempotency-Key",
                                    "schema": {"type": "string", "enum": ["true"]}}}
ETAG = {"ETag": {"description": "The representation's version: send it back in If-None-Match (304 when "
                                 "unchanged) or, on a record with a version, in If-Match to change it",
                  "schema": {"type": "string"}}}
IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                 "description": "The ETag of your copy: 304 Not Modified (no body) when it is still current"}
STANDARD_WEBHOOK_HEADERS = [
    {"name": "webhook-id", "in": "header", "required": True, "schema": {"type": "string"},
     "description": "Unique message id; the same on every retry (deduplicate on it)"},
    {"name": "webhook-timestamp", "in": "header", "required": True, "schema": {"type": "string"},
     "description": "Unix seconds when the message was signed; refuse it when far from now"},
    {"name": "webhook-signature", "in": "header", "required": True, "schema": {"type": "string"},
     "description": ("`v1,<base64 HMAC-SHA256>` over `<webhook-id>.<webhook-timestamp>.<body>` with the "
                     "party's secret (Standard Webhooks); several space-separated while a secret rotates")}]

REASONS = {400: "The request cannot be read (see `type`)", 401: "No API key, or not a valid one",
           403: "This party may not use this operation", 404: "No such record (or none this party may see)",
           409: "Conflicts with the current state (see `type`)", 410: "No longer available",
           412: "The record changed since the version in If-Match", 413: "Request body too large",
           415: "Unsupported Content-Type", 422: "Invalid input: `errors[]` names each field",
           428: "This write needs If-Match", 429: "Rate limit exceeded (see Retry-After)",
           503: "Database unavailable or not migrated; retry after Retry-After"}


class FieldError(BaseModel):
    """One invalid input."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    field: str = Field(description="The input's name (dotted for nested body fields)", examples=["lat"])
    in_: str | None = Field(default=None, alias="in", description="body, query, path or header", examples=["body"])
    pointer: str | None = Field(default=None, description="JSON Pointer (RFC 6901) to it inside that part",
                                examples=["/lat"])
    message: str = Field(examples=["Input should be less than or equal to 90"])
    type: str | None = Field(default=None, description="Machine-readable error kind", examples=["less_than_equal"])
    accepted: dict[str, Any] | None = Field(default=None, description="What is accepted", examples=[{"le": 90}])


class Problem(BaseModel):
    """An error (RFC 9457 problem details); `type` resolves to a page saying how to fix it."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "http://127.0.0.1:8001/problems/validation-error", "title": "Request validation failed",
        "status": 422, "detail": "lat: Input should be less than or equal to 90", "instance": "/v1/voice-reports",
        "errors": [{"field": "lat", "in": "body", "pointer": "/lat", "message": "Input should be less than or "
                    "equal to 90", "type": "less_than_equal", "accepted": {"le": 90}}]}]})

    type: str = Field(description="Absolute URI of the problem type (`<base URL>/problems/<slug>`)")
    title: str = Field(description="Short summary of the problem type")
    status: int = Field(ge=400, le=599, description="The HTTP status code")
    detail: str = Field(description="What went wrong this time, in words a person can act on")
    instance: str | None = Field(default=None, description="The path of the request")
    errors: list[FieldError] | None = Field(default=None, description="Each invalid input (validation problems)")


@dataclass(frozen=True)
class WebhookEvent:
    """A message the hub sends as a Standard Webhook: its `type`, who receives it and its `data`."""

    kind: str
    receivers: str
    payload: type[BaseModel]
    summary: str


def webhooks(events: Sequence[WebhookEvent], schemas: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.1 `webhooks`: one signed POST per event kind, its envelope and payload schema."""
    out: dict[str, Any] = {}
    for event in events:
        schema = event.payload.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
        schemas.update(schema.pop("$defs", {}))
        schemas[event.payload.__name__] = schema
        envelope = {"type": "object", "required": ["type", "timestamp", "data"], "properties": {
            "type": {"type": "string", "const": event.kind},
            "timestamp": {"type": "string", "format": "date-time", "description": "When the event happened"},
            "data": {"$ref": f"#/components/schemas/{event.payload.__name__}"}}}
        out[event.kind] = {"post": {
            "summary": event.summary, "operationId": f"webhook-{event.kind}", "tags": ["webhooks"],
            "description": (f"Sent to: {event.receivers}. Delivered from the outbox after the change commits, "
                            "signed as Standard Webhooks (verify `webhook-signature` over "
                            "`<webhook-id>.<webhook-timestamp>.<body>` with the secret of your endpoint; "
                            "deduplicate on `webhook-id`). Answer 2xx once stored; any other answer or a "
                            "timeout is retried with full-jitter backoff (a `Retry-After` is honoured) until "
                            "the message is dead-lettered."),
            "parameters": copy.deepcopy(STANDARD_WEBHOOK_HEADERS),
            "requestBody": {"required": True, "content": {"application/json": {"schema": envelope}}},
            "responses": {"2XX": {"description": "Received (store it, then answer)"},
                          "default": {"description": "Not received: the hub retries later"}}}}
    return out


def problem_response(status: int, description: str | None = None,
                     headers: dict[str, Any] | None = None) -> dict[str, Any]:
    """A `responses=` entry for a route: `status` answered as problem+json."""
    out: dict[str, Any] = {"description": description or REASONS.get(status, "Problem"),
                           "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}}}
    if headers:
        out["headers"] = headers
    return out


def _statuses(path: str, method: str, op: dict[str, Any]) -> set[int]:
    params = op.get("parameters", [])
    names = {p.get("name", "").lower() for p in params}
    out = {503}
    if op.get("security"):
        out |= {401, 403}
    if any(p.get("in") == "path" for p in params):
        out.add(404)
    if params or op.get("requestBody"):
        out.add(422)
    if op.get("requestBody"):
        out |= {413, 415}
    if method in WRITE_METHODS:
        out |= {400, 409, 422}
    if "if-match" in names:
        out |= {400, 409}
    if "cursor" in names:
        out.add(400)
    return out


# The platform refuses NUL anywhere in a query or a body (shared.middleware): every free string says so.
NO_NUL = "^[^\\u0000]*$"


def _no_nul(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & node.keys():
            node["pattern"] = NO_NUL
        if node.get("type") == "object" and node.get("additionalProperties") is not False:
            node.setdefault("propertyNames", {"pattern": NO_NUL})
        for value in node.values():
            _no_nul(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul(value)


def _refs(node: Any, schemas: dict[str, Any], seen: set[str] | None = None) -> set[str]:
    """The component schemas `node` refers to, directly or through others."""
    seen = set() if seen is None else seen
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        name = ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None
        if name and name not in seen and name in schemas:
            seen.add(name)
            _refs(schemas[name], schemas, seen)
        for value in node.values():
            _refs(value, schemas, seen)
    elif isinstance(node, list):
        for value in node:
            _refs(value, schemas, seen)
    return seen


def _document_operation(path: str, method: str, op: dict[str, Any], own_errors: bool) -> None:
    openapi_summaries.summarise(op)
    responses = op.setdefault("responses", {})
    # Honoured for callers with a key; a public write refuses it (400 idempotency-key-not-accepted).
    if method in WRITE_METHODS and op.get("security") and not any(p.get("name", "").lower() == "idempotency-key"
                                           for p in op.get("parameters", [])):
        op.setdefault("parameters", []).append(copy.deepcopy(IDEMPOTENCY_KEY))
    names = {p.get("name", "").lower() for p in op.get("parameters", [])}
    if "304" in responses and "if-none-match" not in names:  # conditional GET: ETag and If-None-Match
        op.setdefault("parameters", []).append(copy.deepcopy(IF_NONE_MATCH))
    for code, response in responses.items():
        if code.startswith("2") and method in WRITE_METHODS and op.get("security"):
            response.setdefault("headers", {}).update(REPLAYED)
        if code.startswith("2") and ("304" in responses or "if-match" in names):
            response.setdefault("headers", {}).update(ETAG)
        if code.startswith("2") and "429" in responses:
            response.setdefault("headers", {}).update(RATE_LIMIT)
    if own_errors:  # the standard's own error shape: leave it, but drop FastAPI's default 422
        if "HTTPValidationError" in str(responses.get("422", "")):
            responses["422"] = {"description": REASONS[422]}
        return
    for status in _statuses(path, method, op):
        responses.setdefault(str(status), {"description": REASONS[status]})
    for code, response in responses.items():
        if code[:1] not in ("4", "5"):
            continue
        content = response.get("content") or {}
        if (not content or "HTTPValidationError" in str(content)
                or PROBLEM_JSON in content and not content[PROBLEM_JSON].get("schema")):
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
        if code in ("429", "503") or (code == "409" and method in WRITE_METHODS):
            response.setdefault("headers", {}).update(RETRY_AFTER)
        if code == "429":
            response["headers"].update(RATE_LIMIT)


def document(doc: dict[str, Any], own_error_prefixes: Sequence[str] = (),
             webhooks: dict[str, Any] | None = None) -> dict[str, Any]:
    """Adds problems, headers and webhooks to a generated OpenAPI document (in place; returns it)."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for model in (FieldError, Problem, FeatureCollection):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    for path, item in doc.get("paths", {}).items():
        own = any(path.startswith(prefix) for prefix in own_error_prefixes)
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                _document_operation(path, method, op, own)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    inputs = [op.get(part) for item in doc.get("paths", {}).values() for op in item.values()
              if isinstance(op, dict) for part in ("parameters", "requestBody")]
    for name in _refs(inputs, schemas):  # request schemas only: answers may echo what was refused
        _no_nul(schemas[name])
    _no_nul(inputs)
    openapi_links.add_links(doc)
    if webhooks:
        doc["webhooks"] = webhooks
    return doc


def install(app: FastAPI) -> None:
    """Replaces `app.openapi` with FastAPI's document passed through `document` (built once); the
    webhooks are the service's `ServiceSpec.webhooks`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if getattr(app.state, "openapi_documented", None) is None:
            app.openapi_schema = None
            prefixes = [prefix for prefix, _ in getattr(app.state, "error_formatters", ())]
            doc = generate()
            platform = getattr(app.state, "platform", None)
            events = getattr(platform.spec, "webhooks", ()) if platform is not None else ()
            hooks = webhooks(events, doc.setdefault("components", {}).setdefault("schemas", {}))
            app.state.openapi_documented = document(doc, prefixes, hooks)
            app.openapi_schema = app.state.openapi_documented
        return app.state.openapi_documented

    app.openapi = openapi  # type: ignore[method-assign]
