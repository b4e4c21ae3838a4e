"""HSDS 3.0 mapping: every service and organization validates against the official schemas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.onestop.domain import hsds, hsds_api, reference

from .hsds_schema import assert_valid, page_validator

D = reference.directory()


@pytest.mark.parametrize("key", [s.key for s in D.services()])
def test_service_full_validates(key):
    service = D.service(key)
    body = hsds.service_full(service)
    assert_valid(body, "service.json")
    assert body["id"] == service.id and body["organization"]["id"] == D.agency(service.agency).id
    assert body["service_at_locations"][0]["location"]["addresses"][0]["country"] == "KR"
    assert_valid(hsds.service_list_item(service), "compiled/service_list.json")


@pytest.mark.parametrize("code", sorted(D.agencies))
def test_organization_full_validates(code):
    body = hsds.organization_full(D.agency(code))
    assert_valid(body, "organization.json")
    for service in body["services"]:
        assert_valid(service, "service.json")
    assert_valid(hsds.organization_list_item(D.agency(code)), "compiled/organization_list.json")


def test_taxonomy_terms_validate():
    for term in hsds.taxonomy_terms():
        assert_valid(term, "taxonomy_term.json")
    assert_valid(hsds.taxonomy(), "taxonomy.json")


def test_ages_and_eligibility_are_carried():
    body = hsds.service_full(D.service("cnu-youth-career-counselling"))
    assert (body["minimum_age"], body["maximum_age"]) == (19, 34)
    assert "19 to 34" in body["eligibility_description"]
    assert "maximum_age" not in hsds.service_full(D.service("midlife-job-placement"))
    codes = {a["taxonomy_term"]["code"] for a in body["attributes"]}
    assert codes == {"employment/career-counselling"}


def test_sub_object_ids_are_stable():
    service = D.service("ccrs-debt-adjustment")
    assert hsds.service_full(service) == hsds.service_full(service)


def test_page_object():
    items, total = hsds_api.paginate(D.services(), 2, 5)
    body = hsds_api.page([hsds.service_list_item(s) for s in items], total, 2, 5)
    assert page_validator().is_valid(body)
    assert body["total_items"] == len(D.services()) and body["total_pages"] == -(-total // 5)
    assert (body["first_page"], body["last_page"], body["empty"], body["size"]) == (False, False, False, 5)
    last = hsds_api.page([], 0, 1, 10)
    assert (last["total_pages"], last["first_page"], last["last_page"], last["empty"]) == (
        0,
        True,
        True,
        True,
    )
    with pytest.raises(ValueError, match="per_page >= 1"):
        hsds_api.page([], 0, 1, 0)


def test_root():
    assert hsds_api.root(openapi_url="https://onestop.example/openapi.json") == {
        "version": "3.0",
        "profile": hsds_api.DEFAULT_PROFILE,
        "openapi_url": "https://onestop.example/openapi.json",
    }


def test_filters():
    services = D.services()
    changed = max(hsds.last_modified(s) for s in services)
    # Inclusive, as the HSDS API reference says ("on or after").
    latest = [s for s in services if hsds.last_modified(s) == changed]
    assert hsds_api.filter_services(services, modified_after=changed) == latest
    assert hsds_api.filter_services(services, modified_after=changed + timedelta(microseconds=1)) == []
    assert len(hsds_api.filter_services(services, modified_after=changed - timedelta(seconds=1))) >= len(latest)
    kamco = D.agency("kamco")
    assert [s.key for s in hsds_api.filter_services(services, organization_id=kamco.id)] == [
        "kamco-bad-debt-adjustment"
    ]
    term = D.terms["finance/loans"].id
    assert {s.key for s in hsds_api.filter_services(services, taxonomy_term_id=term)} == {
        "kinfa-special-sunshine-loan",
        "microcredit-loan",
    }
    assert [s.key for s in hsds_api.filter_services(services, search="미소금융")] == ["microcredit-loan"]
    with pytest.raises(ValueError, match="UTC offset"):
        hsds_api.filter_services(services, modified_after=datetime(2024, 1, 1))
    assert hsds_api.filter_services(services, modified_after=datetime(2000, 1, 1, tzinfo=UTC)) == services
