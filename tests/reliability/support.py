"""Helpers of the reliability suite: the three services, their route tables and decisions, problem checks.

Everything here is derived from the running apps (`app.routes`, `app.openapi()`, `SPEC.parties`), so a
route added by a service engineer is picked up without editing this folder.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from shared import testing
from shared.auth import Public, RequireParty
from shared.errors import PROBLEM_JSON

SERVICES = ("roadkill", "peaks", "onestop")
OPEN311_PREFIX = "/open311/"
# FastAPI's own documentation route: public by design (the platform's /docs, /redoc and their assets
# are its own routes, marked PUBLIC, and a StaticFiles mount).
DOC_PATHS = {"/openapi.json"}
CLIMBER = "<climber>"  # identity of a peaks climber token (not a party)
CLIMBER_REGISTRATION = "/v1/climbers"
WRONG_KEY = "cpa_wrong_0000000000000000000000000000000000000"


def spec_of(service: str):
    return importlib.import_module(f"services.{service}.app").SPEC


def settings_class(service: str):
    return importlib.import_module(f"services.{service}.config").Settings


# Peaks accepts photos only inside a certification season: its apps' real-time source starts inside the
# 2026 season and runs on from there (the service clock is then real time: no training clock, no banner),
# so the suite behaves the same on any day of the year.
PEAKS_CLOCK_START = datetime(2026, 10, 15, 12, 0, tzinfo=timezone(timedelta(hours=9)))


def running_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that reads `start` now and advances with real time."""
    offset = start - datetime.now(UTC)
    return lambda: datetime.now(UTC) + offset


def create_app(service: str, **settings: Any):
    mod = importlib.import_module(f"services.{service}.app")
    if service == "peaks":  # CLOCK_AT, when given, still wins
        return mod.create_app(settings_class(service)(**settings), real_now=running_clock(PEAKS_CLOCK_START))
    return mod.create_app(settings_class(service)(**settings))


def offline_app(service: str):
    """The app object only (its routes and OpenAPI); never started, so it touches no database."""
    url = f"sqlite:///{tempfile.gettempdir()}/cpa-never-opened-{service}.db"
    return create_app(service, database_url=url, relay_enabled=False, autopilot_enabled=False)


def quiet_settings(db: dict[str, Any], tmp_path: Path | None = None, **overrides: Any) -> dict[str, Any]:
    """Settings values for a test app: private DB, relay and autopilot off, files under tmp_path."""
    values: dict[str, Any] = {**db, "relay_enabled": False, "autopilot_enabled": False}
    if tmp_path is not None:
        values["var_dir"] = tmp_path / "var"
    values.update(overrides)
    return values


@contextlib.contextmanager
def service_client(service: str, tmp_path: Path, **overrides: Any) -> Iterator[TestClient]:
    """A TestClient (lifespan run: migrations + seed) of one service on a private database."""
    db = testing.database_overrides(tmp_path, service)
    try:
        app = create_app(service, **quiet_settings(db, tmp_path, **overrides))
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c
    finally:
        testing.drop_schema(db.get("db_schema"))


