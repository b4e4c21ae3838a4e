"""Loading and indexing the shipped road network (approximate) and census areas (Statistics Korea 2018)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.roadkill.domain import geo
from services.roadkill.domain.network import (
    DEFAULT_AREAS,
    DEFAULT_ROADS,
    NetworkDataError,
    default_network,
    load_network,
)
from services.roadkill.domain.reference import ReferenceDataError, default_agencies, default_species

MUNICIPALITIES = {
    "cheonan",
    "gongju",
    "boryeong",
    "asan",
    "seosan",
    "nonsan",
    "gyeryong",
    "dangjin",
    "geumsan",
    "buyeo",
    "seocheon",
    "cheongyang",
    "hongseong",
    "yesan",
    "taean",
}
NETWORK = default_network()
lat_in_bbox = st.floats(35.9, 37.1)
lon_in_bbox = st.floats(126.0, 127.8)


def test_shipped_files_say_what_they_are() -> None:
    roads = json.loads(DEFAULT_ROADS.read_text(encoding="utf-8"))
    assert roads["metadata"]["approximate"] is True
    assert "approximate" in roads["name"] and "APPROXIMATE" in roads["metadata"]["note"]
    assert all(f["properties"]["approximate"] is True and f["properties"]["source"] for f in roads["features"])
    # The areas are Statistics Korea's census boundaries, with the licence's attribution beside them.
    areas = json.loads(DEFAULT_AREAS.read_text(encoding="utf-8"))
    assert areas["metadata"]["approximate"] is False
    assert "Statistics Korea" in areas["metadata"]["attribution"]
    assert "Korea Open Government License Type 1" in areas["metadata"]["attribution"]
    assert all("Statistics Korea" in f["properties"]["source"] for f in areas["features"])


def test_network_contents() -> None:
    classes = {r.road_class for r in NETWORK.roads.values()}
    assert classes == {"expressway", "national", "provincial", "local"}
    for road in NETWORK.roads.values():
        assert len(road.coords) >= 3
        assert all(35.95 <= lat <= 37.05 and 126.1 <= lon <= 127.65 for lon, lat in road.coords)
        # vertices every few km, so the lines look like roads
        assert max(b - a for a, b in zip(road.cum_m, road.cum_m[1:], strict=False)) < 5_500
    areas = NETWORK.areas
    assert {a.code for a in areas.municipalities} == MUNICIPALITIES
    # Every city has urban dong, no county has one (census 2018).
    assert {a.municipality for a in areas.urban} == {
        code for code in MUNICIPALITIES if areas.by_code[code].kind == "city"
    }
    agencies = default_agencies().by_code
    assert MUNICIPALITIES | {
        "kec",
        "daejeon-rolm",
        "chungnam-road",
        "acrc",
        "molit",
        "me",
        "tmap",
        "chungnam",
    } <= set(agencies)


def test_species_reference() -> None:
    species = default_species()
    assert species.version and species.source
    assert species.by_code["leopard_cat"].protected and not species.by_code["water_deer"].protected
    assert "unknown" in species.by_code


@given(lat_in_bbox, lon_in_bbox)
@settings(max_examples=300, deadline=None)
def test_areas_tile_the_province(lat: float, lon: float) -> None:
    owners = [a.code for a in NETWORK.areas.municipalities if a.contains(lat=lat, lon=lon)]
    assert len(owners) == (1 if NETWORK.areas.in_province(lat=lat, lon=lon) else 0)
    district = NETWORK.areas.district_at(lat=lat, lon=lon)
    if district is not None:
        assert owners == [district.municipality]


def test_halls_are_in_their_own_area() -> None:
    for area in NETWORK.areas.municipalities:
        assert area.seat is not None
        assert NETWORK.areas.municipality_at(lat=area.seat[1], lon=area.seat[0]) is area


@given(lat_in_bbox, lon_in_bbox, st.floats(1, 3000))
@settings(max_examples=150, deadline=None)
def test_grid_index_matches_brute_force(lat: float, lon: float, radius: float) -> None:
    brute = {}
    for road in NETWORK.roads.values():
        hit = geo.nearest_on_polyline(road.coords, lat=lat, lon=lon, cum_m=road.cum_m)
        if hit.distance_m <= radius:
            brute[road.id] = hit.distance_m
    indexed = {h.road.id: h.distance_m for h in NETWORK.nearest_roads(lat=lat, lon=lon, radius_m=radius)}
    assert indexed == pytest.approx(brute)


def _write(tmp_path: Path, name: str, doc: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _roads_doc() -> dict:
    return json.loads(DEFAULT_ROADS.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["features"][0]["properties"].update(road_class="motorway"), "road_class"),
        (lambda d: d["features"][0]["geometry"].update(coordinates=[[127.0, 36.5]]), "at least two"),
        (lambda d: d["features"][0]["geometry"].update(coordinates=[[127.0, 36.5], ["x", 1]]), "position"),
        (lambda d: d["features"][0]["geometry"].update(type="Point"), "LineString"),
        (
            lambda d: d["features"][1]["properties"].update(id=d["features"][0]["properties"]["id"]),
            "duplicate",
        ),
        (lambda d: d["features"][0]["properties"].pop("divided"), "divided"),
        (lambda d: d.update(type="Feature"), "FeatureCollection"),
    ],
)
def test_bad_roads_raise_clear_errors(tmp_path: Path, mutate, message: str) -> None:
    doc = _roads_doc()
    mutate(doc)
    with pytest.raises(NetworkDataError, match=message):
        load_network(_write(tmp_path, "roads.geojson", doc), DEFAULT_AREAS)


def test_bad_areas_raise_clear_errors(tmp_path: Path) -> None:
    doc = json.loads(DEFAULT_AREAS.read_text(encoding="utf-8"))
    doc["features"] = [f for f in doc["features"] if f["properties"]["kind"] != "province"]
    with pytest.raises(NetworkDataError, match="province"):
        load_network(DEFAULT_ROADS, _write(tmp_path, "areas.geojson", doc))
    (tmp_path / "broken.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="JSON"):
        load_network(tmp_path / "broken.geojson", DEFAULT_AREAS)
    with pytest.raises(ReferenceDataError, match="not found"):
        load_network(tmp_path / "missing.geojson", DEFAULT_AREAS)


def _first(doc: dict, kind: str) -> dict:
    return next(f for f in doc["features"] if f["properties"]["kind"] == kind)


def _outer(feature: dict) -> list:
    g = feature["geometry"]
    return g["coordinates"][0][0] if g["type"] == "MultiPolygon" else g["coordinates"][0]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: _outer(_first(d, "dong")).__setitem__(3, ["x", 36.5]), r"coordinates\[0\]\[0\]\[3\]: expected a position"),
        (lambda d: _outer(_first(d, "eup")).__setitem__(2, [127.0, 95.0]), "out of range"),
        (lambda d: _outer(_first(d, "myeon")).__setitem__(-1, [0.0, 0.0]), "must end where it starts"),
        (lambda d: _first(d, "dong")["properties"].pop("municipality"), "must name its city or county"),
        (lambda d: _first(d, "myeon")["properties"].update(municipality="daejeon"), "not a city or county"),
        (lambda d: _first(d, "dong")["properties"].update(municipality="taean"), "not a city"),
        (lambda d: _first(d, "county")["geometry"].update(
            type="Polygon", coordinates=[[[126.0, 36.0], [126.1, 36.1], [126.1, 36.0], [126.0, 36.1], [126.0, 36.0]]]),
         "Self-intersection"),
    ],
)
def test_bad_census_areas_raise_errors_naming_the_feature(tmp_path: Path, mutate, message: str) -> None:
    doc = json.loads(DEFAULT_AREAS.read_text(encoding="utf-8"))
    mutate(doc)
    with pytest.raises(NetworkDataError, match=message):
        load_network(DEFAULT_ROADS, _write(tmp_path, "areas.geojson", doc))
