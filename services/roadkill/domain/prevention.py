"""Prevention data for the Ministry of Environment, computed from grouped counts (no database here).

The analytics flow runs the GROUP BY queries; this module folds their rows into the summary document
(counts by species, month, road class and agency) and builds the Malo hotspot FeatureCollection.
Incidents closed as `duplicate` are the same carcass as another incident and are never counted.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.roadkill.domain import hotspots
from services.roadkill.domain.reference import default_agencies, default_species
from services.roadkill.domain.road_index import RoadNetwork

DUPLICATE = "duplicate"
REMOVED = "removed"
NO_TIMES = {"count": 0, "p50_minutes": None, "p90_minutes": None}


@dataclass(frozen=True, slots=True)
class Filters:
    since: datetime | None = None  # first reported at or after
    until: datetime | None = None  # first reported before
    species: str | None = None  # confirmed species where confirmed, else reported

    @property
    def any(self) -> bool:
        return self.since is not None or self.until is not None or self.species is not None

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None, "species": self.species}


@dataclass(slots=True)
class Folded:
    """The summary's grouped rows folded into its breakdowns (duplicates left out)."""

    total: int = 0
    by_species: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_month: dict[int | None, int] = field(default_factory=lambda: defaultdict(int))
    by_class: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_agency: dict[str, dict[str, Any]] = field(default_factory=dict)
    timed: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # removed with a time to clear


def fold(grouped: Iterable[tuple[Any, ...]]) -> Folded:
    """Rows of (outcome, agency, road_class, species_confirmed, species, report_month, count, timed count)."""
    out = Folded()
    for outcome, agency, road_class, confirmed, reported, mon, n, n_timed in grouped:
        if outcome == DUPLICATE:
            continue
        if outcome == REMOVED:
            out.timed[agency] += n_timed
        out.total += n
        out.by_species[confirmed or reported] += n
        out.by_month[mon] += n
        out.by_class[road_class] += n
        a = out.by_agency.setdefault(agency, {"count": 0, "closed": 0, "outcomes": defaultdict(int)})
        a["count"] += n
        if outcome is not None:
            a["closed"] += n
            a["outcomes"][outcome] += n
    return out


def month_label(month: int | None) -> str | None:
    return None if month is None else f"{month // 100:04d}-{month % 100:02d}"


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 1)


def clearing_times(count: int, p50: float | None, p90: float | None) -> dict[str, Any]:
    """One agency's time to clear: how many removals, median and 90th percentile in minutes (0.1 min)."""
    return {"count": count, "p50_minutes": _round(p50), "p90_minutes": _round(p90)}


def summary_document(folded: Folded, clearing: dict[str, dict[str, Any]], filters: Filters) -> dict[str, Any]:
    species_ref = default_species().by_code
    agencies = default_agencies().by_code

    def species_item(code: str, n: int) -> dict[str, Any]:
        ref = species_ref.get(code)
        return {"species": code, "name_en": ref.name_en if ref else code, "name_ko": ref.name_ko if ref else code,
                "scientific_name": ref.scientific_name if ref else None,
                "protected": ref.protected if ref else False, "count": n}

    def agency_item(code: str, a: dict[str, Any]) -> dict[str, Any]:
        ref = agencies.get(code)
        return {"agency": code, "name_en": ref.name_en if ref else code, "name_ko": ref.name_ko if ref else code,
                "count": a["count"], "closed": a["closed"], "outcomes": dict(sorted(a["outcomes"].items())),
                "time_to_clear": clearing.get(code, NO_TIMES)}

    return {
        "filters": filters.as_dict(),
        "total": folded.total,
        "by_species": [species_item(k, v) for k, v in sorted(folded.by_species.items(),
                                                            key=lambda kv: (-kv[1], kv[0]))],
        "by_month": [{"month": month_label(k), "count": v}
                     for k, v in sorted(folded.by_month.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))],
        "by_road_class": [{"road_class": k, "count": v}
                          for k, v in sorted(folded.by_class.items(), key=lambda kv: (-kv[1], kv[0]))],
        "by_agency": [agency_item(k, v) for k, v in sorted(folded.by_agency.items(),
                                                          key=lambda kv: (-kv[1]["count"], kv[0]))],
        "notes": {
            "duplicates": "incidents closed as duplicate (the same carcass as another incident) are not counted",
            "species": "the species the road crew confirmed, else the one the driver reported",
            "month": "month of the first report, Korean time (UTC+9)",
            "time_to_clear": "first report → cleared_at of incidents closed as removed; median and 90th percentile "
                             "in minutes (exact, percentile_cont)",
        },
    }


