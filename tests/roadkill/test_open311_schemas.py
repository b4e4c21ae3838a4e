"""The project's GeoReport v2 schemas reject what the specification forbids: each real document of the service
passes, and the same document with a required member removed, a value outside an enumeration or a wrong type
fails. Without this, a schema too loose to catch anything would let every Open311 test pass."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.roadkill.open311_schema import SCHEMA_DIR, errors
from tests.roadkill.test_open311 import BASE, post

SERVICE_NAME = "roadkill"


@pytest.fixture
def documents(client) -> dict[str, Any]:
    """One real document of each kind, straight from the service."""
    created = post(client).json()
    sr_id = created[0]["service_request_id"]
    return {
        "services.json": client.get(f"{BASE}/services.json").json(),
        "service-definition.json": client.get(f"{BASE}/services/roadkill.json").json(),
        "requests.json": client.get(f"{BASE}/requests/{sr_id}.json").json(),
        "post-response.json": created,
        "token-response.json": client.get(f"{BASE}/tokens/{created[0]['token']}.json").json(),
        "errors.json": client.get(f"{BASE}/requests/inc_NOPE.json").json(),
    }


def test_every_schema_is_draft7_and_described():
    import json

    from jsonschema import Draft7Validator

    names = sorted(p.name for p in SCHEMA_DIR.glob("*.json"))
    assert names == sorted(["errors.json", "post-response.json", "request.json", "requests.json",
                            "service-definition.json", "service.json", "services.json", "token-response.json"])
    for name in names:
        schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#", name
        assert schema.get("title") and schema.get("description"), name
        Draft7Validator.check_schema(schema)


def test_the_real_documents_pass(documents):
    for schema, doc in documents.items():
        assert errors(doc, schema) == [], schema


def _item(doc: Any) -> dict[str, Any]:
    return doc[0] if isinstance(doc, list) else doc


# (schema, path to the member inside the first item, replacement or None to remove it)
BROKEN = [
    # a required member missing
    ("services.json", ("service_code",), None),
    ("services.json", ("service_name",), None),
    ("services.json", ("metadata",), None),
    ("services.json", ("type",), None),
    ("service-definition.json", ("service_code",), None),
    ("service-definition.json", ("attributes",), None),
    ("service-definition.json", ("attributes", 0, "code"), None),
    ("service-definition.json", ("attributes", 0, "datatype"), None),
    ("service-definition.json", ("attributes", 0, "variable"), None),
    ("service-definition.json", ("attributes", 0, "required"), None),
    ("service-definition.json", ("attributes", 0, "order"), None),
    ("service-definition.json", ("attributes", 0, "values"), None),  # required for a singlevaluelist
    ("service-definition.json", ("attributes", 0, "values", 0, "key"), None),
    ("requests.json", ("service_request_id",), None),
    ("requests.json", ("status",), None),
    ("requests.json", ("service_code",), None),
    ("requests.json", ("service_name",), None),
    ("requests.json", ("requested_datetime",), None),
    ("requests.json", ("updated_datetime",), None),
    ("token-response.json", ("token",), None),
    ("token-response.json", ("service_request_id",), None),
    ("errors.json", ("code",), None),
    ("errors.json", ("description",), None),
    # a value outside an enumeration
    ("services.json", ("type",), "instant"),
    ("service-definition.json", ("attributes", 0, "datatype"), "list"),
    ("requests.json", ("status",), "pending"),
    ("requests.json", ("status",), "OPEN"),
    # a wrong type or form
    ("services.json", ("metadata",), "true"),
    ("service-definition.json", ("attributes", 0, "variable"), "true"),
    ("service-definition.json", ("attributes", 0, "order"), "1"),
    ("requests.json", ("requested_datetime",), "2026-05-01 09:00:00"),  # no T, no time zone
    ("requests.json", ("updated_datetime",), "2026-05-01T09:00:00"),  # no time zone
    ("requests.json", ("lat",), 91.0),
    ("requests.json", ("long",), "127.1"),
    ("requests.json", ("description",), "x" * 4001),
    ("requests.json", ("media_url",), "javascript:alert(1)"),
    ("errors.json", ("code",), "404"),
    ("errors.json", ("code",), 200),
]


@pytest.mark.parametrize(("schema", "path", "value"), BROKEN,
                         ids=[f"{s}:{'/'.join(map(str, p))}={'missing' if v is None else repr(v)[:20]}"
                              for s, p, v in BROKEN])
def test_a_broken_document_fails(documents, schema, path, value):
    doc = copy.deepcopy(documents[schema])
    parent: Any = _item(doc)
    for step in path[:-1]:
        parent = parent[step]
    assert path[-1] in parent or isinstance(parent, list), f"{path} is not in the real document"
    if value is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    assert errors(doc, schema), f"{schema} accepted a document with {path} = {value!r}"


def test_post_response_needs_an_id_or_a_token(documents):
    doc = copy.deepcopy(documents["post-response.json"])
    del doc[0]["service_request_id"]
    assert errors(doc, "post-response.json") == []  # a batch service answers with a token only
    del doc[0]["token"]
    assert errors(doc, "post-response.json")
    assert errors([], "post-response.json")


def test_a_request_needs_a_location(documents):
    doc = copy.deepcopy(documents["requests.json"])
    doc[0].update(lat=None, long=None, address=None, address_id=None)
    assert errors(doc, "requests.json")
    doc[0]["address_id"] = "A-1"
    assert errors(doc, "requests.json") == []


def test_lists_hold_only_valid_items(documents):
    services = documents["services.json"] + [{"service_code": "x"}]
    assert errors(services, "services.json")
    assert errors([], "errors.json")
    assert errors(documents["requests.json"][0], "requests.json")  # one request is still sent as a list
