"""Schema fuzzing with schemathesis (4.x) against the three OpenAPI documents, every operation.

Each operation is called with a valid demo key of a party its `RequireParty` allows, against a real
uvicorn server, with a bounded, derandomised number of examples. Asserted: no 5xx; responses conform to
the documented schema where one is documented; every error is problem+json (the Open311 error array on
/open311/ paths).
"""
from __future__ import annotations

import time

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from shared import testing
from tests.reliability.support import (
    CLIMBER_REGISTRATION,
    SERVICES,
    caller_headers,
    create_app,
    decision_of,
    has_route,
    http_routes,
    problem_shape_errors,
    quiet_settings,
    record_figure,
    register_climber,
    spec_of,
)

# Examples per operation; the whole fuzz of one service stays well under a minute per backend.
MAX_EXAMPLES = 8
# Streams that never end (server-sent events) cannot be fuzzed request/response style.
SKIP_OPERATIONS = {("GET", "/ui/events")}


@pytest.mark.slow
@pytest.mark.parametrize("service", SERVICES)
def test_fuzz_every_operation(service, tmp_path):
    registry = spec_of(service).parties
    db = testing.database_overrides(tmp_path, service)
    failures: list[str] = []
    stats = {"operations": 0, "requests": 0, "by_status": {}}
    started = time.monotonic()
    try:
        app = create_app(service, **quiet_settings(db, tmp_path))
        decisions = {(m, p): decision_of(r) for m, p, r in http_routes(app)}
        with testing.live_server(app) as server:
            schema = schemathesis.openapi.from_dict(app.openapi())
            base = server.url
            with httpx.Client(base_url=base) as h:
                assert h.get("/readyz").status_code == 200
                token = register_climber(h)["token"] if has_route(app, "POST", CLIMBER_REGISTRATION) else None
            for result in schema.get_all_operations():
                operation = result.ok()
                method, path = operation.method.upper(), operation.path
                if (method, path) in SKIP_OPERATIONS:
                    continue
                auth = caller_headers(decisions.get((method, path)), registry, token)
                stats["operations"] += 1

                strategy = (operation.as_strategy(GenerationMode.POSITIVE, headers=auth or None)
                            | operation.as_strategy(GenerationMode.NEGATIVE, headers=auth or None))

                @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
                @given(case=strategy)
                def run(case):
                    _path = case.operation.path
                    response = case.call(base_url=base, timeout=30)
                    stats["requests"] += 1
                    code = response.status_code
                    stats["by_status"][code] = stats["by_status"].get(code, 0) + 1
                    where = f"{case.method} {case.formatted_path} → {code}"
                    try:
                        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
                    except Exception as exc:  # collected, so one run reports every failing operation
                        failures.append(f"{where}: {type(exc).__name__}: {str(exc)[:400]}")
                        return
                    if code >= 400:
                        failures.extend(f"{where}: {e}" for e in problem_shape_errors(response, _path))

                run()
    finally:
        testing.drop_schema(db.get("db_schema"))
    stats["seconds"] = round(time.monotonic() - started, 1)
    record_figure(f"fuzz_{service}", stats)
    unique = list(dict.fromkeys(failures))
    assert not unique, f"{len(unique)} fuzz failures:\n" + "\n".join(unique[:40])
