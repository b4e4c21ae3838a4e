"""Query parameters are read as the documents say: a date-time is ISO 8601 text (a bare number is refused,
not read as Unix time) and a parameter that takes one value is refused when given twice (not silently
reduced to its last value); each refusal is a 422 problem naming the parameter."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.roadkill.conftest import auth


@pytest.fixture
def rk(client) -> TestClient:
    return client  # the roadkill app (tests/roadkill/conftest.py); the platform's rules are the same in every service


@given(number=st.one_of(st.integers(min_value=-10**12, max_value=10**12).map(str),
                        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12).map(repr)))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # reads only
def test_a_number_is_not_a_date_time(rk, number):
    r = rk.get("/v1/incidents", params={"since": number}, headers=auth("chungnam"))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["since"]


def test_an_iso_date_time_is_read(rk):
    r = rk.get("/v1/incidents", params={"since": "2026-05-04T09:00:00+09:00"}, headers=auth("chungnam"))
    assert r.status_code == 200, r.text


def test_a_single_valued_parameter_given_twice_is_refused(rk):
    r = rk.get("/v1/ops/outbox?party=acrc&party=me", headers=auth("chungnam"))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["errors"][0]["field"] == "party" and body["errors"][0]["in"] == "query"
    assert rk.get("/v1/ops/outbox?party=acrc", headers=auth("chungnam")).status_code == 200