def rank_positions(n: int, q: float) -> tuple[float, int, int]:
    """percentile_cont's position (n - 1)·q and the two ranks it interpolates between."""
    pos = (n - 1) * q
    lo = math.floor(pos)
    return pos, lo, min(lo + 1, n - 1)


def histogram_percentile(buckets: Iterable[tuple[int, int]], q: float, width: float = 1.0) -> float | None:
    """percentile_cont(q) of values given as (bucket index, count), bucket b holding [b·width, (b+1)·width).

    The k values of a bucket are taken as evenly spread inside it (at (i + 0.5) / k of the width), then
    ranks are interpolated linearly exactly as percentile_cont does: the error is below one bucket width.
    """
    items = sorted(buckets)
    n = sum(k for _, k in items)
    if n == 0:
        return None

    def value_at(rank: int) -> float:
        seen = 0
        for b, k in items:
            if rank < seen + k:
                return (b + (rank - seen + 0.5) / k) * width
            seen += k
        b, _k = items[-1]
        return (b + 1) * width

    pos, lo, hi = rank_positions(n, q)
    v = value_at(lo)
    return v if pos == lo else v + (value_at(hi) - v) * (pos - lo)


def segment_totals(rows: Iterable[tuple[Any, Any, int]], network: RoadNetwork,
                   segment_m: float) -> tuple[dict[hotspots.SegmentKey, int], int]:
    """(road_id, segment index, count) rows → ({(road_id, segment): count}, count on unknown roads)."""
    counts: dict[hotspots.SegmentKey, int] = defaultdict(int)
    unmapped = 0
    for road_id, i, n in rows:
        road = network.roads.get(road_id)
        if road is None or i is None:
            unmapped += n
            continue
        last = hotspots.segments_on_road(road.length_m, segment_m) - 1
        counts[(road_id, min(max(0, int(i)), last))] += n  # the short last piece belongs to the last segment
    return {k: v for k, v in counts.items() if v > 0}, unmapped


def malo_document(network: RoadNetwork, counts: dict[hotspots.SegmentKey, int], unmapped: int, *, segment_m: float,
                  confidence: float, filters: Filters, all_segments: bool) -> dict[str, Any]:
    """Malo et al. (2004) hotspots as a GeoJSON FeatureCollection (LineString per segment)."""
    segments = hotspots.segments_per_road(network, segment_m)
    result = hotspots.malo_hotspots(counts, segments, segment_m=segment_m, confidence=confidence)
    features = hotspots.hotspot_features(network, result)
    for f in features:
        f["properties"]["hotspot"] = True
    if all_segments:
        flagged = {(h.road_id, h.index) for h in result.hotspots}
        for road_id in sorted(segments):
            road = network.roads[road_id]
            for i in range(segments[road_id]):
                if (road_id, i) in flagged:
                    continue
                start = i * segment_m
                features.append({
                    "type": "Feature",
                    "geometry": {"type": "LineString",
                                 "coordinates": hotspots.segment_geometry(road, i, segment_m)},
                    "properties": {"rank": None, "road_id": road.id, "road_name": road.name,
                                   "road_name_ko": road.name_ko, "road_class": road.road_class, "segment_index": i,
                                   "start_m": round(start, 1), "end_m": round(min(start + segment_m, road.length_m), 1),
                                   "count": counts.get((road_id, i), 0), "mean": round(result.mean, 4),
                                   "upper_limit": result.upper_limit, "confidence": result.confidence,
                                   "method": "malo", "approximate_geometry": road.approximate, "hotspot": False}})
    return {
        "type": "FeatureCollection",
        "features": features,
        # Foreign members (RFC 7946 §6.1): the test's parameters, so the map legend can explain it.
        "method": "malo",
        "segment_m": segment_m,
        "confidence": confidence,
        "total_segments": result.total_segments,
        "total_count": result.total_count,
        "mean": round(result.mean, 4),
        "upper_limit": result.upper_limit,
        "hotspot_count": len(result.hotspots),
        "unmapped_count": unmapped,
        "filters": filters.as_dict(),
        "network": {"version": network.version, "approximate": True, "source": network.source},
        "explanation": (f"A {segment_m:g} m road segment is a hotspot when its count exceeds {result.upper_limit}, the "
                        f"upper {confidence:.0%} limit of a Poisson distribution with the mean count per segment "
                        f"({result.mean:.3f}) over all {result.total_segments} mapped segments, empty ones included."),
    }
