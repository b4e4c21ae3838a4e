"""Prevention data for the Ministry of Environment: summary counts, time to clear, Malo hotspots.

Everything is computed by the database with GROUP BY aggregates; Python only sees the grouped rows
(a few thousand at most), never the incidents themselves:

- `summary`: ONE grouped index-only scan of `ix_incident_summary` (outcome × agency × road class ×
  confirmed and reported species × month), in the index's column order so SQLite streams the groups
  without sorting, folded into the four breakdowns in Python; then time to clear per agency from
  ix_incident_outcome_analytics. Both read plain columns written once per incident — `report_month`
  (YYYYMM, Korean time, set at intake) and `clear_minutes` (set when closed) — so no date arithmetic
  runs per row. The median and 90th percentile are exact, with percentile_cont's definition, on both
  databases: the grouped scan also counts each agency's timed removals, and the values at the ranks
  percentile_cont interpolates between are read from the index, which holds them in order (no sort,
  no second scan).
- `malo`: per-segment counts. At the standard 500 m the stored `segment_no` is grouped through the
  (road_id, segment_no) index; any other length groups `measure_m / segment_m`. Segments with no
  incident count as zeros for the Poisson mean (hotspots.segments_per_road).

Incidents closed as `duplicate` are the same carcass as another incident: they are left out of every
count here and of the Darwin Core export. Months are Korean time (UTC+9).
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from services.roadkill import hotspots
from services.roadkill.models import incident
from services.roadkill.network import RoadNetwork
from services.roadkill.reference import default_agencies, default_species

DUPLICATE = "duplicate"
REMOVED = "removed"
KST = timedelta(hours=9)  # Korea has kept UTC+9 all year since 1988


@dataclass(frozen=True, slots=True)
class Filters:
    since: datetime | None = None  # first reported at or after
    until: datetime | None = None  # first reported before
    species: str | None = None  # confirmed species where confirmed, else reported

    def clauses(self) -> list[ColumnElement]:
        c = incident.c
        out: list[ColumnElement] = []
        if self.since is not None:
            out.append(c.first_reported_at >= self.since)
        if self.until is not None:
            out.append(c.first_reported_at < self.until)
        if self.species is not None:
            out.append(species_expr() == self.species)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None, "species": self.species}


def species_expr() -> ColumnElement:
    """The crew's confirmed species where there is one, else what the driver reported."""
    return func.coalesce(incident.c.species_confirmed, incident.c.species)


def _not_duplicate() -> ColumnElement:
    return or_(incident.c.outcome.is_(None), incident.c.outcome != DUPLICATE)


def report_month(first_reported_at: datetime) -> int:
    """`incident.report_month`: the month of the first report in Korean time, as YYYYMM."""
    local = first_reported_at.astimezone(UTC) + KST
    return local.year * 100 + local.month


def clear_minutes(first_reported_at: datetime, cleared_at: datetime | None) -> float | None:
    """`incident.clear_minutes`: first report → cleared_at in minutes (exact), None while open."""
    return None if cleared_at is None else (cleared_at - first_reported_at).total_seconds() / 60.0


def _month_label(month: int | None) -> str | None:
    return None if month is None else f"{month // 100:04d}-{month % 100:02d}"


def _unordered(col: ColumnElement) -> ColumnElement:
    """The same value as an expression, so SQLite's planner cannot pick an index merely to avoid the
    GROUP BY sort (it would then fetch every row through that index: ten times slower than a scan)."""
    return col.concat("") if col.type.python_type is str else col + 0


# --------------------------------------------------------------------------- summary


def summary(session: Session, filters: Filters = Filters()) -> dict[str, Any]:
    c = incident.c
    # GROUP BY in ix_incident_summary's column order: an index-only scan whose groups arrive in order.
    # Duplicates and the confirmed-else-reported species are folded here, from a few thousand groups.
    keys = (c.outcome, c.agency, c.road_class, c.species_confirmed, c.species, c.report_month)
    grouped = session.execute(select(*keys, func.count(), func.count(c.clear_minutes))
                              .where(*filters.clauses()).group_by(*keys)).all()

    by_species: dict[str, int] = defaultdict(int)
    by_month: dict[int | None, int] = defaultdict(int)
    by_class: dict[str, int] = defaultdict(int)
    by_agency: dict[str, dict[str, Any]] = {}
    timed: dict[str, int] = defaultdict(int)  # removed with a time to clear, per agency
    total = 0
    for outcome, agency, road_class, confirmed, reported, mon, n, n_timed in grouped:
        if outcome == DUPLICATE:
            continue
        if outcome == REMOVED:
            timed[agency] += n_timed
        total += n
        by_species[confirmed or reported] += n
        by_month[mon] += n
        by_class[road_class] += n
        a = by_agency.setdefault(agency, {"count": 0, "closed": 0, "outcomes": defaultdict(int)})
        a["count"] += n
        if outcome is not None:
            a["closed"] += n
            a["outcomes"][outcome] += n

    clearing = time_to_clear(session, filters, counts=timed)
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
                "time_to_clear": clearing.get(code, {"count": 0, "p50_minutes": None, "p90_minutes": None})}

    return {
        "filters": filters.as_dict(),
        "total": total,
        "by_species": [species_item(k, v) for k, v in sorted(by_species.items(), key=lambda kv: (-kv[1], kv[0]))],
        "by_month": [{"month": _month_label(k), "count": v}
                     for k, v in sorted(by_month.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))],
        "by_road_class": [{"road_class": k, "count": v}
                          for k, v in sorted(by_class.items(), key=lambda kv: (-kv[1], kv[0]))],
        "by_agency": [agency_item(k, v) for k, v in sorted(by_agency.items(), key=lambda kv: (-kv[1]["count"], kv[0]))],
        "notes": {
            "duplicates": "incidents closed as duplicate (the same carcass as another incident) are not counted",
            "species": "the species the road crew confirmed, else the one the driver reported",
            "month": "month of the first report, Korean time (UTC+9)",
            "time_to_clear": "first report → cleared_at of incidents closed as removed; median and 90th percentile "
                             "in minutes (exact, percentile_cont)",
        },
    }


