"""Open311 GeoReport v2: every endpoint in JSON and XML, validated against the shipped schemas; errors as
[{code, description}] arrays in the requested format; personal fields only as keyed hashes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from services.roadkill.domain import georeport
from services.roadkill.domain.reference import default_species
from services.roadkill.models import incident, report
from services.roadkill.routes import open311 as open311_routes
from shared.auth import Public
from tests.roadkill.conftest import EXPRESSWAY, NATIONAL, PROVINCIAL, SEOUL
from tests.roadkill.open311_schema import assert_same, element_to_data, parse_xml, validate

SERVICE_NAME = "roadkill"
BASE = "/open311/v2"


def form(**overrides) -> dict[str, str]:
    data = {"api_key": "demo-tmap", "service_code": "roadkill", "lat": str(EXPRESSWAY[0]),
            "long": str(EXPRESSWAY[1]), "attribute[species]": "water_deer", "attribute[lane]": "lane_2",
            "description": "Dead water deer in the second lane", "email": "Driver@Example.com",
            "phone": "010-1234-5678", "first_name": "Minji", "last_name": "Kim", "device_id": "dev-42"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(client, fmt: str = "json", **overrides):
    return client.post(f"{BASE}/requests.{fmt}", data=form(**overrides))


def assert_error(resp, status: int, fmt: str) -> list:
    assert resp.status_code == status, resp.text
    ctype = resp.headers["content-type"]
    assert "problem" not in ctype
    if fmt == "json":
        assert ctype.startswith("application/json")
        body = resp.json()
        validate(body, "errors.json")
        assert all(e["code"] == status for e in body)
        return body
    assert "xml" in ctype
    root = parse_xml(resp.content)
    assert root.tag == "errors" and len(root) >= 1
    for e in root:
        assert e.tag == "error" and e.find("code").text == str(status) and e.find("description").text
    return [element_to_data(e) for e in root]


def assert_kst(value: str) -> None:
    assert value.endswith("+09:00"), value
    assert datetime.fromisoformat(value).utcoffset() == timedelta(hours=9)


# --------------------------------------------------------------------------- discovery and services


def test_discovery_json_and_xml(client):
    j = client.get(f"{BASE}/discovery.json")
    assert j.status_code == 200 and j.headers["content-type"].startswith("application/json")
    doc = j.json()
    assert doc["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert doc["endpoints"][0]["url"].endswith("/open311/v2")
    assert set(doc["endpoints"][0]["formats"]) == {"text/xml", "application/json"}
    x = client.get(f"{BASE}/discovery.xml")
    assert x.status_code == 200 and "xml" in x.headers["content-type"]
    root = parse_xml(x.content)
    assert root.tag == "discovery"
    assert_same(doc, root)


def test_services_json_and_xml(client):
    doc = client.get(f"{BASE}/services.json").json()
    validate(doc, "services.json")
    assert [s["service_code"] for s in doc] == ["roadkill"] and doc[0]["metadata"] is True
    root = parse_xml(client.get(f"{BASE}/services.xml").content)
    assert root.tag == "services" and [c.tag for c in root] == ["service"]
    assert_same(doc[0], root[0])
    validate([{k: (v == "true" if k == "metadata" else v) for k, v in element_to_data(root[0]).items()}],
             "services.json")


def test_service_definition_json_and_xml(client):
    doc = client.get(f"{BASE}/services/roadkill.json").json()
    validate(doc, "service-definition.json")
    attrs = {a["code"]: a for a in doc["attributes"]}
    assert set(attrs) == {"species", "lane"}
    assert [v["key"] for v in attrs["species"]["values"]] == list(default_species().by_code)
    assert {v["key"] for v in attrs["lane"]["values"]} >= {"lane_1", "lane_2", "shoulder", "median"}
    root = parse_xml(client.get(f"{BASE}/services/roadkill.xml").content)
    assert root.tag == "service_definition"
    assert_same(doc, root)
    assert [a.tag for a in root.find("attributes")] == ["attribute", "attribute"]
    assert root.find("attributes/attribute/values/value/key").text == "water_deer"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_code(client, fmt):
    assert_error(client.get(f"{BASE}/services/potholes.{fmt}"), 404, fmt)
    errors = assert_error(post(client, fmt, service_code="potholes"), 400, fmt)
    assert "potholes" in errors[0]["description"]
    assert_error(client.get(f"{BASE}/requests.{fmt}", params={"service_code": "potholes"}), 400, fmt)


# --------------------------------------------------------------------------- POST, GET requests, tokens


def test_post_creates_a_report_like_the_voice_intake(client, platform):
    r = post(client)
    assert r.status_code == 200, r.text
    created = r.json()
    validate(created, "post-response.json")
    sr_id, token = created[0]["service_request_id"], created[0]["token"]
    assert sr_id.startswith("inc_") and "Korea Expressway Corporation" in created[0]["service_notice"]

    with platform.db.read_session() as s:
        inc = s.execute(select(incident).where(incident.c.id == sr_id)).one()
        rpt = s.execute(select(report).where(report.c.incident_id == sr_id)).one()
    assert (inc.agency, inc.road_class, inc.species) == ("kec", "expressway", "water_deer")
    assert (rpt.source, rpt.partner, rpt.token, rpt.lane) == ("open311", "tmap", token, "2nd lane")
    assert rpt.description == "Dead water deer in the second lane"
    # Personal fields only as keyed hashes: no raw value anywhere in the row.
    assert set(rpt.personal_hashes) == {"email", "phone", "first_name", "last_name", "device_id"}
    stored = repr(tuple(rpt))
    for raw in ("Driver@Example.com", "driver@example.com", "01012345678", "010-1234-5678", "Minji", "Kim", "dev-42"):
        assert raw not in stored
    assert all(len(h) == 64 for h in rpt.personal_hashes.values())

    one = client.get(f"{BASE}/requests/{sr_id}.json")
    assert one.status_code == 200
    docs = one.json()
    validate(docs, "requests.json")
    d = docs[0]
    assert (d["service_request_id"], d["status"], d["service_code"]) == (sr_id, "open", "roadkill")
    assert "Korea Expressway Corporation" in d["agency_responsible"] and d["status_notes"]
    assert "Water deer" in d["description"] and "Minji" not in d["description"]
    assert_kst(d["requested_datetime"]) or assert_kst(d["updated_datetime"])
    assert_kst(d["updated_datetime"])
    assert abs(d["lat"] - EXPRESSWAY[0]) < 0.01 and abs(d["long"] - EXPRESSWAY[1]) < 0.01
    root = parse_xml(client.get(f"{BASE}/requests/{sr_id}.xml").content)
    assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
    assert_same(d, root[0])

    tok = client.get(f"{BASE}/tokens/{token}.json")
    assert tok.status_code == 200
    validate(tok.json(), "token-response.json")
    assert tok.json() == [{"service_request_id": sr_id, "token": token}]
    troot = parse_xml(client.get(f"{BASE}/tokens/{token}.xml").content)
    assert_same(tok.json()[0], troot[0])


def test_post_xml_and_merge_of_the_same_carcass(client):
    # An undivided road: Open311 carries no heading, and on a divided road dedup keeps reports of unknown
    # direction apart (a second dispatch is cheaper than a carcass left on the road).
    where = {"lat": str(PROVINCIAL[0]), "long": str(PROVINCIAL[1])}
    first = post(client, "xml", **where)
    assert first.status_code == 200, first.text
    root = parse_xml(first.content)
    assert root.tag == "service_requests"
    created = element_to_data(root[0])
    validate([{k: v or None for k, v in created.items()}], "post-response.json")
    again = post(client, "json", email="other@example.com", device_id="dev-43", **where)
    assert again.status_code == 200
    assert again.json()[0]["service_request_id"] == created["service_request_id"]
    assert "Merged" in again.json()[0]["service_notice"]
    assert again.json()[0]["token"] != created["token"]
    doc = client.get(f"{BASE}/requests/{created['service_request_id']}.json").json()[0]
    assert "2 drivers" in doc["status_notes"]


def test_description_only_is_parsed_like_speech(client, platform):
    r = post(client, **{"attribute[species]": None, "attribute[lane]": None, "description": "고양이가 갓길에 죽어 있어요",
                        "lat": str(NATIONAL[0]), "long": str(NATIONAL[1])})
    assert r.status_code == 200, r.text
    with platform.db.read_session() as s:
        rpt = s.execute(select(report).where(report.c.incident_id == r.json()[0]["service_request_id"])).one()
    assert (rpt.species, rpt.lane) == ("cat", "shoulder")


@pytest.mark.parametrize("code", [c for c in default_species().by_code])
def test_every_species_attribute_is_kept(code):
    parsed = georeport.transcript_of(code, "lane_1", "")
    from services.roadkill.domain import speech

    assert speech.parse_transcript(parsed).species == code


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_key_is_403(client, fmt):
    assert_error(post(client, fmt, api_key="cpa_nope_000"), 403, fmt)
    assert_error(post(client, fmt, api_key="demo-me"), 403, fmt)  # a real party, but not a reporter
    assert_error(post(client, fmt, api_key=""), 403, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("field", "value"), [("lat", "abc"), ("lat", "999"), ("long", "nan"), ("lat", "1e400"),
                                              ("lat", None), ("lat", str(SEOUL[0]))])
def test_bad_location_is_400_never_500(client, fmt, field, value):
    overrides = {field: value}
    if value == str(SEOUL[0]):
        overrides["long"] = str(SEOUL[1])  # a real place, outside Chungnam
    errors = assert_error(post(client, fmt, **overrides), 400, fmt)
    assert any(field in e["description"] or "Chungcheongnam" in e["description"] for e in errors)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_other_bad_input_is_400(client, fmt):
    assert_error(post(client, fmt, **{"attribute[species]": "unicorn"}), 400, fmt)
    assert_error(post(client, fmt, **{"attribute[lane]": "roof"}), 400, fmt)
    assert_error(post(client, fmt, **{"attribute[species]": None, "description": None}), 400, fmt)
    assert_error(post(client, fmt, description="x" * 4001), 400, fmt)
    assert_error(client.post(f"{BASE}/requests.{fmt}", data={"api_key": "demo-tmap"}), 400, fmt)  # no service_code
    # Markup and control characters in echoed input: still well-formed XML / valid JSON.
    errors = assert_error(post(client, fmt, service_code="<b>&\x01"), 400, fmt)
    assert "<b>&" in errors[0]["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_ids_paths_and_methods(client, fmt):
    assert_error(client.get(f"{BASE}/requests/inc_NOPE.{fmt}"), 404, fmt)
    assert_error(client.get(f"{BASE}/tokens/nope.{fmt}"), 404, fmt)
    assert_error(client.get(f"{BASE}/nothing-here.{fmt}"), 404, fmt)
    assert_error(client.delete(f"{BASE}/requests.{fmt}"), 405, fmt)
    assert_error(client.get(f"{BASE}/requests.{fmt}", params={"page": 0}), 400, fmt)
    assert_error(client.get(f"{BASE}/requests.{fmt}", params={"status": "pending"}), 400, fmt)
    assert_error(client.get(f"{BASE}/requests.{fmt}", params={"start_date": "yesterday"}), 400, fmt)
    assert_error(client.get(f"{BASE}/requests.{fmt}", params={"start_date": "2026-01-01T00:00:00+09:00",
                                                              "end_date": "2026-06-01T00:00:00+09:00"}), 400, fmt)


def test_list_filters_paging_and_closed_status(client, platform):
    ids = []
    for lat, lon in (EXPRESSWAY, NATIONAL, PROVINCIAL):
        r = post(client, lat=str(lat), long=str(lon), email=f"{lat}@example.com", device_id=str(lon))
        assert r.status_code == 200, r.text
        ids.append(r.json()[0]["service_request_id"])
    cleared = datetime.now(UTC)
    with platform.db.session() as s:
        s.execute(update(incident).where(incident.c.id == ids[0]).values(status="closed", outcome="removed",
                                                                         cleared_at=cleared, updated_at=cleared))
    for fmt in ("json", "xml"):
        r = client.get(f"{BASE}/requests.{fmt}")
        assert r.status_code == 200
        docs = r.json() if fmt == "json" else [element_to_data(e) for e in parse_xml(r.content)]
        assert [d["service_request_id"] for d in docs] == ids[::-1]  # newest first
    docs = client.get(f"{BASE}/requests.json").json()
    validate(docs, "requests.json")
    closed = client.get(f"{BASE}/requests.json", params={"status": "closed"}).json()
    assert [d["service_request_id"] for d in closed] == [ids[0]]
    assert "removed" in closed[0]["status_notes"]
    assert closed[0]["updated_datetime"] == cleared.astimezone(
        datetime.fromisoformat(closed[0]["updated_datetime"]).tzinfo).isoformat(timespec="seconds")
    opened = client.get(f"{BASE}/requests.json", params={"status": "open", "service_code": "roadkill"}).json()
    assert {d["service_request_id"] for d in opened} == set(ids[1:])
    page2 = client.get(f"{BASE}/requests.json", params={"page": 2, "page_size": 2}).json()
    assert [d["service_request_id"] for d in page2] == [ids[0]]
    picked = client.get(f"{BASE}/requests.json", params={"service_request_id": f"{ids[2]},inc_NOPE,{ids[0]}",
                                                         "status": "closed"}).json()
    assert [d["service_request_id"] for d in picked] == [ids[2], ids[0]]  # the id list overrides other filters
    future = client.get(f"{BASE}/requests.json", params={"start_date": "2099-01-01"}).json()
    assert future == []
    # XML of a list: same fields as the JSON
    root = parse_xml(client.get(f"{BASE}/requests.xml").content)
    for j, x in zip(docs, root, strict=True):
        assert_same(j, x)


def test_routes_are_public_with_both_formats():
    routes = [r for r in open311_routes.router.routes]
    paths = {r.path for r in routes}
    for name in ("discovery", "services", "services/{service_code}", "requests", "requests/{service_request_id}",
                 "tokens/{token}"):
        assert {f"{BASE}/{name}.json", f"{BASE}/{name}.xml"} <= paths
    for r in routes:
        assert any(isinstance(d.dependency, Public) for d in r.dependencies), r.path
