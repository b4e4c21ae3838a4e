"""Validation of Open311 documents against the project's GeoReport v2 JSON Schemas, plus XML helpers.

The schemas are the project's own, written from the published specification
(https://wiki.open311.org/GeoReport_v2) and kept in `tests/standards/open311-georeport-v2/` (see its
README). The folder is resolved from this file, never from the working directory. Every file is loaded
into a `referencing` registry under its file name, so the schemas' relative `$ref`s
(`"$ref": "request.json"`) resolve; rules are Draft 7.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from jsonschema import Draft7Validator, FormatChecker, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO / "tests" / "standards" / "open311-georeport-v2"
# The documents the tests validate; each must exist (a missing one is a broken checkout, never a skip).
DOCUMENTS = ("services.json", "service.json", "service-definition.json", "requests.json", "request.json",
             "post-response.json", "token-response.json", "errors.json")


@lru_cache(maxsize=1)
def registry() -> Registry:
    files = {p.name: p for p in sorted(SCHEMA_DIR.glob("*.json"))}
    missing = [name for name in DOCUMENTS if name not in files]
    assert not missing, f"Open311 schemas missing from {SCHEMA_DIR}: {missing} (they are part of the repository)"
    resources = []
    for name, path in files.items():
        contents = json.loads(path.read_text(encoding="utf-8"))
        Draft7Validator.check_schema(contents)
        resources.append((name, Resource.from_contents(contents, default_specification=DRAFT7)))
    return Registry().with_resources(resources)


def errors(document: Any, schema: str) -> list[ValidationError]:
    """Every violation of `schema` (a file name) by `document`, in document order."""
    contents = registry().contents(schema)
    validator = Draft7Validator(contents, registry=registry(), format_checker=FormatChecker())
    return sorted(validator.iter_errors(document), key=lambda e: list(e.path))


def validate(document: Any, schema: str) -> None:
    """Fails unless `document` conforms to `schema` (a file name), naming each violation's path."""
    found = errors(document, schema)
    assert not found, f"{schema}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in found[:5])


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
