"""Geometry helpers: distances, bearings, polylines and polygons."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from services.roadkill.domain import geo


def test_haversine_known_distance() -> None:
    # Cheonan city hall to Asan city hall: about 10.4 km.
    d = geo.haversine_m(36.815, 127.114, 36.790, 127.002)
    assert 10_000 < d < 10_800
    assert geo.haversine_m(36.5, 127.0, 36.5, 127.0) == 0.0


def test_bearings() -> None:
    assert math.isclose(geo.initial_bearing_deg(36.0, 127.0, 36.1, 127.0), 0.0, abs_tol=1e-9)
    assert math.isclose(geo.initial_bearing_deg(36.0, 127.0, 36.0, 127.1), 90.0, abs_tol=0.1)
    assert geo.bearing_difference_deg(350, 10) == 20
    assert geo.bearing_difference_deg(0, 180) == 180


@given(st.floats(-720, 720), st.floats(-720, 720))
def test_bearing_difference_is_symmetric_and_bounded(a: float, b: float) -> None:
    d = geo.bearing_difference_deg(a, b)
    assert 0 <= d <= 180
    assert math.isclose(d, geo.bearing_difference_deg(b, a), abs_tol=1e-9)


def test_nearest_on_polyline_measure_and_bearing() -> None:
    line = [(127.0, 36.0), (127.0, 36.01), (127.01, 36.01)]  # north 1.11 km, then east
    hit = geo.nearest_on_polyline(line, lat=36.005, lon=127.0005)
    assert hit.segment_index == 0
    assert math.isclose(hit.distance_m, 45, rel_tol=0.02)
    assert math.isclose(hit.measure_m, geo.haversine_m(36.0, 127.0, 36.005, 127.0), rel_tol=1e-3)
    assert hit.bearing_deg < 1 or hit.bearing_deg > 359
    hit2 = geo.nearest_on_polyline(line, lat=36.0105, lon=127.005)
    assert hit2.segment_index == 1 and 85 < hit2.bearing_deg < 95


def test_cut_polyline_keeps_inner_vertices() -> None:
    line = [(127.0, 36.0), (127.0, 36.01), (127.0, 36.02)]
    cum = geo.cumulative_lengths_m(line)
    part = geo.cut_polyline(line, cum, 500, 1500)
    assert len(part) == 3 and part[1] == (127.0, 36.01)
    assert math.isclose(geo.cumulative_lengths_m(part)[-1], 1000, rel_tol=1e-6)


def test_point_in_polygon_with_hole_and_multipolygon() -> None:
    outer = [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    hole = [(4, 4), (6, 4), (6, 6), (4, 6), (4, 4)]
    poly = [outer, hole]
    assert geo.point_in_polygon(1, 1, poly)
    assert not geo.point_in_polygon(5, 5, poly)
    assert not geo.point_in_polygon(11, 5, poly)
    other = [[(20, 20), (30, 20), (30, 30), (20, 20)]]
    assert geo.point_in_multipolygon(25, 22, [poly, other])
    assert not geo.point_in_multipolygon(15, 15, [poly, other])


@given(st.floats(0.001, 9.999), st.floats(0.001, 9.999))
def test_shared_edge_gives_exactly_one_owner(x: float, y: float) -> None:
    # Two quadrilaterals sharing the slanted edge x = 3 + 0.3 y: every point is in exactly one.
    left = [(0, 0), (3, 0), (6, 10), (0, 10)]
    right = [(3, 0), (10, 0), (10, 10), (6, 10)]
    assert geo.point_in_ring(x, y, left) + geo.point_in_ring(x, y, right) == 1


def test_local_projection_round_trip() -> None:
    p = geo.LocalProjection(36.5, 127.0)
    x, y = p.to_xy(36.6, 127.1)
    lat, lon = p.to_latlon(x, y)
    assert math.isclose(lat, 36.6) and math.isclose(lon, 127.1)
    assert math.isclose(math.hypot(x, y), geo.haversine_m(36.5, 127.0, 36.6, 127.1), rel_tol=2e-3)
