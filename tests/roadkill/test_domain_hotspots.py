"""Malo hotspot analysis: Poisson limit, segment bookkeeping and GeoJSON output."""

from __future__ import annotations

import math
from datetime import timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.roadkill.domain import geo
from services.roadkill.domain.hotspots import (
    count_by_segment,
    hotspot_features,
    malo_hotspots,
    percentile,
    poisson_upper_limit,
    segment_geometry,
    segment_of,
    segments_per_road,
    time_to_clear_summary,
)
from services.roadkill.domain.network import default_network

NETWORK = default_network()


def test_poisson_limit_known_values() -> None:
    assert poisson_upper_limit(0) == 0
    assert poisson_upper_limit(1) == 3  # P(X<=2)=0.920, P(X<=3)=0.981
    assert poisson_upper_limit(10) == 15  # P(X<=14)=0.917, P(X<=15)=0.951
    # Normal approximation for a large mean: lam + 1.645 sqrt(lam), within a couple of counts.
    for lam in (1000.0, 5000.0):
        assert abs(poisson_upper_limit(lam) - (lam + 1.645 * math.sqrt(lam))) < 3


def _exact_limit(lam: Fraction, conf: Fraction) -> int:
    term = Fraction(1)  # lam^k / k!, multiplied by exp(-lam) via float at the end
    total, k = Fraction(0), 0
    e = Fraction(math.exp(-float(lam)))
    while True:
        total += term
        if total * e >= conf:
            return k
        k += 1
        term = term * lam / k


@given(st.fractions(min_value=Fraction(1, 100), max_value=30, max_denominator=100))
def test_poisson_limit_matches_exact_sum(lam: Fraction) -> None:
    assert poisson_upper_limit(float(lam)) == _exact_limit(lam, Fraction(95, 100))


def test_segment_bookkeeping() -> None:
    assert segment_of(0, 500) == 0 and segment_of(499.9, 500) == 0 and segment_of(500, 500) == 1
    assert segment_of(1000, 500, length_m=1000) == 1  # the far end belongs to the last segment
    per_road = segments_per_road(NETWORK, 500)
    road = NETWORK.road("exp-1-gyeongbu")
    assert per_road[road.id] == math.ceil(road.length_m / 500)


def test_seeded_excess_is_flagged_and_uniform_counts_are_not() -> None:
    per_road = segments_per_road(NETWORK, 500)
    uniform = {(rid, i): 1 for rid, n in per_road.items() for i in range(n)}
    assert malo_hotspots(uniform, per_road).hotspots == ()
    seeded = dict(uniform)
    seeded[("nat-34", 3)] = 12
    result = malo_hotspots(seeded, per_road)
    assert [(h.road_id, h.index, h.count) for h in result.hotspots] == [("nat-34", 3, 12)]
    assert result.total_segments == sum(per_road.values()) and result.upper_limit == poisson_upper_limit(
        result.mean
    )


def test_zero_segments_count_towards_the_mean() -> None:
    per_road = segments_per_road(NETWORK, 500)
    result = malo_hotspots({("nat-34", 0): 4}, per_road)
    assert result.mean == 4 / sum(per_road.values())
    assert [h.count for h in result.hotspots] == [4]


def test_counts_off_the_analysed_segments_are_rejected() -> None:
    with pytest.raises(ValueError, match="not on an analysed segment"):
        malo_hotspots({("nat-34", 10_000): 1}, segments_per_road(NETWORK))


def test_features_cut_the_segment_from_the_road() -> None:
    road = NETWORK.road("nat-34")
    located = [("nat-34", 1200.0)] * 9 + [("unknown-road", 5.0)]
    counts = count_by_segment(NETWORK, located, 500)
    result = malo_hotspots(counts, segments_per_road(NETWORK, 500))
    (feature,) = hotspot_features(NETWORK, result)
    assert feature["properties"]["segment_index"] == 2 and feature["properties"]["count"] == 9
    coords = feature["geometry"]["coordinates"]
    length = geo.cumulative_lengths_m([tuple(c) for c in coords])[-1]
    assert length == pytest.approx(500, rel=1e-3)
    start = geo.nearest_on_polyline(road.coords, lat=coords[0][1], lon=coords[0][0], cum_m=road.cum_m)
    assert start.measure_m == pytest.approx(1000, abs=1) and start.distance_m < 1
    last = segment_geometry(road, math.ceil(road.length_m / 500) - 1, 500)
    assert last[-1] == list(road.coords[-1])


def test_percentiles_and_time_to_clear() -> None:
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    summary = time_to_clear_summary([timedelta(minutes=m) for m in (10, 20, 30, 40, 100)])
    assert summary["count"] == 5 and summary["p50_minutes"] == 30 and summary["max_minutes"] == 100
