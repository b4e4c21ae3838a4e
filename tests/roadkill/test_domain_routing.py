"""Jurisdiction decisions: the Road Act table applied to positions on the shipped approximate network."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.roadkill.domain.network import default_network
from services.roadkill.domain.reference import default_agencies
from services.roadkill.domain.routing import (
    OutsideKoreaError,
    OutsideRegionError,
    carriageway_for,
    decide_jurisdiction,
)

NETWORK = default_network()
AGENCIES = default_agencies()


def _vertex(road_id: str, index: int) -> tuple[float, float]:
    lon, lat = NETWORK.road(road_id).coords[index]
    return lat, lon


def _assert_explained(decision) -> None:
    assert decision.explanation.strip() and decision.explanation_ko.strip()
    assert decision.agency_name in decision.explanation
    assert decision.agency_name == AGENCIES.get(decision.agency).name_en


def test_expressway_goes_to_kec() -> None:
    d = decide_jurisdiction(NETWORK, lat=36.86, lon=127.1652, heading_deg=185)
    assert (d.road_id, d.road_class, d.agency) == ("exp-1-gyeongbu", "expressway", "kec")
    assert d.distance_m is not None and d.distance_m < 50 and d.measure_m and d.measure_m > 0
    assert d.carriageway == "forward"  # digitised north to south, driver heading south
    _assert_explained(d)
    assert "Korea Expressway Corporation" in d.explanation


def test_national_route_outside_urban_goes_to_regional_office() -> None:
    lat, lon = 36.865, 126.900  # National Route 34 between Dangjin and Asan, farmland
    d = decide_jurisdiction(NETWORK, lat=lat + 0.0003, lon=lon, heading_deg=270)
    assert (d.road_id, d.agency, d.urban) == ("nat-34", "daejeon-rolm", False)
    assert d.carriageway == "backward"  # digitised west to east, driver heading west
    _assert_explained(d)


def test_provincial_road_goes_to_province_road_office() -> None:
    d = decide_jurisdiction(NETWORK, lat=36.65, lon=127.0101)
    assert (d.road_id, d.road_class, d.agency) == ("prov-619", "provincial", "chungnam-road")
    assert d.carriageway is None  # undivided
    _assert_explained(d)


def test_national_route_inside_cheonan_urban_area_goes_to_cheonan() -> None:
    d = decide_jurisdiction(NETWORK, lat=36.85, lon=127.1402)
    assert (d.road_id, d.agency, d.urban, d.municipality) == ("nat-1-cheonan", "cheonan", True, "cheonan")
    _assert_explained(d)
    assert "urban" in d.explanation


def test_local_road_goes_to_the_municipality() -> None:
    lat, lon = _vertex("local-gongju-gyeryongsan", 1)
    d = decide_jurisdiction(NETWORK, lat=lat, lon=lon)
    assert (d.road_class, d.agency) == ("local", "gongju")
    _assert_explained(d)


def test_far_from_roads_goes_to_the_containing_county() -> None:
    d = decide_jurisdiction(NETWORK, lat=36.30, lon=126.67)  # Misan-myeon, Boryeong
    assert (d.road_id, d.agency, d.municipality) == (None, "boryeong", "boryeong")
    _assert_explained(d)
    assert "No mapped road" in d.explanation


def test_outside_chungnam_and_outside_korea() -> None:
    with pytest.raises(OutsideRegionError, match="outside Chungcheongnam-do"):
        decide_jurisdiction(NETWORK, lat=37.5665, lon=126.978)  # Seoul
    with pytest.raises(OutsideRegionError):
        decide_jurisdiction(NETWORK, lat=36.35, lon=127.385)  # Daejeon, surrounded by Chungnam
    with pytest.raises(OutsideKoreaError, match="swapped"):
        decide_jurisdiction(NETWORK, lat=127.0, lon=36.5)
    with pytest.raises(ValueError, match="finite"):
        decide_jurisdiction(NETWORK, lat=float("nan"), lon=127.0)


def test_road_name_hint_breaks_ties_only_when_close() -> None:
    # Route 40 ends about 15 m from Route 21 near Yesan: GPS cannot tell them apart, the partner can.
    lat, lon = _vertex("nat-40", -1)
    assert decide_jurisdiction(NETWORK, lat=lat, lon=lon).road_id == "nat-40"
    hinted = decide_jurisdiction(NETWORK, lat=lat, lon=lon, road_name="국도 21호선")
    assert hinted.road_id == "nat-21" and "partner named it" in hinted.explanation
    assert decide_jurisdiction(NETWORK, lat=lat, lon=lon, road_name="National Route 40").road_id == "nat-40"
    far = decide_jurisdiction(NETWORK, lat=36.86, lon=127.1652, road_name="국도 1호선")
    assert far.road_id == "exp-1-gyeongbu"  # Route 1 is 2 km away: the hint cannot move the report


def test_carriageway_rules() -> None:
    assert carriageway_for(divided=True, road_bearing_deg=10, heading_deg=350) == "forward"
    assert carriageway_for(divided=True, road_bearing_deg=10, heading_deg=170) == "backward"
    assert carriageway_for(divided=True, road_bearing_deg=0, heading_deg=92) is None  # perpendicular
    assert carriageway_for(divided=True, road_bearing_deg=0, heading_deg=0, speed_kmh=1) is None  # stopped
    assert carriageway_for(divided=False, road_bearing_deg=0, heading_deg=0) is None


@given(st.floats(35.95, 37.05), st.floats(126.1, 127.7), st.one_of(st.none(), st.floats(0, 360)))
@settings(max_examples=200, deadline=None)
def test_every_point_in_the_province_gets_an_agency(lat: float, lon: float, heading: float | None) -> None:
    assume(NETWORK.areas.in_province(lat=lat, lon=lon))
    d = decide_jurisdiction(NETWORK, lat=lat, lon=lon, heading_deg=heading)
    assert d.agency in AGENCIES.by_code
    assert d.municipality in {a.code for a in NETWORK.areas.municipalities}
    assert d.explanation and d.agency_name in d.explanation
    if d.road_class == "expressway":
        assert d.agency == "kec"
    if d.road_id is None:
        assert d.agency == d.municipality
