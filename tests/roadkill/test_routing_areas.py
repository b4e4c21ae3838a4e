"""Routing by the real census areas (Statistics Korea 2018): every city and county and each of its eup,
myeon and dong, the Daejeon and Sejong enclaves, the urban-dong rule, and the road network inside them.

The expected answers come from an oracle written here from the GeoJSON with shapely, not from the
service's area index, and from the Road Act table as agencies.json states it.
"""

from __future__ import annotations

import bisect
import json

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from services.roadkill.domain.network import DEFAULT_AREAS, DEFAULT_ROADS, default_network
from services.roadkill.domain.reference import default_agencies
from services.roadkill.domain.routing import OutsideRegionError, decide_jurisdiction
from tests.roadkill.conftest import auth, report_body

SERVICE_NAME = "roadkill"
NETWORK = default_network()
DOC = json.loads(DEFAULT_AREAS.read_text(encoding="utf-8"))
FEATURES = {f["properties"]["code"]: (f["properties"], shape(f["geometry"])) for f in DOC["features"]}
DISTRICTS = sorted(c for c, (p, _) in FEATURES.items() if p["kind"] in {"dong", "eup", "myeon"})
MUNICIPALITIES = sorted(c for c, (p, _) in FEATURES.items() if p["kind"] in {"city", "county"})
ENCLAVES = ("daejeon", "sejong")
PROVINCE = FEATURES["chungnam"][1]
# The cities' and counties' census codes (2018); Cheonan-si is published as its two gu.
KOSTAT = {"cheonan": "34011+34012", "gongju": "34020", "boryeong": "34030", "asan": "34040", "seosan": "34050",
          "nonsan": "34060", "gyeryong": "34070", "dangjin": "34080", "geumsan": "34310", "buyeo": "34330",
          "seocheon": "34340", "cheongyang": "34350", "hongseong": "34360", "yesan": "34370", "taean": "34380"}


def _triangles(geom: shapely.Geometry) -> tuple[list[shapely.Geometry], list[float]]:
    tris = list(shapely.get_parts(shapely.constrained_delaunay_triangles(geom)))
    cumulative, total = [], 0.0
    for t in tris:
        total += t.area
        cumulative.append(total)
    return tris, [c / total for c in cumulative]


TRIANGLES = {code: _triangles(FEATURES[code][1]) for code in [*DISTRICTS, *ENCLAVES]}


@st.composite
def point_in(draw: st.DrawFn, code: str) -> tuple[float, float]:
    """A point inside an area, drawn uniformly by area (triangle by weight, then barycentric)."""
    tris, cumulative = TRIANGLES[code]
    tri = tris[min(bisect.bisect_left(cumulative, draw(st.floats(0, 1))), len(tris) - 1)]
    (ax, ay), (bx, by), (cx, cy) = list(tri.exterior.coords)[:3]
    u, v = draw(st.floats(0.01, 0.98)), draw(st.floats(0.01, 0.98))
    if u + v > 0.99:
        u, v = 1 - u, 1 - v
    return ay + u * (by - ay) + v * (cy - ay), ax + u * (bx - ax) + v * (cx - ax)


def _district_of(lat: float, lon: float) -> str | None:
    return next((c for c in DISTRICTS if FEATURES[c][1].covers(shapely.Point(lon, lat))), None)


def _expected_agency(road_class: str | None, at: tuple[float, float]) -> str:
    """The Road Act table of agencies.json: expressway → KEC; national and provincial → the regional
    office or the province's road office, except inside a city's dong; otherwise the city or county."""
    props = FEATURES[_district_of(*at)][0]
    if road_class == "expressway":
        return "kec"
    if road_class in ("national", "provincial") and props["kind"] == "dong":
        return props["municipality"]
    return {"national": "daejeon-rolm", "provincial": "chungnam-road"}.get(road_class, props["municipality"])


def _where_decided(lat: float, lon: float, d) -> tuple[float, float]:
    """Areas are decided at the snapped road point, or at the report when that point leaves the province."""
    if d.snapped_lat is not None and _district_of(d.snapped_lat, d.snapped_lon) is not None:
        return d.snapped_lat, d.snapped_lon
    return lat, lon


def test_areas_are_the_census_areas() -> None:
    assert {c: FEATURES[c][0]["kostat_code"] for c in MUNICIPALITIES} == KOSTAT
    assert len(DISTRICTS) == 207  # Chungnam's eup, myeon and dong in the 2018 census
    dong = {c for c in DISTRICTS if FEATURES[c][0]["kind"] == "dong"}
    assert len(dong) == 46 and all(FEATURES[c][0]["name_ko"].endswith("동") for c in dong)
    assert {FEATURES[c][0]["municipality"] for c in dong} == {
        c for c in MUNICIPALITIES if FEATURES[c][0]["kind"] == "city"}
    for code in DISTRICTS:
        props, geom = FEATURES[code]
        assert code.startswith(tuple(KOSTAT[props["municipality"]].split("+")))
        assert geom.difference(FEATURES[props["municipality"]][1]).area < 1e-9
    # The municipalities tile the province, and Daejeon and Sejong lie outside it.
    union = shapely.union_all([FEATURES[c][1] for c in MUNICIPALITIES])
    assert union.symmetric_difference(PROVINCE).area < 1e-9
    assert all(FEATURES[e][1].intersection(PROVINCE).area < 1e-9 for e in ENCLAVES)
    assert set(MUNICIPALITIES) <= set(default_agencies().by_code)


