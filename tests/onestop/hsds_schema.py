"""Validate objects against the Open Referral HSDS 3.0 JSON Schemas (jsonschema + referencing, Draft 7)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

# The schemas are vendored in the repository (unmodified upstream copy, CC BY-SA 4.0; provenance in
# tests/standards/hsds-3.0/README.md), so every clone validates against exactly the same files.
REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO_ROOT / "tests" / "standards" / "hsds-3.0"
# The HSDS openapi.json refers to compiled schemas by their published URL.
_PUBLISHED = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"


@cache
def registry() -> Registry:
    """Every *.json of the folder keyed by file name (and compiled/*.json by 'compiled/<name>')."""
    paths = sorted(SCHEMA_DIR.glob("*.json")) + sorted(SCHEMA_DIR.glob("compiled/*.json"))
    if not paths:
        # The schemas ship with the repository: a missing folder is a broken checkout, never a reason to skip.
        pytest.fail(f"HSDS schemas not found in {SCHEMA_DIR} (they are part of the repository)")
    resources = []
    for path in paths:
        name = path.relative_to(SCHEMA_DIR).as_posix()
        resource = Resource.from_contents(
            json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT7
        )
        resources += [(name, resource), (_PUBLISHED + name, resource)]
    return Registry().with_resources(resources)


def validator(schema_name: str) -> Draft7Validator:
    """A Draft 7 validator (with format checks such as uuid) for `service.json`, `compiled/service_list.json`…"""
    schema = registry().contents(schema_name)
    # FormatChecker() rather than Draft 7's own: HSDS marks every id `format: uuid`, a later-draft format.
    return Draft7Validator(schema, registry=registry(), format_checker=FormatChecker())


def page_validator() -> Draft7Validator:
    """The HSDS API's Page schema (components.schemas.Page of openapi.json)."""
    schema = registry().contents("openapi.json")["components"]["schemas"]["Page"]
    return Draft7Validator(schema, format_checker=FormatChecker())


def assert_valid(instance: Any, schema_name: str) -> None:
    """Fail with every schema error, each with its JSON path, so a mismatch is easy to find."""
    errors = sorted(validator(schema_name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:20]]
        pytest.fail(f"{len(errors)} HSDS error(s) against {schema_name}:\n" + "\n".join(lines))
