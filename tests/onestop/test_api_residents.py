"""Residents, cases and recommendations over HTTP: RRNs refused, bad input writes nothing, reads audited."""
from __future__ import annotations

from services.onestop.models import AccessLog, Case, Resident

from .conftest import birth_for_age

PROBLEM = "application/problem+json"


def test_rrn_in_name_refused_with_path_and_nothing_written(shared_api):
    before = shared_api.count(Resident)
    r = shared_api.post("/v1/residents", {"name": "홍길동 800101-1234567", "birth_date": "1980-01-01",
                                          "phone": "010-1111-2222", "address_district": "buk-gu"})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["type"].endswith("/rrn-refused") and body["errors"][0]["field"] == "name"
    assert "800101" not in r.text  # the number is not echoed back either
    assert shared_api.count(Resident) == before


def test_rrn_anywhere_in_a_case_payload_is_refused(shared_api):
    res = shared_api.resident()
    before = shared_api.count(Case)
    r = shared_api.post("/v1/cases", {"resident_id": res["id"], "assessment": {
        "household_size": 1, "monthly_income_krw": 1, "employment_status": "unemployed",
        "notes": "주민번호 900101 2345678"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "assessment.notes"
    assert shared_api.count(Case) == before


def test_negative_income_refused_and_nothing_written(shared_api):
    res = shared_api.resident()
    before = shared_api.count(Case)
    r = shared_api.post("/v1/cases", {"resident_id": res["id"], "assessment": {
        "household_size": 1, "monthly_income_krw": -5, "employment_status": "unemployed"}})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    err = r.json()["errors"][0]
    assert err["field"] == "assessment.monthly_income_krw" and err["accepted"] == {"ge": 0}
    assert shared_api.count(Case) == before


def test_other_bad_input(shared_api):
    res = shared_api.resident()
    cases = [
        ({"resident_id": "res_nope", "assessment": {"household_size": 1, "monthly_income_krw": 0,
                                                     "employment_status": "employed"}}, "resident_id"),
        ({"resident_id": res["id"], "assessment": {"household_size": 1, "employment_status": "employed"}},
         "assessment"),
        ({"resident_id": res["id"], "assessment": {"household_size": 1, "monthly_income_krw": 0,
                                                   "employment_status": "retired"}}, "employment_status"),
        ({"resident_id": res["id"], "surprise": 1, "assessment": {}}, "surprise"),
    ]
    before = shared_api.count(Case)
    for body, field in cases:
        r = shared_api.post("/v1/cases", body)
        assert r.status_code == 422, r.text
        assert field in r.text
    future = shared_api.post("/v1/residents", {"name": "A", "birth_date": "2999-01-01", "phone": "010-1111-2222",
                                               "address_district": "buk-gu"})
    assert future.status_code == 422 and "birth_date" in future.text
    assert shared_api.count(Case) == before


def test_duplicates_reported_not_merged(shared_api):
    first = shared_api.resident(name="최 영희", birth_date="1975-03-03")
    second = shared_api.resident(name="최영희", birth_date="1975-03-03", phone="010-9999-8888")
    assert second["id"] != first["id"]
    assert [d["id"] for d in second["possible_duplicates"]] == [first["id"]]
    assert shared_api.resident(name="최영희", birth_date="1975-03-04")["possible_duplicates"] == []


def test_idempotent_resident_creation(shared_api):
    before = shared_api.count(Resident)
    body = {"name": "재시도", "birth_date": "1990-02-02", "phone": "010-1212-3434", "address_district": "buk-gu"}
    one = shared_api.post("/v1/residents", body, headers={"Idempotency-Key": "res-retry-1"})
    two = shared_api.post("/v1/residents", body, headers={"Idempotency-Key": "res-retry-1"})
    assert one.status_code == two.status_code == 201 and one.json()["id"] == two.json()["id"]
    assert two.headers.get("idempotent-replayed") == "true"
    assert shared_api.count(Resident) == before + 1


def test_recommendations_for_the_52_year_old(shared_api):
    res = shared_api.resident(birth_date=birth_for_age(52).isoformat())
    case = shared_api.case(res["id"], household_size=1, monthly_income_krw=800_000, debt_total_krw=8_000_000,
                           months_overdue=132, credit_score=610, employment_status="unemployed")
    assert case["age"] == 52
    r = shared_api.get(f"/v1/cases/{case['id']}/recommendations")
    assert r.status_code == 200, r.text
    body = r.json()
    recs = {x["service_key"]: x for x in body["recommendations"]}
    assert body["rules_version"] == "2024.1"
    for key in ("ccrs-long-term-small-delinquent", "microcredit-loan", "midlife-job-placement"):
        assert recs[key]["status"] == "eligible", recs[key]
        assert recs[key]["reasons"] and recs[key]["sources"][0]["title"]
    assert "age 52 ≥ 40" in recs["midlife-job-placement"]["reasons"]
    assert "overdue 132 months ≥ 120 months" in recs["ccrs-long-term-small-delinquent"]["reasons"]
    cnu = recs["cnu-youth-career-counselling"]
    assert cnu["status"] == "not_eligible" and cnu["reasons"] == ["age 52 > 34"]


def test_reads_are_audited_and_access_log_shows_them(shared_api):
    res = shared_api.resident()
    case = shared_api.case(res["id"])
    before = shared_api.count(AccessLog)
    assert shared_api.get(f"/v1/residents/{res['id']}", params={"purpose": "phone call"}).status_code == 200
    assert shared_api.get(f"/v1/cases/{case['id']}").status_code == 200
    log = shared_api.get(f"/v1/residents/{res['id']}/access-log").json()["items"]
    assert shared_api.count(AccessLog) == before + 2
    assert [(e["party"], e["resource"]) for e in log] == [("bukgu-hub", f"resident:{res['id']}"),
                                                         ("bukgu-hub", f"case:{case['id']}")]
    assert log[0]["purpose"] == "phone call" and "phone" in log[0]["fields"] and log[0]["at"].endswith("+09:00")


def test_agencies_cannot_use_counsellor_routes(shared_api):
    res = shared_api.resident()
    assert shared_api.get(f"/v1/residents/{res['id']}", party="kamco").status_code == 403
    assert shared_api.c.get(f"/v1/residents/{res['id']}").status_code == 401
    assert shared_api.get("/v1/residents/res_missing").status_code == 404


def test_cross_field_rules_name_the_field_to_change_and_write_nothing(shared_api):
    """Rules across several fields (one income, separate sensitive consent) blame one field, with its
    JSON Pointer, so a form can mark it; nothing is written."""
    from services.onestop.models import Consent

    res = shared_api.resident()
    cases, consents = shared_api.count(Case), shared_api.count(Consent)
    for assessment, field in [({}, "monthly_income_krw"),
                              ({"monthly_income_krw": 100, "annual_income_krw": 1000}, "annual_income_krw")]:
        r = shared_api.post("/v1/cases", {"resident_id": res["id"], "assessment": {
            "household_size": 1, "employment_status": "unemployed", **assessment}})
        assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
        (err,) = r.json()["errors"]
        assert err["field"] == f"assessment.{field}" and err["pointer"] == f"/assessment/{field}", r.text
    r = shared_api.post(f"/v1/residents/{res['id']}/consents",
                        {"agency": "ccrs", "categories": ["identity", "health"], "sensitive_consent": False,
                         "taken_by": "counsellor 7", "notice_shown": True})
    assert r.status_code == 422
    (err,) = r.json()["errors"]
    assert err["field"] == "sensitive_consent" and "health is sensitive" in err["message"], r.text
    assert (shared_api.count(Case), shared_api.count(Consent)) == (cases, consents)