@pytest.mark.parametrize("code", DISTRICTS)
def test_a_point_in_every_eup_myeon_and_dong_is_routed_there(code: str) -> None:
    props, geom = FEATURES[code]
    p = geom.representative_point()
    area = NETWORK.areas.district_at(lat=p.y, lon=p.x)
    assert area is not None and area.code == code
    off_road = decide_jurisdiction(NETWORK, lat=p.y, lon=p.x, max_snap_m=0.0)
    assert (off_road.municipality, off_road.agency, off_road.road_id) == (
        props["municipality"], props["municipality"], None)
    assert off_road.urban is (props["kind"] == "dong")
    assert props["name"] in off_road.explanation and props["name_ko"] in off_road.explanation_ko
    d = decide_jurisdiction(NETWORK, lat=p.y, lon=p.x)
    assert d.agency == _expected_agency(d.road_class, _where_decided(p.y, p.x, d))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(DISTRICTS).flatmap(lambda code: st.tuples(st.just(code), point_in(code))))
def test_points_anywhere_in_the_province_get_the_agency_of_the_table(case: tuple[str, tuple[float, float]]) -> None:
    code, (lat, lon) = case
    d = decide_jurisdiction(NETWORK, lat=lat, lon=lon)
    assert d.municipality == FEATURES[_district_of(*_where_decided(lat, lon, d))][0]["municipality"]
    assert d.agency == _expected_agency(d.road_class, _where_decided(lat, lon, d))
    assert d.agency_name in d.explanation


@pytest.mark.parametrize("road_id", sorted(r.id for r in NETWORK.roads.values()
                                           if r.road_class in ("national", "provincial")))
def test_an_urban_dong_decides_the_citys_share_of_national_and_provincial_roads(road_id: str) -> None:
    road = NETWORK.road(road_id)
    for lon, lat in road.coords:
        d = decide_jurisdiction(NETWORK, lat=lat, lon=lon, road_name=road.name)
        assert d.road_id == road_id
        props = FEATURES[_district_of(lat, lon)][0]
        if props["kind"] == "dong":
            assert (d.agency, d.urban) == (props["municipality"], True)
            assert props["name"] in d.explanation and "urban (dong)" in d.explanation
        else:
            assert d.agency == ("daejeon-rolm" if road.road_class == "national" else "chungnam-road")
            assert d.urban is False


def test_some_national_road_runs_through_both_dong_and_eup_of_a_city() -> None:
    """The rule is exercised both ways on the shipped network (the test above would pass vacuously else)."""
    agencies = {decide_jurisdiction(NETWORK, lat=lat, lon=lon, road_name="국도 1호선").agency
                for lon, lat in NETWORK.road("nat-1-cheonan").coords}
    assert agencies == {"cheonan", "daejeon-rolm"}


@pytest.mark.parametrize("enclave", ENCLAVES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_daejeon_and_sejong_are_outside_the_province(enclave: str, data: st.DataObject) -> None:
    lat, lon = data.draw(point_in(enclave))
    with pytest.raises(OutsideRegionError, match=f"outside Chungcheongnam-do \\(it is in {FEATURES[enclave][0]['name']}"):
        decide_jurisdiction(NETWORK, lat=lat, lon=lon)


@pytest.mark.parametrize("enclave", ENCLAVES)
def test_a_report_in_daejeon_or_sejong_is_a_422_naming_the_location(client, enclave: str) -> None:
    p = FEATURES[enclave][1].representative_point()
    r = client.get("/v1/jurisdiction", params={"lat": p.y, "lon": p.x})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/outside-region")
    assert r.json()["errors"][0]["field"] == "lat" and FEATURES[enclave][0]["name"] in r.json()["detail"]
    r = client.post("/v1/voice-reports", json=report_body(p.y, p.x), headers=auth("tmap"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lat"
    assert client.get("/v1/incidents", headers=auth("chungnam")).json()["items"] == []


def test_every_road_vertex_lies_in_the_province_and_off_the_enclaves() -> None:
    shapely.prepare(PROVINCE)
    enclaves = shapely.union_all([FEATURES[e][1] for e in ENCLAVES])
    for road in NETWORK.roads.values():
        for lon, lat in road.coords:
            assert shapely.intersects_xy(PROVINCE, lon, lat), (road.id, lat, lon)
            assert not shapely.intersects_xy(enclaves, lon, lat), (road.id, lat, lon)
        assert not shapely.LineString(road.coords).intersects(enclaves), road.id


def test_the_builder_refuses_a_road_through_sejong_and_names_districts_as_published() -> None:
    from tools import geodata

    roads = json.loads(DEFAULT_ROADS.read_text(encoding="utf-8"))
    geodata.check(roads, DOC)  # the shipped files pass the builder's own checks
    p = FEATURES["sejong"][1].representative_point()
    roads["features"][0]["geometry"]["coordinates"].insert(1, [p.x, p.y])
    with pytest.raises(SystemExit, match="leaves the province"):
        geodata.check(roads, DOC)
    assert geodata.romanised("Mokcheoneup", "eup") == "Mokcheon-eup"
    assert geodata.romanised("Buseong 2(i)-dong", "dong") == "Buseong 2-dong"
    assert geodata.romanised("Daecheon1-dong", "dong") == "Daecheon 1-dong"


@settings(max_examples=100, deadline=None)
@given(st.floats(33.0, 35.8), st.floats(124.5, 131.0))
def test_positions_outside_the_areas_fill_no_lookup_cells(lat: float, lon: float) -> None:
    """The jurisdiction endpoint is public: positions far from the province must not grow the lookup grid."""
    areas = NETWORK.areas
    before = [layer.cells for layer in areas.layers]
    assert not areas.in_province(lat=lat, lon=lon)
    assert areas.municipality_at(lat=lat, lon=lon) is None and areas.district_at(lat=lat, lon=lon) is None
    with pytest.raises(OutsideRegionError):
        decide_jurisdiction(NETWORK, lat=lat, lon=lon)
    assert [layer.cells for layer in areas.layers] == before
