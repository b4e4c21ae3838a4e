"""Checks a delivered webhook against the service's own OpenAPI 3.1 `webhooks` entry, with the independent
`jsonschema` validator (JSON Schema 2020-12, the dialect of OpenAPI 3.1): what partners are promised is
what they get."""
from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator


def webhook_errors(doc: dict[str, Any], event: str, envelope: dict[str, Any]) -> list[str]:
    """The schema errors of one delivered envelope (`type`, `timestamp`, `data`) for `event`; [] if valid."""
    assert event in doc.get("webhooks", {}), f"{event} is not documented under webhooks"
    pointer = "#/webhooks/" + event.replace("~", "~0").replace("/", "~1") + \
        "/post/requestBody/content/application~1json/schema"
    schema = {"$ref": pointer, "webhooks": doc["webhooks"], "components": doc.get("components", {})}
    validator = Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(envelope)]
