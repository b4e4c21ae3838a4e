"""Resident registration numbers at onestop's boundary (issue 14, M2): refused in every field however they
are written (422 naming the field, the value never echoed, nothing written) and in query parameters and
paths before any route runs, so the resident's access log (which keeps the `purpose` of every read) and
the service's own logs never hold one."""
from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings

from services.onestop.models import AccessLog, Resident
from shared.rrn import contains_rrn
from tests.shared.rrn_variants import ISSUE_VARIANTS, written_rrns

PROBLEM = "application/problem+json"
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _refused(r, field: str, where: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["type"].endswith("/rrn-refused")
    assert [(e["field"], e.get("in", where)) for e in body["errors"]] == [(field, where)]
    assert not contains_rrn(r.text)  # never echoed


@pytest.mark.parametrize("variant", ISSUE_VARIANTS)
def test_every_variant_is_refused_in_a_name_and_nothing_is_written(shared_api, variant):
    before = shared_api.count(Resident)
    r = shared_api.post("/v1/residents", {"name": f"홍길동 {variant}", "birth_date": "1980-01-01",
                                          "phone": "010-1111-2222", "address_district": "buk-gu"})
    _refused(r, "name", "body")
    assert shared_api.count(Resident) == before


@FEW
@given(number=written_rrns())
def test_generated_numbers_are_refused_in_a_consent_field(shared_api, number):
    res_id = shared_api.resident()["id"]
    r = shared_api.post(f"/v1/residents/{res_id}/consents",
                        {"agency": "kamco", "categories": ["identity"], "sensitive_consent": False,
                         "taken_by": f"counsellor {number}", "notice_shown": True, "language": "en"})
    _refused(r, "taken_by", "body")


@pytest.mark.parametrize("variant", ISSUE_VARIANTS)
def test_a_number_in_the_purpose_of_a_read_is_refused_before_the_access_log(shared_api, variant, caplog):
    res_id = shared_api.resident()["id"]
    with shared_api.platform.db.read_session() as s:
        logged = s.query(AccessLog).filter(AccessLog.resident_id == res_id).count()
    with caplog.at_level(logging.DEBUG):
        r = shared_api.get(f"/v1/residents/{res_id}", params={"purpose": f"check {variant}"})
    _refused(r, "purpose", "query")
    with shared_api.platform.db.read_session() as s:
        assert s.query(AccessLog).filter(AccessLog.resident_id == res_id).count() == logged
        assert not any(contains_rrn(p or "") for (p,) in s.query(AccessLog.purpose))
    assert not any(contains_rrn(rec.getMessage()) or contains_rrn(str(rec.__dict__)) for rec in caplog.records)


def test_a_number_in_a_path_is_refused_and_not_echoed(shared_api):
    r = shared_api.get("/v1/residents/850101-1234567")
    _refused(r, "path", "path")
    assert r.json()["instance"] == "/v1/residents/******-*******"


def test_ordinary_values_pass(shared_api):
    res = shared_api.resident(name="김영희", phone="010-1234-5678")
    r = shared_api.get(f"/v1/residents/{res['id']}", params={"purpose": "follow-up call 2024-05-01 010-9876-5432"})
    assert r.status_code == 200, r.text
