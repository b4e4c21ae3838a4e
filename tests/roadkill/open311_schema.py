"""Validation of Open311 documents against the shipped GeoReport v2 JSON Schemas, plus XML helpers.

The schemas live in the read-only `shared/standards/open311-georeport-v2/` folder *beside* the repository
(CI copies it next to a fresh clone), so the folder is resolved from the repository root, never from the
working directory. Every file is loaded into a `referencing` registry under its file name, so the
schemas' relative `$ref`s (`"$ref": "request.json"`) resolve; rules are Draft 7.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO.parent / "shared" / "standards" / "open311-georeport-v2"

# Documents the folder has no file for, built from its definitions (refs into request.json).
EXTRA = {
    "post-response.json": {
        "type": "array", "minItems": 1,
        "items": {"type": "object",
                  "properties": {"service_request_id": {"$ref": "request.json#/properties/service_request_id"},
                                 "token": {"type": "string"},
                                 "service_notice": {"$ref": "request.json#/properties/service_notice"},
                                 "account_id": {"type": ["string", "null"]}},
                  "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}]}},
    "token-response.json": {
        "type": "array", "minItems": 1,
        "items": {"type": "object", "required": ["service_request_id", "token"],
                  "properties": {"service_request_id": {"$ref": "request.json#/properties/service_request_id"},
                                 "token": {"type": "string"}}}},
    "errors.json": {
        "type": "array", "minItems": 1,
        "items": {"type": "object", "required": ["code", "description"],
                  "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}},
}


@lru_cache(maxsize=1)
def registry() -> Registry:
    files = sorted(SCHEMA_DIR.glob("*.json"))
    assert files, f"no Open311 schemas in {SCHEMA_DIR} (the read-only shared/ folder must sit beside the repo)"
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text(encoding="utf-8")), default_specification=DRAFT7))
                 for p in files]
    resources += [(name, Resource.from_contents(doc, default_specification=DRAFT7)) for name, doc in EXTRA.items()]
    return Registry().with_resources(resources)


def validate(document: Any, schema: str) -> None:
    """Raises jsonschema.ValidationError unless `document` conforms to `schema` (a file name)."""
    contents = registry().contents(schema)
    validator = Draft7Validator(contents, registry=registry(), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, f"{schema}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


# --------------------------------------------------------------------------- XML


def parse_xml(body: bytes) -> ET.Element:
    assert body.startswith(b"<?xml"), body[:80]
    return ET.fromstring(body)


def element_to_data(el: ET.Element) -> Any:
    """An element's children as a dict (repeated tags → list); a leaf's text ('' for empty)."""
    children = list(el)
    if not children:
        return el.text or ""
    tags = [c.tag for c in children]
    if len(set(tags)) == 1 and len(children) > 1:
        return [element_to_data(c) for c in children]
    return {c.tag: element_to_data(c) for c in children}


def scalar_text(value: Any) -> str:
    """How a JSON scalar is written in the XML document."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def assert_same(json_doc: Any, xml_el: ET.Element) -> None:
    """Same fields and values in the JSON and XML forms of one document (dict) — recursively."""
    assert isinstance(json_doc, dict)
    children = {c.tag: c for c in xml_el}
    assert list(children) == list(json_doc), (list(children), list(json_doc))
    for key, value in json_doc.items():
        el = children[key]
        if isinstance(value, list):
            items = list(el)
            assert len(items) == len(value), key
            for j, x in zip(value, items, strict=True):
                if isinstance(j, dict):
                    assert_same(j, x)
                else:
                    assert (x.text or "") == scalar_text(j), (key, x.text, j)
        elif isinstance(value, dict):
            assert_same(value, el)
        else:
            assert (el.text or "") == scalar_text(value), (key, el.text, value)
