"""Authorization matrix generated from the route table: every route × every party (+ no key, + a wrong key).

Each route's decision is read from its dependencies (`RequireParty` with parties/roles, or the `Public`
marker); `/sim/*` receivers are authenticated by webhook signature; FastAPI's documentation routes are
public. A route without a decision fails the test — so a new route cannot ship without one.
"""
from __future__ import annotations

import httpx
import pytest
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from shared import testing
from tests.reliability.support import (
    CLIMBER,
    CLIMBER_REGISTRATION,
    SERVICES,
    WRONG_KEY,
    Synth,
    create_app,
    decision_of,
    fill_path,
    has_route,
    http_routes,
    is_open311,
    offline_app,
    problem_shape_errors,
    quiet_settings,
    record_figure,
    register_climber,
    spec_of,
)

NO_KEY, WRONG = "<no key>", "<wrong key>"


def _headers(identity: str, climber_token: str | None = None) -> dict[str, str]:
    if identity == CLIMBER:
        return {"authorization": f"Bearer {climber_token}"}
    if identity == NO_KEY:
        return {}
    if identity == WRONG:
        return {"authorization": f"Bearer {WRONG_KEY}"}
    return {"authorization": f"Bearer demo-{identity}"}


def _call(h: httpx.Client, method: str, url: str, identity: str, kwargs: dict,
          climber_token: str | None = None) -> tuple[int, httpx.Response]:
    """Status and response; streams, so an event stream answers with its headers and is then closed."""
    req = h.build_request(method, url, headers=_headers(identity, climber_token), **kwargs)
    resp = h.send(req, stream=True)
    try:
        if resp.status_code >= 400:
            resp.read()
        return resp.status_code, resp
    finally:
        resp.close()


def test_every_route_declares_a_decision():
    missing = []
    for service in SERVICES:
        app = offline_app(service)
        for method, path, route in http_routes(app):
            if isinstance(route.original_route, Mount):
                if not isinstance(route.original_route.app, StaticFiles):
                    missing.append(f"{service} {path} (mounted {type(route.original_route.app).__name__})")
                continue
            if decision_of(route) is None:
                missing.append(f"{service} {method} {path}")
    assert not missing, ("routes without an authorization decision (add Depends(RequireParty(...)) or "
                         "dependencies=[PUBLIC]):\n" + "\n".join(missing))


@pytest.mark.parametrize("service", SERVICES)
def test_authorization_matrix(service, tmp_path):
    spec = spec_of(service)
    registry = spec.parties
    identities = [*registry.codes(), NO_KEY, WRONG]
    db = testing.database_overrides(tmp_path, service)
    failures: list[str] = []
    checked = 0
    try:
        app = create_app(service, **quiet_settings(db, tmp_path))
        with testing.live_server(app) as server, httpx.Client(base_url=server.url, timeout=10) as h:
            synth = Synth(h.get("/openapi.json").json())
            climber_token, named = None, {"party": registry.codes()[0]}
            if has_route(app, "POST", CLIMBER_REGISTRATION):
                climber = register_climber(h)
                climber_token, named["climber_id"] = climber["token"], climber["id"]
                identities.append(CLIMBER)
            for method, path, route in http_routes(app):
                decision = decision_of(route)
                if decision is None or isinstance(route.original_route, Mount):
                    continue  # reported by test_every_route_declares_a_decision
                url = fill_path(path, **named)  # a climber's own id: its routes are about itself
                kwargs = synth.request(method, path)
                # A public route's answer does not depend on the caller by declaration: no key, a wrong
                # key and two parties' keys show it; every other route meets every identity.
                who = identities if decision.kind in {"parties", "signature"} else \
                    [NO_KEY, WRONG, registry.operator, registry.codes()[-1]]
                for identity in who:
                    checked += 1
                    where = f"{method} {path} as {identity}"
                    try:
                        status, resp = _call(h, method, url, identity, kwargs, climber_token)
                    except httpx.HTTPError as exc:  # e.g. the server dropped the connection after a crash
                        failures.append(f"{where}: {type(exc).__name__}: {exc}")
                        continue
                    if decision.kind == "signature":
                        # No Standard Webhooks signature: refused whoever calls (API keys do not count).
                        if status != 401:
                            failures.append(f"{where}: unsigned webhook got {status}")
                        continue
                    if decision.kind in {"public", "docs"}:
                        denied = False
                    elif identity in (NO_KEY, WRONG):
                        denied = True
                    else:
                        denied = not decision.allows(identity, registry)
                    if denied:
                        expected = {401} if identity in (NO_KEY, WRONG) else {403}
                        if identity == CLIMBER:
                            expected = {401, 403}  # a climber token is no party key
                        if is_open311(path):
                            expected = {401, 403}  # Open311 answers a bad key with 403
                        if status not in expected:
                            failures.append(f"{where}: expected {sorted(expected)}, got {status}")
                        else:
                            failures.extend(f"{where}: {e}" for e in problem_shape_errors(resp, path))
                    elif status in (401, 403) and not (is_open311(path) and method == "POST"):
                        # Open311's POST is public but checks its api_key form field first (403):
                        # test_open311_api_key_matrix walks every key for it.
                        failures.append(f"{where}: allowed but got {status}: {resp.text[:160]}")
    finally:
        testing.drop_schema(db.get("db_schema"))
    routes = sum(1 for _m, _p, r in http_routes(app) if not isinstance(r.original_route, Mount))
    record_figure(f"authz_{service}", {"routes": routes, "identities": len(identities), "checks": checked})
    assert checked > 0
    assert not failures, f"{len(failures)} authorization failures:\n" + "\n".join(failures[:60])


def test_open311_api_key_matrix(tmp_path):
    """Open311 POST requests carries its key in the `api_key` form field (its routes are PUBLIC by the
    standard): every party's key, an empty and a wrong key → created only for the submitting roles the
    Open311 module declares (`SUBMITTER_ROLES`), else 403 in the Open311 error format."""
    from services.roadkill.routes import open311
    from tests.reliability.roadkill_support import point

    registry = spec_of("roadkill").parties
    checked = 0
    failures = []
    db = testing.database_overrides(tmp_path, "roadkill")
    try:
        app = create_app("roadkill", **quiet_settings(db, tmp_path, seed_demo_incidents=False))
        with testing.live_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as h:
            for fmt in ("json", "xml"):
                for identity in [*registry.codes(), "", WRONG_KEY]:
                    key = f"demo-{identity}" if identity in registry else identity
                    lat, lon = point(1000 + checked)
                    r = h.post(f"/open311/v2/requests.{fmt}",
                               data={"api_key": key, "service_code": "roadkill", "lat": str(lat), "long": str(lon),
                                     "attribute[species]": "water_deer", "description": "matrix"})
                    checked += 1
                    allowed = identity in registry and bool(registry.get(identity).roles & open311.SUBMITTER_ROLES)
                    where = f"POST /open311/v2/requests.{fmt} api_key={key or '<empty>'}"
                    if allowed and r.status_code not in (200, 201):
                        failures.append(f"{where}: allowed but {r.status_code}: {r.text[:160]}")
                    if not allowed:
                        # An empty api_key is a missing required field: 400 is as fair as 403 there.
                        if r.status_code not in ({403} if key else {400, 403}):
                            failures.append(f"{where}: expected 403, got {r.status_code}")
                        else:
                            failures.extend(f"{where}: {e}"
                                            for e in problem_shape_errors(r, f"/open311/v2/requests.{fmt}"))
    finally:
        testing.drop_schema(db.get("db_schema"))
    record_figure("authz_open311", {"checks": checked})
    assert not failures, "\n".join(failures)