def bearer(party: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer demo-{party}"} if party else {}


def register_climber(client, **overrides: Any) -> dict[str, Any]:
    """Registers a peaks climber (public route); returns the answer with its one-time token."""
    body = {"display_name": "Hong Gildong", "contact": "hong.gildong@example.kr", "birth_year": 1980,
            "gallery_consent": True, **overrides}
    r = client.post(CLIMBER_REGISTRATION, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def caller_headers(decision: Decision, registry, climber_token: str | None = None) -> dict[str, str]:
    """Headers of an allowed caller for a route: a party's demo key, else a climber token."""
    if decision is None or decision.kind != "parties":
        return {}
    allowed = decision.allowed_parties(registry)
    if allowed:
        return bearer(allowed[0])
    if decision.climber and climber_token:
        return {"authorization": f"Bearer {climber_token}"}
    return {}


# -- route decisions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    kind: str  # "parties" | "public" | "signature" | "docs"
    rule: RequireParty | None = None

    @property
    def climber(self) -> bool:
        """peaks' ClimberAuth: a climber token is accepted besides the listed parties."""
        return bool(getattr(self.rule, "climber", False))

    def allows(self, party: str, registry) -> bool:
        if self.kind != "parties":
            return True
        assert self.rule is not None
        if party == CLIMBER:
            return self.climber
        return party in self.rule.parties or bool(self.rule.roles & registry.get(party).roles)

    def allowed_parties(self, registry) -> list[str]:
        return [p for p in registry.codes() if self.allows(p, registry)]


def _walk(dependant: Dependant | None) -> Iterator[Any]:
    for sub in (dependant.dependencies if dependant is not None else ()):
        yield sub.call
        yield from _walk(sub)


def decision_of(route: Any) -> Decision | None:
    """The authorization decision a route (a `RouteContext` from `http_routes`) declares, or None."""
    original = getattr(route, "original_route", route)
    path = route.path
    if isinstance(original, APIRoute):
        # The effective dependant: router-level `dependencies=[...]` of every include are in it.
        calls = list(_walk(route.dependant))
        rules = [c for c in calls if isinstance(c, RequireParty)]
        if rules:
            return Decision("parties", rules[0])
        if any(isinstance(c, Public) for c in calls):
            return Decision("public")
        if path.startswith("/sim/"):
            return Decision("signature")  # Standard Webhooks signature checked in the handler
        return None
    if isinstance(original, Route) and path in DOC_PATHS:
        return Decision("docs")
    return None


def http_routes(app) -> list[tuple[str, str, Any]]:
    """(method, path, route context) for every HTTP route of the app (included routers flattened),
    HEAD/OPTIONS left out; mounts as ("*", path, ctx)."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, Mount):
            out.append(("*", ctx.path, ctx))
            continue
        for method in sorted(ctx.methods or ()):
            if method in {"HEAD", "OPTIONS"}:
                continue
            out.append((method, ctx.path, ctx))
    return out


@dataclass(frozen=True)
class WriteRoute:
    """An authorised JSON write route of a running test service, ready to call."""

    method: str
    path: str
    url: str  # path parameters filled in
    headers: dict[str, str]  # an allowed caller's
    request: dict[str, Any]  # synthesised from the document: json, params


def write_routes(client, service: str, synth: Synth) -> Iterator[WriteRoute]:
    """Every POST/PUT/PATCH route with an authorisation decision (the simulated parties left out), with the
    headers of a caller allowed to make it (peaks: a climber registered first) and a valid request."""
    registry = spec_of(service).parties
    token = register_climber(client)["token"] if has_route(client.app, "POST", CLIMBER_REGISTRATION) else None
    for method, path, route in http_routes(client.app):
        d = decision_of(route)
        if method not in {"POST", "PUT", "PATCH"} or d is None or path.startswith("/sim/"):
            continue
        yield WriteRoute(method, path, fill_path(path), caller_headers(d, registry, token),
                         synth.request(method, path))


def has_route(app, method: str, path: str) -> bool:
    return any(m == method and p == path for m, p, _ in http_routes(app))


@functools.cache
def route_paths(service: str) -> frozenset[tuple[str, str]]:
    """(method, path) of a service's routes without starting it (for skip decisions)."""
    try:
        app = offline_app(service)
    except ImportError:  # a service whose routes are being written right now: nothing to test yet
        return frozenset()
    return frozenset((m, p) for m, p, _ in http_routes(app))


def first_route(service: str, method: str, *patterns: str) -> str:
    """The first route path of `service` matching one of the regex patterns (in order).

    Fails (never returns None) when no route matches: the checks that call it must not be skipped
    quietly because a route was renamed or removed.
    """
    paths = route_paths(service)
    for pat in patterns:
        rx = re.compile(pat)
        for m, p in sorted(paths):
            if m == method and rx.fullmatch(p):
                return p
    raise AssertionError(f"{service} has no {method} route matching {', '.join(patterns)}: "
                         "the reliability checks that exercise it cannot run")


# -- requests from the OpenAPI document -------------------------------------------------------

_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


def fill_path(path: str, value: str = "x_0000000000", **named: str) -> str:
    """Path parameters filled with a dummy id (or `named` values, e.g. party="acrc")."""
    return _PARAM.sub(lambda m: named.get(m.group(1), value), path)


class Synth:
    """Minimal valid-looking request data from an OpenAPI document (required fields only)."""

    def __init__(self, openapi: dict[str, Any]):
        self.doc = openapi

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in schema and seen < 20:
            node: Any = self.doc
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
            seen += 1
        return schema

    def value(self, schema: dict[str, Any], depth: int = 0) -> Any:
        s = self.resolve(schema or {})
        if depth > 6:
            return None
        if "const" in s:
            return s["const"]
        if "enum" in s:
            return s["enum"][0]
        if "default" in s and s["default"] is not None:
            return s["default"]
        for key in ("anyOf", "oneOf", "allOf"):
            if key in s:
                options = [o for o in s[key] if self.resolve(o).get("type") != "null"] or s[key]
                if key == "allOf":
                    merged: dict[str, Any] = {}
                    for o in options:
                        v = self.value(o, depth + 1)
                        if isinstance(v, dict):
                            merged.update(v)
                    return merged
                return self.value(options[0], depth + 1)
        t = s.get("type")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), "string")
        if t == "object" or "properties" in s:
            props = s.get("properties", {})
            return {k: self.value(props.get(k, {}), depth + 1) for k in s.get("required", [])}
        if t == "array":
            return [self.value(s.get("items", {}), depth + 1) for _ in range(s.get("minItems", 0))]
        if t == "integer":
            return int(s.get("minimum", s.get("exclusiveMinimum", -1) + 1 if "exclusiveMinimum" in s else 1))
        if t == "number":
            return float(s.get("minimum", 1.0))
        if t == "boolean":
            return True
        fmt = s.get("format")
        if fmt == "date-time":
            return "2026-05-02T10:30:00+09:00"
        if fmt == "date":
            return "1974-03-01"
        if fmt in {"uri", "url"}:
            return "http://127.0.0.1:9/hook"
        if fmt == "uuid":
            return "00000000-0000-4000-8000-000000000000"
        if fmt == "binary":
            return b"x"
        return "x" * max(int(s.get("minLength", 1)), 1)

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        return self.doc.get("paths", {}).get(path, {}).get(method.lower())

    def request(self, method: str, path: str) -> dict[str, Any]:
        """kwargs for TestClient.request: a body and required query parameters."""
        op = self.operation(method, path)
        kwargs: dict[str, Any] = {}
        if op is None:
            return kwargs
        params = {}
        for prm in op.get("parameters", []):
            prm = self.resolve(prm)
            if prm.get("in") == "query" and prm.get("required"):
                params[prm["name"]] = self.value(prm.get("schema", {}))
        if params:
            kwargs["params"] = params
        body = op.get("requestBody")
        if body:
            content = self.resolve(body).get("content", {})
            if "application/json" in content:
                kwargs["json"] = self.value(content["application/json"].get("schema", {}))
            elif "multipart/form-data" in content:
                fields = self.value(content["multipart/form-data"].get("schema", {})) or {}
                files = {k: ("f.bin", v, "application/octet-stream") for k, v in fields.items()
                         if isinstance(v, bytes)}
                data = {k: v for k, v in fields.items() if not isinstance(v, bytes)}
                kwargs["data"], kwargs["files"] = data, files or None
            elif "application/x-www-form-urlencoded" in content:
                kwargs["data"] = self.value(content["application/x-www-form-urlencoded"].get("schema", {}))
        return kwargs


