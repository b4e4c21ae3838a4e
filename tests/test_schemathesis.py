"""The contract tested from outside: schemathesis with ALL its checks, as each kind of party.

Each service runs under uvicorn (migrated, seeded); every operation of its OpenAPI document is called with
valid and invalid data (bounded, derandomised) as the operator, as a partner or agency, and as the public
(no key), and every answer goes through every check schemathesis has: server errors, status codes, content
types, headers and schemas as documented, invalid data rejected, valid data accepted, authentication not
ignored, use after free, resource availability, missing required headers, unsupported methods.

A check is left out for an operation only with its reason below (`EXCEPTIONS`). The figures of each run
go to the reliability report (`record_figure`).
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import ignored_auth, negative_data_rejection, positive_data_acceptance

from shared import testing
from tests.reliability.support import bearer, create_app, quiet_settings, record_figure

pytestmark = pytest.mark.slow

# Examples per operation and caller: three callers x ~40 operations x 2 stay within the suite's budget.
MAX_EXAMPLES = 2
# Stateful walks per caller, and calls per walk.
STATEFUL_EXAMPLES = 4
STATEFUL_STEPS = 6
# One party of each kind per service (`data/parties.json`): the operator, a partner or agency, the public.
CALLERS = {
    "roadkill": {"operator": "chungnam", "agency": "kec", "public": None},
    "peaks": {"operator": "ulju", "partner": "miryang", "public": None},
    "onestop": {"operator": "bukgu-hub", "agency": "ccrs", "public": None},
}
# Streams that never end (server-sent events) cannot be called request/response style.
SKIP = {"/ui/events"}

# Rules a JSON Schema cannot state: the request is valid by the document, and the service refuses it with
# a documented 4xx problem naming the field. `positive_data_acceptance` is left out for these only.
BEYOND_SCHEMA = {
    "/v1/cases": "the income rule needs monthly_income_krw or annual_income_krw, and both must agree",
    "/v1/residents": "birth_date must lie between 1900-01-01 and today (today moves)",
    "/v1/residents/{resident_id}/consents": "a health category needs sensitive_consent=true (PIPA Art. 23)",
    "/v1/meetings": "held_on must lie within a year of today (today moves)",
    "/v1/meetings/{meeting_id}/items/{item_id}/decision": "action 'refer' needs service, 'task' needs task",
    "/v1/referrals/{referral_id}/status": "reason and outcome depend on the target status (state table)",
    "/v1/agency/referrals/{referral_id}/status": "reason and outcome depend on the target status (state table)",
    "/v1/stats/linkage": "since must not be after until",
    "/v1/analytics/summary": "until must be after since; species is a reference-data code",
    "/v1/analytics/hotspots": "until must be after since; species is a reference-data code",
    "/v1/incidents": "bbox needs min < max; species is a reference-data code; until after since",
    "/v1/hazards": "bbox needs min < max within -180..180 / -90..90",
    "/v1/jurisdiction": "the position must be inside Korea (a polygon, not a range)",
    "/v1/voice-reports": "the position must be inside Chungcheongnam-do; reported_at must be recent",
    "/v1/agency/incidents/{incident_id}/events": "the fields each step needs depend on its type (state table)",
    "/open/v1/photos": "peak and season are reference-data codes (unknown ones are named in the answer)",
    "/open/v1/statistics": "season is a reference-data code",
    "/v1/gallery": "peak is a reference-data code",
    "/v1/review": "peak is a reference-data code",
    "/open/v1/webhooks": "the URL must be one the relay may call (public https outside demo mode)",
    "/v1/certificates/{certificate_id}/award": "only a held award can be decided",
    "/v1/ops/outbox/{message_id}/redrive": "only a dead-lettered message can be re-driven",
    "/open311/v2/requests.json": "Open311: service_code must name a service and one of lat/long, address_string "
                                 "or address_id is required (typed by the standards work of the same issue)",
    "/open311/v2/requests.xml": "the same Open311 rules as requests.json",
}
# Every list operation pages with opaque cursors: a made-up cursor is refused (400 bad-cursor, documented).
OPAQUE = "cursor"
EXCEPTIONS = {
    # Prometheus scrapes it without a key in demo mode (shared.access.OpenInDemo); outside demo mode it
    # needs the operator key or METRICS_TOKEN. Its document shows the key, so schemathesis expects a 401.
    "/metrics": ({ignored_auth, negative_data_rejection}, "open in demo mode by design; text exposition"),
}


def excluded(path: str, query: dict | None, headers: dict | None) -> list:
    out = set(EXCEPTIONS.get(path, (set(), ""))[0])
    if path in BEYOND_SCHEMA or (query and OPAQUE in query):
        out.add(positive_data_acceptance)
    # Generated Idempotency-Keys repeat across generated bodies: a key reused with another body is refused
    # (422 idempotency-key-reused, as the IETF Idempotency-Key draft prescribes), valid as each body is.
    if headers and any(name.lower() == "idempotency-key" for name in headers):
        out.add(positive_data_acceptance)
    return list(out)


def check(case, response, kind: str, headers: dict | None, base_url: str, failures: list[str]) -> int:
    """Every check on one answer (less the reasoned exceptions); failures are collected. Returns how many."""
    try:
        case.validate_response(response, headers=headers, transport_kwargs={"base_url": base_url},
                               excluded_checks=excluded(case.operation.path, case.query, case.headers))
    except (Exception, BaseExceptionGroup) as exc:  # collected, so one run reports every failure
        titles = [line.strip() for line in str(exc).splitlines() if line.strip().startswith("- ")]
        for title in titles or [type(exc).__name__]:
            failures.append(f"[{kind}] {case.method} {case.operation.path}: {title}\n{str(exc)[:500]}")
        return len(titles) or 1
    return 0


@contextlib.contextmanager
def running(service: str, tmp_path, name: str, stats: dict) -> Iterator[tuple[str, Any, list[str]]]:
    """The service under uvicorn on a private database: (its URL, its schema, the failures list); at the
    end the figures are recorded and any failure fails the test."""
    db = testing.database_overrides(tmp_path, service)
    failures: list[str] = []
    started = time.monotonic()
    try:
        app = create_app(service, **quiet_settings(db, tmp_path, log_level="WARNING"))
        with testing.live_server(app) as server:
            yield server.url, schemathesis.openapi.from_dict(app.openapi()), failures
    finally:
        testing.drop_schema(db.get("db_schema"))
    stats["seconds"] = round(time.monotonic() - started, 1)
    record_figure(f"{name}_{service}", stats)
    unique = list(dict.fromkeys(failures))
    assert not unique, f"{len(unique)} failures:\n" + "\n\n".join(unique[:30])


def run_operation(strategy, kind: str, headers: dict | None, base_url: str, failures: list[str],
                  stats: dict) -> int:
    """Calls one operation with generated cases as one caller."""
    found = 0

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              # Large generated bodies are slow to build on a busy machine, not wrong.
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(case=strategy)
    def call(case):
        nonlocal found
        response = case.call(base_url=base_url, timeout=30)
        stats["calls"] += 1
        found += check(case, response, kind, headers, base_url, failures)

    call()
    return found


@pytest.mark.parametrize("service", sorted(CALLERS))
def test_every_check_as_every_kind_of_party(service, tmp_path):
    stats: dict = {"calls": 0, "by_caller": {}}
    with running(service, tmp_path, "schemathesis", stats) as (base_url, schema, failures):
        for kind, party in CALLERS[service].items():
            headers = bearer(party) or None
            found = 0
            for result in schema.get_all_operations():
                operation = result.ok()
                if operation.path in SKIP:
                    continue
                strategy = (operation.as_strategy(GenerationMode.POSITIVE, headers=headers)
                            | operation.as_strategy(GenerationMode.NEGATIVE, headers=headers))
                found += run_operation(strategy, kind, headers, base_url, failures, stats)
            stats["by_caller"][kind] = found


@pytest.mark.parametrize("service", sorted(CALLERS))
def test_stateful_walks_through_the_links(service, tmp_path):
    """Sequences of calls that follow the documents' OpenAPI links (create or list → read → change), so
    generated requests reach real records and the core logic instead of 404s; every check, as each caller."""
    stats: dict = {"steps": 0, "by_caller": {}}
    with running(service, tmp_path, "schemathesis_stateful", stats) as (base_url, schema, failures):
        for kind, party in CALLERS[service].items():
            found = 0

            class Walk(schema.as_state_machine()):  # type: ignore[misc]
                headers = bearer(party) or {}
                caller = kind

                def get_call_kwargs(self, case):
                    return {"base_url": base_url, "headers": self.headers, "timeout": 30}

                def validate_response(self, response, case, additional_checks=None, **kwargs):
                    nonlocal found
                    stats["steps"] += 1
                    found += check(case, response, self.caller, self.headers, base_url, failures)

            Walk.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS,
                                       derandomize=True, deadline=None, database=None,
                                       suppress_health_check=list(HealthCheck)))
            stats["by_caller"][kind] = found