def time_to_clear(session: Session, filters: Filters = Filters(),
                  counts: Mapping[str, int] | None = None) -> dict[str, dict[str, Any]]:
    """{agency: {count, p50_minutes, p90_minutes}} over incidents closed as removed.

    Exact percentile_cont values read at their ranks: `counts` ({agency: removed incidents with a time
    to clear}, as the summary's grouped scan already has them) or one count per agency, then the one or
    two values at each rank from ix_incident_outcome_analytics, which holds clear_minutes in order per
    agency — from the nearer end, so the p90 walks a tenth of an agency's range and nothing is sorted.
    PostgreSQL with a species filter (not in that index) computes percentile_cont over a scan instead.
    """
    c = incident.c
    minutes = c.clear_minutes
    where = [c.outcome == REMOVED, minutes.is_not(None), *filters.clauses()]
    if filters.species is not None and session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            select(c.agency, func.count(), func.percentile_cont(0.5).within_group(minutes),
                   func.percentile_cont(0.9).within_group(minutes))
            .where(*where).group_by(c.agency)).all()
        return {a: {"count": n, "p50_minutes": _round(p50), "p90_minutes": _round(p90)} for a, n, p50, p90 in rows}
    if counts is None:
        counts = dict(session.execute(select(c.agency, func.count()).where(*where).group_by(c.agency)).all())
    out = {}
    for agency, n in sorted(counts.items()):
        if n <= 0:
            continue

        def at(q: float, agency: str = agency, n: int = n) -> float:
            pos = (n - 1) * q
            lo = math.floor(pos)
            hi = min(lo + 1, n - 1)
            ranked = select(minutes).where(*where, c.agency == agency).limit(hi - lo + 1)
            if q <= 0.5:
                values = session.execute(ranked.order_by(minutes).offset(lo)).scalars().all()
            else:
                values = session.execute(ranked.order_by(minutes.desc()).offset(n - 1 - hi)).scalars().all()[::-1]
            return values[0] + (values[-1] - values[0]) * (pos - lo)

        out[agency] = {"count": n, "p50_minutes": _round(at(0.5)), "p90_minutes": _round(at(0.9))}
    return out


def histogram_percentile(buckets: Iterable[tuple[int, int]], q: float, width: float = 1.0) -> float | None:
    """percentile_cont(q) of values given as (bucket index, count), bucket b holding [b·width, (b+1)·width).

    The k values of a bucket are taken as evenly spread inside it (at (i + 0.5) / k of the width), then
    ranks are interpolated linearly exactly as percentile_cont does: the error is below one bucket width.
    """
    items = sorted(buckets)
    n = sum(k for _, k in items)
    if n == 0:
        return None
    pos = (n - 1) * q

    def value_at(rank: int) -> float:
        seen = 0
        for b, k in items:
            if rank < seen + k:
                return (b + (rank - seen + 0.5) / k) * width
            seen += k
        b, _k = items[-1]
        return (b + 1) * width

    lo = math.floor(pos)
    frac = pos - lo
    v = value_at(lo)
    return v if frac == 0 else v + (value_at(min(lo + 1, n - 1)) - v) * frac


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 1)


# --------------------------------------------------------------------------- Malo hotspots


def segment_counts(session: Session, network: RoadNetwork, segment_m: float = hotspots.DEFAULT_SEGMENT_M,
                   filters: Filters = Filters()) -> tuple[dict[hotspots.SegmentKey, int], int]:
    """({(road_id, segment): count} on mapped roads, incidents on roads the network no longer has)."""
    c = incident.c
    rows: list[tuple[Any, Any, int]]
    if segment_m == hotspots.DEFAULT_SEGMENT_M and not filters.clauses():
        # The stored 500 m segment: all incidents from the (road_id, segment_no) index, minus the
        # duplicates from the (outcome, …) index; neither query touches the table rows.
        on_road = c.road_id.is_not(None)
        rows = [tuple(r) for r in session.execute(
            select(c.road_id, c.segment_no, func.count()).where(on_road).group_by(c.road_id, c.segment_no))]
        road, seg = _unordered(c.road_id).label("road_id"), _unordered(c.segment_no).label("seg")
        rows += [(r, i, -n) for r, i, n in session.execute(
            select(road, seg, func.count()).where(c.outcome == DUPLICATE, on_road).group_by(road, seg))]
    else:
        where = [c.road_id.is_not(None), _not_duplicate(), *filters.clauses()]
        if segment_m == hotspots.DEFAULT_SEGMENT_M:
            index: ColumnElement = c.segment_no
        else:
            index = cast(func.floor(c.measure_m / segment_m), Integer)
            where.append(c.measure_m.is_not(None))
        idx, road = index.label("idx"), _unordered(c.road_id).label("road_id")
        rows = [tuple(r) for r in session.execute(
            select(road, idx, func.count()).where(and_(*where)).group_by(road, idx))]
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


def malo(session: Session, network: RoadNetwork, *, segment_m: float = hotspots.DEFAULT_SEGMENT_M,
         confidence: float = 0.95, filters: Filters = Filters(), all_segments: bool = False) -> dict[str, Any]:
    """Malo et al. (2004) hotspots as a GeoJSON FeatureCollection (LineString per segment)."""
    counts, unmapped = segment_counts(session, network, segment_m, filters)
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