# -- response checks ----------------------------------------------------------------------------


def is_open311(path: str) -> bool:
    return path.startswith(OPEN311_PREFIX)


def header(resp, name: str) -> str:
    """A response header from an httpx, requests or schemathesis response (whose values are lists)."""
    for key, value in resp.headers.items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return ""


def problem_shape_errors(resp, path: str) -> list[str]:
    """What is wrong with an error response's format (empty when it is right)."""
    ctype = header(resp, "content-type")
    if is_open311(path):
        if path.endswith(".xml"):
            return [] if "xml" in ctype else [f"Open311 XML error with content-type {ctype!r}"]
        try:
            body = resp.json()
        except ValueError:
            return [f"Open311 error is not JSON: {resp.text[:120]!r}"]
        if not (isinstance(body, list) and body and all({"code", "description"} <= set(e) for e in body)):
            return [f"Open311 error is not [{{code, description}}]: {str(body)[:200]}"]
        return []
    if not ctype.startswith(PROBLEM_JSON):
        return [f"content-type {ctype!r}, expected {PROBLEM_JSON}: {resp.text[:160]!r}"]
    try:
        body = resp.json()
    except ValueError:
        return ["problem body is not JSON"]
    missing = [k for k in ("type", "title", "status", "detail") if k not in body]
    out = [f"problem lacks {missing}"] if missing else []
    if body.get("status") != resp.status_code:
        out.append(f"problem status {body.get('status')} != HTTP {resp.status_code}")
    return out


def assert_problem(resp, path: str, *statuses: int) -> None:
    if statuses:
        assert resp.status_code in statuses, f"{path}: HTTP {resp.status_code}, expected {statuses}: {resp.text[:300]}"
    errors = problem_shape_errors(resp, path)
    assert not errors, f"{path}: {errors}"


def record_figure(name: str, value: Any) -> None:
    """Prints a figure of this run; with RELIABILITY_FIGURES=<dir> also writes <dir>/<backend>__<name>.json
    (how docs/reliability.md got its numbers)."""
    print(f"[figure] {testing.backend()} {name}: {json.dumps(value, default=str)}")
    target = os.environ.get("RELIABILITY_FIGURES")
    if target:
        d = Path(target)
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{testing.backend()}__{name}.json").write_text(json.dumps(value, indent=1, default=str))
