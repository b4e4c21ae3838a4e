"""HSDS 3.0 API: open to anyone, every response validates against the shipped schemas."""
from __future__ import annotations

import pytest

from services.onestop.domain.reference import directory

from .hsds_schema import assert_valid, page_validator

D = directory()


def _page(api, path, **params):
    r = api.c.get(path, params=params)  # no API key: the directory is open
    assert r.status_code == 200, r.text
    body = r.json()
    errors = [e.message for e in page_validator().iter_errors(body)]
    assert errors == []
    return body


def test_root(shared_api):
    body = shared_api.c.get("/hsds/").json()
    assert body["version"] == "3.0" and body["openapi_url"].endswith("/openapi.json")
    assert body["profile"].startswith("https://")


def test_services_page_and_items_validate(shared_api):
    body = _page(shared_api, "/hsds/services", per_page=100)
    assert body["total_items"] == len(D.services()) and body["size"] == len(D.services())
    for item in body["contents"]:
        assert_valid(item, "compiled/service_list.json")
    second = _page(shared_api, "/hsds/services", page=2, per_page=5)
    assert second["page_number"] == 2 and not second["first_page"] and second["size"] == 5


def test_service_filters(shared_api):
    kead = D.agency("kead")
    by_org = _page(shared_api, "/hsds/services", organization_id=kead.id)
    assert {s["id"] for s in by_org["contents"]} == {s.id for s in kead.services}
    loans = D.terms["finance/loans"].id
    by_term = _page(shared_api, "/hsds/services", taxonomy_term_id=loans, per_page=50)
    assert {s["id"] for s in by_term["contents"]} == {s.id for s in D.services() if "finance/loans" in s.taxonomy}
    found = _page(shared_api, "/hsds/services", search="microcredit")
    assert D.service("microcredit-loan").id in {s["id"] for s in found["contents"]}
    none = _page(shared_api, "/hsds/services", modified_after="2999-01-01T00:00:00+09:00")
    assert none["empty"] and none["total_items"] == 0
    bad = shared_api.c.get("/hsds/services", params={"modified_after": "2024-01-01T00:00:00"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("key", ["kamco-bad-debt-adjustment", "kead-employment-support", "midlife-job-placement"])
def test_service_fully_nested_validates(shared_api, key):
    svc = D.service(key)
    body = shared_api.c.get(f"/hsds/services/{svc.id}").json()
    assert_valid(body, "service.json")
    assert body["organization"]["id"] == D.agency(svc.agency).id and body["service_at_locations"]


def test_organizations_validate(shared_api):
    body = _page(shared_api, "/hsds/organizations", per_page=100)
    assert body["total_items"] == len(D.agencies)
    for item in body["contents"]:
        assert_valid(item, "compiled/organization_list.json")
    org = shared_api.c.get(f"/hsds/organizations/{D.agency('ccrs').id}").json()
    assert_valid(org, "organization.json")
    assert {s["id"] for s in org["services"]} == {s.id for s in D.agency("ccrs").services}


def test_unknown_ids_are_404_problems(shared_api):
    for path in ("/hsds/services/00000000-0000-0000-0000-000000000000", "/hsds/organizations/nope"):
        r = shared_api.c.get(path)
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
