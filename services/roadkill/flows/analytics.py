"""Prevention data for the Ministry of Environment: the queries behind the summary, time to clear and
Malo hotspots (the documents are built by `domain.prevention`).

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

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Integer, and_, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from services.roadkill.domain import hotspots, prevention
from services.roadkill.domain.prevention import DUPLICATE, REMOVED, Filters
from services.roadkill.domain.road_index import RoadNetwork
from services.roadkill.models import incident
from services.roadkill.parts import RoadkillPlatform


def clauses(filters: Filters) -> list[ColumnElement]:
    c = incident.c
    out: list[ColumnElement] = []
    if filters.since is not None:
        out.append(c.first_reported_at >= filters.since)
    if filters.until is not None:
        out.append(c.first_reported_at < filters.until)
    if filters.species is not None:
        # The crew's confirmed species where there is one, else what the driver reported.
        out.append(func.coalesce(c.species_confirmed, c.species) == filters.species)
    return out


def _not_duplicate() -> ColumnElement:
    return or_(incident.c.outcome.is_(None), incident.c.outcome != DUPLICATE)


def _unordered(col: ColumnElement) -> ColumnElement:
    """The same value as an expression, so SQLite's planner cannot pick an index merely to avoid the
    GROUP BY sort (it would then fetch every row through that index: ten times slower than a scan)."""
    return col.concat("") if col.type.python_type is str else col + 0


# --------------------------------------------------------------------------- summary


def summary(platform: RoadkillPlatform, filters: Filters = Filters()) -> dict[str, Any]:
    """Counts by species, month, road class and agency with each agency's time to clear."""
    c = incident.c
    # GROUP BY in ix_incident_summary's column order: an index-only scan whose groups arrive in order.
    # Duplicates and the confirmed-else-reported species are folded in Python, from a few thousand groups.
    keys = (c.outcome, c.agency, c.road_class, c.species_confirmed, c.species, c.report_month)
    with platform.db.read_session() as s:
        grouped = s.execute(select(*keys, func.count(), func.count(c.clear_minutes))
                            .where(*clauses(filters)).group_by(*keys)).all()
        folded = prevention.fold(grouped)
        clearing = time_to_clear_in(s, filters, counts=folded.timed)
    return prevention.summary_document(folded, clearing, filters)


def time_to_clear(platform: RoadkillPlatform, filters: Filters = Filters()) -> dict[str, dict[str, Any]]:
    """{agency: {count, p50_minutes, p90_minutes}} over incidents closed as removed."""
    with platform.db.read_session() as s:
        return time_to_clear_in(s, filters)


def time_to_clear_in(session: Session, filters: Filters = Filters(),
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
    where = [c.outcome == REMOVED, minutes.is_not(None), *clauses(filters)]
    if filters.species is not None and session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            select(c.agency, func.count(), func.percentile_cont(0.5).within_group(minutes),
                   func.percentile_cont(0.9).within_group(minutes))
            .where(*where).group_by(c.agency)).all()
        return {a: prevention.clearing_times(n, p50, p90) for a, n, p50, p90 in rows}
    if counts is None:
        counts = dict(session.execute(select(c.agency, func.count()).where(*where).group_by(c.agency)).all())
    out = {}
    for agency, n in sorted(counts.items()):
        if n <= 0:
            continue

        def at(q: float, agency: str = agency, n: int = n) -> float:
            pos, lo, hi = prevention.rank_positions(n, q)
            ranked = select(minutes).where(*where, c.agency == agency).limit(hi - lo + 1)
            if q <= 0.5:
                values = session.execute(ranked.order_by(minutes).offset(lo)).scalars().all()
            else:
                values = session.execute(ranked.order_by(minutes.desc()).offset(n - 1 - hi)).scalars().all()[::-1]
            return values[0] + (values[-1] - values[0]) * (pos - lo)

        out[agency] = prevention.clearing_times(n, at(0.5), at(0.9))
    return out


# --------------------------------------------------------------------------- Malo hotspots


def _segment_counts(session: Session, network: RoadNetwork, segment_m: float = hotspots.DEFAULT_SEGMENT_M,
                   filters: Filters = Filters()) -> tuple[dict[hotspots.SegmentKey, int], int]:
    """({(road_id, segment): count} on mapped roads, incidents on roads the network no longer has)."""
    c = incident.c
    rows: list[tuple[Any, Any, int]]
    if segment_m == hotspots.DEFAULT_SEGMENT_M and not filters.any:
        # The stored 500 m segment: all incidents from the (road_id, segment_no) index, minus the
        # duplicates from the (outcome, …) index; neither query touches the table rows.
        on_road = c.road_id.is_not(None)
        rows = [tuple(r) for r in session.execute(
            select(c.road_id, c.segment_no, func.count()).where(on_road).group_by(c.road_id, c.segment_no))]
        road, seg = _unordered(c.road_id).label("road_id"), _unordered(c.segment_no).label("seg")
        rows += [(r, i, -n) for r, i, n in session.execute(
            select(road, seg, func.count()).where(c.outcome == DUPLICATE, on_road).group_by(road, seg))]
    else:
        where = [c.road_id.is_not(None), _not_duplicate(), *clauses(filters)]
        if segment_m == hotspots.DEFAULT_SEGMENT_M:
            index: ColumnElement = c.segment_no
        else:
            index = cast(func.floor(c.measure_m / segment_m), Integer)
            where.append(c.measure_m.is_not(None))
        idx, road = index.label("idx"), _unordered(c.road_id).label("road_id")
        rows = [tuple(r) for r in session.execute(
            select(road, idx, func.count()).where(and_(*where)).group_by(road, idx))]
    return prevention.segment_totals(rows, network, segment_m)


def malo(platform: RoadkillPlatform, *, segment_m: float = hotspots.DEFAULT_SEGMENT_M, confidence: float = 0.95,
         filters: Filters = Filters(), all_segments: bool = False) -> dict[str, Any]:
    """Malo et al. (2004) hotspots on the platform's road network as a GeoJSON FeatureCollection."""
    network = platform.parts.network
    with platform.db.read_session() as s:
        counts, unmapped = _segment_counts(s, network, segment_m, filters)
    return prevention.malo_document(network, counts, unmapped, segment_m=segment_m, confidence=confidence,
                                    filters=filters, all_segments=all_segments)
