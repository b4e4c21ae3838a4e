"""Duplicate merging: grid cells for the indexed lookup and the same-carcass rules."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.roadkill.domain import geo
from services.roadkill.domain.dedup import (
    DedupParams,
    IncidentView,
    ReportView,
    best_candidate,
    cell_key,
    neighbour_cells,
    same_carcass,
)

T0 = datetime(2026, 7, 27, 8, 0, tzinfo=UTC)


def destination(lat: float, lon: float, bearing: float, distance_m: float) -> tuple[float, float]:
    """Spherical destination point (independent of the code under test)."""
    d = distance_m / geo.EARTH_RADIUS_M
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


@given(
    st.floats(33.0, 38.7),
    st.floats(124.5, 131.0),
    st.floats(0, 360),
    st.floats(0, 1.0),
    st.floats(10, 2000),
    st.sampled_from([10.0, 50.0, 250.0, 1000.0]),
)
@settings(max_examples=400, deadline=None)
def test_neighbour_cells_cover_every_point_within_radius(lat, lon, bearing, frac, radius, cell) -> None:
    other = destination(lat, lon, bearing, radius * frac)
    if geo.haversine_m(lat, lon, *other) <= radius:
        assert cell_key(*other, cell) in neighbour_cells(lat, lon, radius, cell)


def test_neighbour_cells_are_few() -> None:
    cells = neighbour_cells(36.5, 127.0, 250, 250)
    assert cell_key(36.5, 127.0, 250) in cells
    assert 4 <= len(cells) <= 12 and len(set(cells)) == len(cells)


def test_cell_key_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        cell_key(float("nan"), 127.0)
    with pytest.raises(ValueError):
        cell_key(36.5, 127.0, 1.0)


def _incident(**kw) -> IncidentView:
    base = dict(
        id="inc-1",
        road_id="exp-1-gyeongbu",
        lat=36.86,
        lon=127.165,
        carriageway="forward",
        heading_deg=180.0,
        is_open=True,
        last_reported_at=T0,
    )
    return IncidentView(**{**base, **kw})


def _report(**kw) -> ReportView:
    base = dict(
        road_id="exp-1-gyeongbu",
        divided=True,
        lat=36.8605,
        lon=127.165,
        carriageway="forward",
        heading_deg=182.0,
        reported_at=T0 + timedelta(minutes=10),
    )
    return ReportView(**{**base, **kw})


def test_same_carriageway_merges() -> None:
    ok, reason = same_carcass(_incident(), _report())
    assert ok and "same carriageway" in reason


def test_opposite_carriageway_is_a_different_incident() -> None:
    ok, reason = same_carcass(_incident(), _report(carriageway="backward", heading_deg=2.0))
    assert not ok and "opposite" in reason


def test_headings_decide_when_carriageway_unknown() -> None:
    assert same_carcass(_incident(carriageway=None), _report(carriageway=None))[0]
    assert not same_carcass(_incident(carriageway=None), _report(carriageway=None, heading_deg=0.0))[0]
    ok, reason = same_carcass(_incident(carriageway=None, heading_deg=None), _report(carriageway=None))
    assert not ok and "unknown" in reason


def test_undivided_road_ignores_direction() -> None:
    inc = _incident(road_id="prov-619", carriageway=None, heading_deg=0.0)
    ok, reason = same_carcass(
        inc, _report(road_id="prov-619", divided=False, carriageway=None, heading_deg=180.0)
    )
    assert ok and "undivided" in reason


@pytest.mark.parametrize(
    ("incident", "report", "why"),
    [
        (_incident(is_open=False), _report(), "closed"),
        (_incident(road_id="nat-1-cheonan"), _report(), "different road"),
        (_incident(), _report(reported_at=T0 + timedelta(hours=7)), "h apart"),
        (_incident(), _report(lat=36.8640), "m apart"),
    ],
)
def test_rejections_say_why(incident: IncidentView, report: ReportView, why: str) -> None:
    ok, reason = same_carcass(incident, report)
    assert not ok and why in reason


def test_best_candidate_is_the_nearest_match() -> None:
    near = _incident(id="near", lat=36.8604)
    far = _incident(id="far", lat=36.8620)
    wrong_side = _incident(id="wrong", lat=36.8605, carriageway="backward", heading_deg=0.0)
    best, _ = best_candidate([far, wrong_side, near], _report())
    assert best is not None and best.id == "near"
    assert best_candidate([wrong_side], _report())[0] is None


def test_params_are_validated() -> None:
    with pytest.raises(ValueError, match="distance_m"):
        DedupParams(distance_m=0)
    with pytest.raises(ValueError, match="window"):
        DedupParams(window=timedelta(0))
