"""HSDS 3.0 complete for what the directory holds: every path, operationId and parameter of the official
API reference (the vendored openapi.json), every answer validated against the official schemas, each filter
checked against the directory, `format=ndjson` and inclusive `modified_after`."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.onestop.domain import hsds
from services.onestop.domain.reference import directory

from .hsds_schema import SCHEMA_DIR, assert_valid, page_validator

D = directory()
REFERENCE = json.loads((SCHEMA_DIR / "openapi.json").read_text(encoding="utf-8"))
SALS = [(s, key) for s in D.services() for key in s.locations]


def _params(op: dict, item: dict) -> set[str]:
    names = set()
    for p in op.get("parameters", []) + item.get("parameters", []):
        if "$ref" in p:
            p = REFERENCE["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        names.add(p["name"])
    return names


def page(api, path, **params) -> dict:
    r = api.c.get(f"/hsds{path}", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [e.message for e in page_validator().iter_errors(body)] == []
    return body


def everything(api, path, **params) -> list[dict]:
    r = api.c.get(f"/hsds{path}", params={**params, "format": "ndjson"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson"), r.text
    return [json.loads(line) for line in r.text.splitlines()]


def test_every_path_operation_id_and_parameter_of_the_reference(shared_api):
    ours = shared_api.c.get("/openapi.json").json()["paths"]
    missing = []
    for path, item in REFERENCE["paths"].items():
        op = item["get"]
        mine = ours.get("/hsds" + path, {}).get("get")
        if mine is None:
            missing.append(f"GET {path}")
            continue
        if mine["operationId"] != op["operationId"]:
            missing.append(f"GET {path}: operationId {mine['operationId']} != {op['operationId']}")
        lacking = _params(op, item) - {p["name"] for p in mine.get("parameters", [])}
        if lacking:
            missing.append(f"GET {path}: parameters {sorted(lacking)}")
    assert not missing, "\n".join(missing)


def test_service_at_locations_list_full_and_by_id(shared_api):
    body = page(shared_api, "/service_at_locations", per_page=100)
    assert body["total_items"] == len(SALS) and {(c["service_id"], c["location_id"]) for c in body["contents"]} == {
        (s.id, D.locations[k].id) for s, k in SALS}
    for item in body["contents"]:
        assert_valid(item, "service_at_location.json")
        assert set(item) == {"id", "service_id", "location_id", "description"}
    full = page(shared_api, "/service_at_locations", per_page=100, full="true")
    for item in full["contents"]:
        assert_valid(item, "service_at_location.json")
        assert item["location"]["addresses"] and item["service"]["id"] == item["service_id"]
    for item in body["contents"]:
        one = shared_api.c.get(f"/hsds/service_at_locations/{item['id']}").json()
        assert_valid(one, "service_at_location.json")
        assert one["id"] == item["id"] and one["phones"] and one["schedules"]
    # The ids are those the services nest.
    nested = {sal["id"] for s in D.services() for sal in hsds.service_full(s)["service_at_locations"]}
    assert nested == {item["id"] for item in body["contents"]}


def test_service_at_location_filters(shared_api):
    kead = D.agency("kead")
    by_org = everything(shared_api, "/service_at_locations", organization_id=kead.id)
    assert {x["service_id"] for x in by_org} == {s.id for s in kead.services}
    term = D.terms["finance/loans"]
    by_term = everything(shared_api, "/service_at_locations", taxonomy_term_id=term.id)
    assert {x["service_id"] for x in by_term} == {s.id for s in D.services() if term.code in s.taxonomy}
    for code, loc in D.locations.items():
        at = everything(shared_api, "/service_at_locations", postcode=loc.postal_code)
        assert {x["location_id"] for x in at} == {loc.id} and len(at) == sum(1 for _s, k in SALS if k == code)
        near = everything(shared_api, "/service_at_locations", postcode=loc.postal_code, proximity=1)
        assert {x["location_id"] for x in near} == {loc.id}
        wide = everything(shared_api, "/service_at_locations", postcode=loc.postal_code, proximity=100_000)
        assert len(wide) == len(SALS)
    assert everything(shared_api, "/service_at_locations", postcode="00000") == []
    r = shared_api.c.get("/hsds/service_at_locations", params={"proximity": 500})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_taxonomies_and_terms(shared_api):
    body = page(shared_api, "/taxonomies")
    assert [t["id"] for t in body["contents"]] == [D.taxonomy.id]
    for t in body["contents"]:
        assert_valid(t, "taxonomy.json")
    assert_valid(shared_api.c.get(f"/hsds/taxonomies/{D.taxonomy.id}").json(), "taxonomy.json")
    assert page(shared_api, "/taxonomies", search="no such taxonomy")["empty"]
    terms = everything(shared_api, "/taxonomy_terms")
    assert {t["id"] for t in terms} == {t.id for t in D.terms.values()}
    for t in terms:
        assert_valid(t, "taxonomy_term.json")
        assert shared_api.c.get(f"/hsds/taxonomy_terms/{t['id']}").json() == t
    top = everything(shared_api, "/taxonomy_terms", top_only="true")
    assert {t["code"] for t in top} == {t.code for t in D.terms.values() if t.parent is None}
    finance = D.terms["finance"].id
    children = everything(shared_api, "/taxonomy_terms", parent_id=finance)
    assert {t["code"] for t in children} == {t.code for t in D.terms.values() if t.parent == "finance"}
    assert len(everything(shared_api, "/taxonomy_terms", taxonomy_id=D.taxonomy.id)) == len(D.terms)
    assert everything(shared_api, "/taxonomy_terms", taxonomy_id="other") == []
    assert {t["code"] for t in everything(shared_api, "/taxonomy_terms", search="loans")} == {"finance/loans"}


def test_services_full_minimal_taxonomy_id_and_ndjson(shared_api):
    full = page(shared_api, "/services", full="true", per_page=100)
    for item in full["contents"]:
        assert_valid(item, "service.json")
        assert item["service_at_locations"] and item["attributes"]
    minimal = page(shared_api, "/services", minimal="true", per_page=5)
    assert minimal["size"] == minimal["total_items"] == len(D.services()) and minimal["last_page"]
    assert all(set(x) == {"id", "last_modified"} for x in minimal["contents"])
    assert len(everything(shared_api, "/services", taxonomy_id=D.taxonomy.id)) == len(D.services())
    assert everything(shared_api, "/services", taxonomy_id="00000000-0000-0000-0000-000000000000") == []
    lines = everything(shared_api, "/services")
    assert [x["id"] for x in lines] == [s.id for s in D.services()]
    for item in lines:
        assert_valid(item, "compiled/service_list.json")


def test_modified_after_is_inclusive(shared_api):
    latest = max(hsds.last_modified(s) for s in D.services())
    at = everything(shared_api, "/services", modified_after=latest.isoformat())
    assert {x["id"] for x in at} == {s.id for s in D.services() if hsds.last_modified(s) == latest} != set()
    after = (latest + timedelta(milliseconds=1)).isoformat()
    assert everything(shared_api, "/services", modified_after=after) == []


def test_organizations_search_full_and_full_service(shared_api):
    ccrs = D.agency("ccrs")
    found = page(shared_api, "/organizations", search=ccrs.services[0].name_en)
    assert ccrs.id in {o["id"] for o in found["contents"]}
    assert page(shared_api, "/organizations", search="no such organization anywhere")["empty"]
    for o in page(shared_api, "/organizations", full="true", per_page=100)["contents"]:
        assert_valid(o, "organization.json")
        assert o["locations"] and o["services"] and all("phones" not in s for s in o["services"])
    for o in page(shared_api, "/organizations", full_service="true", per_page=100)["contents"]:
        assert all(s["service_at_locations"] for s in o["services"])
    simple = shared_api.c.get(f"/hsds/organizations/{ccrs.id}").json()
    nested = shared_api.c.get(f"/hsds/organizations/{ccrs.id}", params={"full_service": "true"}).json()
    assert_valid(simple, "organization.json")
    assert_valid(nested, "organization.json")
    for s in simple["services"]:
        assert_valid(s, "compiled/service_list.json")
        assert "service_at_locations" not in s
    for s in nested["services"]:
        assert_valid(s, "service.json")
    assert [s["id"] for s in simple["services"]] == [s["id"] for s in nested["services"]] == [
        s.id for s in ccrs.services]


@pytest.mark.parametrize("path", ["/service_at_locations/", "/taxonomies/", "/taxonomy_terms/"])
def test_unknown_ids_are_404_problems(shared_api, path):
    r = shared_api.c.get(f"/hsds{path}00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(path=st.sampled_from(["/services", "/service_at_locations", "/organizations", "/taxonomy_terms"]),
       per_page=st.integers(1, 30))
def test_pages_partition_what_ndjson_streams(shared_api, path, per_page):
    all_items = everything(shared_api, path)
    got, number = [], 1
    while True:
        body = page(shared_api, path, page=number, per_page=per_page)
        got += body["contents"]
        if body["last_page"]:
            break
        number += 1
    assert got == all_items and body["total_items"] == len(all_items)
