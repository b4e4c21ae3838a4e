"""Every Open311 endpoint's XML document conforms to the same GeoReport v2 schemas as its JSON twin: the
XML is read by the schema (arrays from repeated elements, numbers, booleans and empty elements as the
schema types them) and validated, not merely compared with the JSON."""
from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import pytest

from tests.roadkill.open311_schema import parse_xml, registry, validate
from tests.roadkill.test_open311 import BASE, post

SERVICE_NAME = "roadkill"


def _resolve(schema: dict[str, Any], resolver) -> tuple[dict[str, Any], Any]:
    """The schema behind any `$ref` (another file's or a local `#/definitions/…`) and the resolver there."""
    while "$ref" in schema:
        found = resolver.lookup(schema["$ref"])
        schema, resolver = found.contents, found.resolver
    return schema, resolver


def _types(schema: dict[str, Any], resolver) -> set[str]:
    schema, resolver = _resolve(schema, resolver)
    found = schema.get("type", [])
    types = {found} if isinstance(found, str) else set(found)
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, []):
            types |= _types(sub, resolver)
    return types


def read(el: ET.Element, schema: dict[str, Any], resolver=None) -> Any:
    """The XML element as the JSON document the schema describes."""
    resolver = resolver or registry().resolver()
    types = _types(schema, resolver)
    schema, resolver = _resolve(schema, resolver)
    if "array" in types:
        return [read(child, schema.get("items", {}), resolver) for child in el]
    if "object" in types:
        props = schema.get("properties", {})
        return {child.tag: read(child, props.get(child.tag, {}), resolver) for child in el}
    text = el.text or ""
    if text == "" and "null" in types:
        return None
    for kind, parse in (("boolean", {"true": True, "false": False}.get), ("integer", int), ("number", float)):
        if kind in types:
            try:
                value = parse(text)
            except ValueError:
                continue
            if value is not None:
                return value
    return text


def both(client, path: str, schema: str, **kw) -> tuple[Any, Any]:
    method = client.post if kw else client.get
    j = method(f"{BASE}/{path}.json", **kw)
    x = method(f"{BASE}/{path}.xml", **kw)
    assert "xml" in x.headers["content-type"] and j.headers["content-type"].startswith("application/json")
    as_data = read(parse_xml(x.content), {"$ref": schema})
    validate(j.json(), schema)
    validate(as_data, schema)
    return j.json(), as_data


def test_every_endpoint_in_xml_conforms(client):
    both(client, "services", "services.json")
    doc, xml = both(client, "services/roadkill", "service-definition.json")
    assert xml == doc
    created = post(client, "xml")
    assert created.status_code == 200, created.text
    posted = read(parse_xml(created.content), {"$ref": "post-response.json"})
    validate(posted, "post-response.json")
    sr_id, token = posted[0]["service_request_id"], posted[0]["token"]
    doc, xml = both(client, f"requests/{sr_id}", "requests.json")
    assert xml == doc
    both(client, "requests", "requests.json")
    doc, xml = both(client, f"tokens/{token}", "token-response.json")
    assert xml == doc


@pytest.mark.parametrize("path", ["requests/inc_NOPE", "tokens/nope", "services/potholes"])
def test_errors_in_xml_conform(client, path):
    doc, xml = both(client, path, "errors.json")
    assert xml == doc and doc[0]["code"] == 404


@pytest.mark.parametrize("bad", [{"api_key": "nope"}, {"service_code": "potholes"}, {"lat": "north"}])
def test_refused_posts_in_xml_conform(client, bad):
    r = post(client, "xml", **bad)
    assert r.status_code in (400, 403)
    validate(read(parse_xml(r.content), {"$ref": "errors.json"}), "errors.json")
