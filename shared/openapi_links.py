"""OpenAPI links: from each answer to the operations its ids address.

A created or listed record's id is what the next call needs (`POST /v1/residents` → `GET
/v1/residents/{resident_id}`): the links say so, for a client and for schemathesis' stateful testing. Found
from the document itself: a path parameter is filled from an answer's property of the same name, from its
`id` when the answer is the record the path creates or lists (`…/referrals` → `referral_id`), or from the
request's own path.
"""
from __future__ import annotations

from typing import Any


def _resource_id(path: str) -> str:
    """`/v1/cases/{case_id}/referrals` → `referral_id`: the id parameter of what the path lists or creates."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return f"{last[:-1] if last.endswith('s') else last}_id".replace("-", "_")


def add_links(doc: dict[str, Any]) -> None:
    """OpenAPI links from each answer to the operations its ids address (how a client, or schemathesis'
    stateful testing, walks from a created or listed record to the operations on it)."""
    schemas = doc.get("components", {}).get("schemas", {})
    ops = [(path, method, op) for path, item in doc.get("paths", {}).items() for method, op in item.items()
           if method in ("get", "put", "post", "delete", "patch") and op.get("operationId")]
    for path, _method, op in ops:
        for code, response in op.get("responses", {}).items():
            schema = (response.get("content") or {}).get("application/json", {}).get("schema", {})
            ref = schema.get("$ref", "").rsplit("/", 1)[-1]
            props = schemas.get(ref, {}).get("properties", {})
            if not code.startswith("2") or not props:
                continue
            pointer_of = {name: f"$response.body#/{name}" for name in props}
            if "id" in props:
                pointer_of.setdefault(_resource_id(path), "$response.body#/id")
            items = schemas.get(props.get("items", {}).get("items", {}).get("$ref", "").rsplit("/", 1)[-1], {})
            if "id" in items.get("properties", {}):
                pointer_of.setdefault(_resource_id(path), "$response.body#/items/0/id")
            for param in (p["name"] for p in op.get("parameters", []) if p.get("in") == "path"):
                pointer_of.setdefault(param, f"$request.path.{param}")
            links = {}
            for _path, _target_method, target in ops:
                names = [p["name"] for p in target.get("parameters", []) if p.get("in") == "path"]
                if target is op or not names or not all(n in pointer_of for n in names):
                    continue
                if not any(pointer_of[n].startswith("$response") for n in names):
                    continue
                links[target["operationId"]] = {"operationId": target["operationId"],
                                                "parameters": {n: pointer_of[n] for n in names}}
            if links:
                response["links"] = links
