"""Open311 POST requests: the key is checked before anything else (403 first), and a request located by
`address_string` or `address_id` instead of lat/long is accepted (GeoReport v2 asks for one of the three),
located at the census area it names; an address naming no area is a 400 saying what to send."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.roadkill.domain import address
from services.roadkill.domain.network import default_network
from tests.roadkill.open311_schema import parse_xml, validate
from tests.roadkill.test_open311 import BASE, assert_error, post

SERVICE_NAME = "roadkill"
AREAS = default_network().areas
NO_POINT = {"lat": None, "long": None}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("key", ["cpa_nope_000", "", None, "demo-me"])
def test_a_wrong_key_is_403_before_any_validation(client, fmt, key):
    # Every other field is wrong too: unknown service, no location, unknown species, an overlong description.
    r = client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in {
        "api_key": key, "service_code": "potholes", "attribute[species]": "unicorn", "description": "x" * 5000,
    }.items() if v is not None})
    errors = assert_error(r, 403, fmt)
    assert "api_key" in errors[0]["description"] or "does not submit" in errors[0]["description"]
    # Not even the required service_code is looked at first.
    assert_error(client.post(f"{BASE}/requests.{fmt}", data={"api_key": "nope"}), 403, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("field", "value", "area"), [
    ("address_string", "충청남도 아산시 배방읍 공수리 12", "Baebang-eup"),
    ("address_string", "Baebang-eup, Asan-si, Chungcheongnam-do", "Baebang-eup"),
    ("address_string", "보령시 대천동", "Boryeong-si"),  # no such dong in the census areas: the city
    ("address_id", "3401111", "Mokcheon-eup"),
    ("address_id", "asan", "Asan-si"),
])
def test_an_address_without_lat_long_is_accepted(client, fmt, field, value, area):
    r = post(client, fmt, **NO_POINT, **{field: value})
    assert r.status_code == 200, r.text
    if fmt == "json":
        created = r.json()
        validate(created, "post-response.json")
        notice = created[0]["service_notice"]
        sr_id = created[0]["service_request_id"]
    else:
        root = parse_xml(r.content)
        notice, sr_id = root[0].find("service_notice").text, root[0].find("service_request_id").text
    assert f"Located from the address at {area}" in notice and "approximate" in notice
    doc = client.get(f"{BASE}/requests/{sr_id}.json").json()
    validate(doc, "requests.json")
    found = next(a for a in (*AREAS.municipalities, *AREAS.districts) if a.name == area)
    assert found.contains(lat=doc[0]["lat"], lon=doc[0]["long"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("field", "value"), [("address_string", "서울특별시 중구 세종대로 110"),
                                              ("address_string", "somewhere near the bridge"),
                                              ("address_string", "남면"),  # two 남면 in the province
                                              ("address_id", "11010"), ("address_id", "chungnam")])
def test_an_address_naming_no_area_is_400_naming_the_field(client, fmt, field, value):
    errors = assert_error(post(client, fmt, **NO_POINT, **{field: value}), 400, fmt)
    assert errors[0]["description"].startswith(f"{field}:") and "lat and long" in errors[0]["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_neither_point_nor_address_is_400(client, fmt):
    errors = assert_error(post(client, fmt, **NO_POINT), 400, fmt)
    assert "address_string" in errors[0]["description"]
    assert_error(post(client, fmt, long=None), 400, fmt)  # half a point, even with an address
    assert_error(post(client, fmt, long=None, address_string="아산시"), 400, fmt)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=120))
def test_locate_any_text_finds_an_area_of_the_province_or_refuses(text):
    try:
        found = address.locate(AREAS, text)
    except address.AddressError as exc:
        assert str(exc).startswith("address_string:")
        return
    assert found.area.contains(lat=found.lat, lon=found.lon) and AREAS.in_province(lat=found.lat, lon=found.lon)


@pytest.mark.parametrize("area", [*AREAS.municipalities, *AREAS.districts], ids=lambda a: a.code)
def test_every_area_is_found_by_its_code_and_its_names(area):
    point = address.by_id(AREAS, area.code)
    assert point.area is area and area.contains(lat=point.lat, lon=point.lon)
    parent = AREAS.by_code[area.municipality] if area.municipality else None
    for text in (area.name_ko, area.name):
        full = f"{parent.name_ko} {text}" if parent and text == area.name_ko else (
            f"{text}, {parent.name}" if parent else text)
        assert address.locate(AREAS, full).area is area, full
