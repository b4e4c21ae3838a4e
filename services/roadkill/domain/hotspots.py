"""Roadkill hotspot analysis for prevention: Malo's Poisson method on fixed-length road segments."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from services.roadkill.domain import geo
from services.roadkill.domain.road_index import Road, RoadNetwork

# Malo et al. (2004) used 500 m segments; shorter ones leave too few carcasses per segment.
DEFAULT_SEGMENT_M = 500.0
SegmentKey = tuple[str, int]  # (road_id, segment index from the road's first vertex)


def segments_on_road(length_m: float, segment_m: float = DEFAULT_SEGMENT_M) -> int:
    """Number of segments a road of this length is cut into (the last one may be shorter)."""
    if not segment_m > 0:
        raise ValueError(f"segment_m must be positive, got {segment_m!r}")
    return max(1, math.ceil(length_m / segment_m))


def segment_of(measure_m: float, segment_m: float = DEFAULT_SEGMENT_M, length_m: float | None = None) -> int:
    """Index of the segment holding a position along a road; clamped to the road when its length is given."""
    if not segment_m > 0:
        raise ValueError(f"segment_m must be positive, got {segment_m!r}")
    index = max(0, math.floor(measure_m / segment_m))
    if length_m is not None:
        index = min(index, segments_on_road(length_m, segment_m) - 1)
    return index


def segments_per_road(network: RoadNetwork, segment_m: float = DEFAULT_SEGMENT_M) -> dict[str, int]:
    """Segments of every mapped road: Malo's mean must include the segments where nothing was found."""
    return {rid: segments_on_road(road.length_m, segment_m) for rid, road in network.roads.items()}


def count_by_segment(
    network: RoadNetwork, located: Iterable[tuple[str, float]], segment_m: float = DEFAULT_SEGMENT_M
) -> Counter[SegmentKey]:
    """Count incidents given as (road_id, measure_m); incidents on unknown roads are ignored."""
    counts: Counter[SegmentKey] = Counter()
    for road_id, measure in located:
        road = network.roads.get(road_id)
        if road is not None:
            counts[(road_id, segment_of(measure, segment_m, road.length_m))] += 1
    return counts


def poisson_upper_limit(lam: float, confidence: float = 0.95) -> int:
    """Smallest k with P(X <= k) >= confidence for X ~ Poisson(lam).

    Terms are summed in log space from well below the mean, so the result stays exact for means in
    the thousands where exp(-lam) alone would underflow to zero.
    """
    if not (lam >= 0 and math.isfinite(lam)):
        raise ValueError(f"the Poisson mean must be a finite non-negative number, got {lam!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if lam == 0:
        return 0
    # Below lam - 10 sqrt(lam) - 10 the Poisson mass is < 1e-20: skipping it changes nothing.
    k = max(0, math.floor(lam - 10 * math.sqrt(lam) - 10))
    log_lam = math.log(lam)
    log_p = k * log_lam - lam - math.lgamma(k + 1)
    cdf = 0.0
    while True:
        cdf += math.exp(log_p)
        if cdf >= confidence:
            return k
        k += 1
        log_p += log_lam - math.log(k)


@dataclass(frozen=True, slots=True)
class Hotspot:
    road_id: str
    index: int
    count: int


@dataclass(frozen=True, slots=True)
class MaloResult:
    segment_m: float
    total_segments: int
    total_count: int
    mean: float  # λ: incidents per segment over all mapped segments
    upper_limit: int  # a segment is a hotspot when its count exceeds this
    confidence: float
    hotspots: tuple[Hotspot, ...]  # highest count first


def malo_hotspots(
    counts: Mapping[SegmentKey, int],
    segments: Mapping[str, int],
    *,
    segment_m: float = DEFAULT_SEGMENT_M,
    confidence: float = 0.95,
) -> MaloResult:
    """Flag segments whose count exceeds the upper `confidence` limit of a Poisson with the mean count.

    `segments` gives the number of segments of every road analysed (see segments_per_road), so the
    mean counts the zero segments too; every key of `counts` must lie on one of them.
    """
    total_segments = sum(segments.values())
    if total_segments <= 0:
        raise ValueError("no segments to analyse")
    for (road_id, index), n in counts.items():
        if road_id not in segments or not 0 <= index < segments[road_id]:
            raise ValueError(f"count for ({road_id!r}, {index}) is not on an analysed segment")
        if n < 0:
            raise ValueError(f"count for ({road_id!r}, {index}) is negative: {n}")
    total = sum(counts.values())
    mean = total / total_segments
    limit = poisson_upper_limit(mean, confidence)
    flagged = sorted(
        (Hotspot(rid, idx, n) for (rid, idx), n in counts.items() if n > limit),
        key=lambda h: (-h.count, h.road_id, h.index),
    )
    return MaloResult(segment_m, total_segments, total, mean, limit, confidence, tuple(flagged))


def segment_geometry(road: Road, index: int, segment_m: float = DEFAULT_SEGMENT_M) -> list[list[float]]:
    """GeoJSON LineString coordinates of one segment, cut from the road polyline."""
    n = segments_on_road(road.length_m, segment_m)
    if not 0 <= index < n:
        raise ValueError(f"road {road.id} has segments 0..{n - 1}, not {index}")
    start = index * segment_m
    return [[lon, lat] for lon, lat in geo.cut_polyline(road.coords, road.cum_m, start, start + segment_m)]


def hotspot_features(network: RoadNetwork, result: MaloResult) -> list[dict[str, Any]]:
    """GeoJSON Features (LineString) for the flagged segments, with the statistics as properties."""
    features = []
    for rank, h in enumerate(result.hotspots, start=1):
        road = network.road(h.road_id)
        start = h.index * result.segment_m
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": segment_geometry(road, h.index, result.segment_m),
                },
                "properties": {
                    "rank": rank,
                    "road_id": road.id,
                    "road_name": road.name,
                    "road_name_ko": road.name_ko,
                    "road_class": road.road_class,
                    "segment_index": h.index,
                    "start_m": round(start, 1),
                    "end_m": round(min(start + result.segment_m, road.length_m), 1),
                    "count": h.count,
                    "mean": round(result.mean, 4),
                    "upper_limit": result.upper_limit,
                    "confidence": result.confidence,
                    "method": "malo",
                    "approximate_geometry": road.approximate,
                },
            }
        )
    return features


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between ranks; None for no values."""
    data = sorted(values)
    if not data:
        return None
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be in [0, 100], got {q!r}")
    pos = (len(data) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def time_to_clear_summary(durations: Iterable[timedelta]) -> dict[str, float | int | None]:
    """Median and 90th percentile of report-to-cleared times in minutes, for agency dashboards."""
    minutes = [d.total_seconds() / 60 for d in durations if d >= timedelta(0)]
    return {
        "count": len(minutes),
        "p50_minutes": percentile(minutes, 50),
        "p90_minutes": percentile(minutes, 90),
        "max_minutes": max(minutes) if minutes else None,
    }
