"""Decide whether a new report is the same carcass as an open incident (grid-cell lookup + merge rules)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.roadkill.domain import geo

# Cells are laid out with a fixed longitude scale (at Chungnam's mid-latitude) so a cell key never
# depends on the query; the neighbour search below corrects for the real scale at each latitude.
REFERENCE_LAT = 36.5
_COL_OFFSET = 50_000_000  # keeps column numbers positive inside the packed integer key
_ROW_FACTOR = 100_000_000
MIN_CELL_M = 10.0


@dataclass(frozen=True, slots=True)
class DedupParams:
    """Merge thresholds. 250 m is FixMyStreet's duplicate radius; 6 h covers a carcass that lies until a
    crew clears it while keeping yesterday's reports apart; 90° separates the two directions of travel."""

    distance_m: float = 250.0
    window: timedelta = timedelta(hours=6)
    heading_tolerance_deg: float = 90.0
    cell_m: float = 250.0

    def __post_init__(self) -> None:
        if not (self.distance_m > 0 and math.isfinite(self.distance_m)):
            raise ValueError(f"distance_m must be a positive number, got {self.distance_m!r}")
        if self.window <= timedelta(0):
            raise ValueError(f"window must be positive, got {self.window!r}")
        if not 0 <= self.heading_tolerance_deg <= 180:
            raise ValueError(f"heading_tolerance_deg must be in [0, 180], got {self.heading_tolerance_deg!r}")
        if not (self.cell_m >= MIN_CELL_M and math.isfinite(self.cell_m)):
            raise ValueError(f"cell_m must be at least {MIN_CELL_M} m, got {self.cell_m!r}")


@dataclass(frozen=True, slots=True)
class IncidentView:
    """What dedup needs to know about an existing incident (a DB row maps onto this)."""

    id: str
    road_id: str | None
    lat: float
    lon: float
    carriageway: str | None  # "forward" | "backward" | None
    heading_deg: float | None
    is_open: bool
    last_reported_at: datetime  # timezone-aware; the window runs from the latest merged report


@dataclass(frozen=True, slots=True)
class ReportView:
    """A routed report: position, road and direction as decided by routing.decide_jurisdiction."""

    road_id: str | None
    divided: bool
    lat: float
    lon: float
    carriageway: str | None
    heading_deg: float | None
    reported_at: datetime  # timezone-aware


def _row_col(lat: float, lon: float, cell_m: float) -> tuple[int, int]:
    dlat = cell_m / geo.METRES_PER_DEG_LAT
    dlon = cell_m / (geo.METRES_PER_DEG_LAT * math.cos(math.radians(REFERENCE_LAT)))
    return math.floor(lat / dlat), math.floor(lon / dlon)


def _pack(row: int, col: int) -> int:
    return row * _ROW_FACTOR + (col + _COL_OFFSET)


def cell_key(lat: float, lon: float, cell_m: float = DedupParams.cell_m) -> int:
    """Integer key of the grid cell holding a point; store it in an indexed column of the incident."""
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 85.0 or abs(lon) > 180.0:
        raise ValueError(
            f"cell_key needs a finite position with |lat| <= 85 and |lon| <= 180, got {lat}, {lon}"
        )
    if not cell_m >= MIN_CELL_M:
        raise ValueError(f"cell_m must be at least {MIN_CELL_M} m, got {cell_m!r}")
    return _pack(*_row_col(lat, lon, cell_m))


def neighbour_cells(lat: float, lon: float, radius_m: float, cell_m: float = DedupParams.cell_m) -> list[int]:
    """Keys of every cell that may hold a point within `radius_m` (great-circle) of (lat, lon).

    The caller queries `cell IN (...)` with these, so a lookup reads a handful of cells, never every
    incident. The bounds are exact on the sphere, so no point within the radius is missed.
    """
    cell_key(lat, lon, cell_m)  # validates
    if not (radius_m >= 0 and math.isfinite(radius_m)):
        raise ValueError(f"radius_m must be a non-negative number, got {radius_m!r}")
    # Points within r have |Δlat| <= r/R; pad by a hair so rounding at a cell edge cannot drop one.
    dlat = radius_m / geo.METRES_PER_DEG_LAT * (1 + 1e-9) + 1e-12
    lat0, lat1 = max(-85.0, lat - dlat), min(85.0, lat + dlat)
    # The small circle is widest in longitude at sin(Δλ) = sin(r/R) / cos(φ): exact, not an estimate.
    dlon = geo.longitude_span_deg(lat, radius_m) * (1 + 1e-9) + 1e-12
    r0, c0 = _row_col(lat0, lon - dlon, cell_m)
    r1, c1 = _row_col(lat1, lon + dlon, cell_m)
    return [_pack(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]


def _same_direction(existing: IncidentView, report: ReportView, params: DedupParams) -> tuple[bool, str]:
    if existing.carriageway and report.carriageway:
        if existing.carriageway == report.carriageway:
            return True, f"same carriageway ({report.carriageway})"
        return False, "opposite carriageway of a divided road: a different carcass"
    if existing.heading_deg is not None and report.heading_deg is not None:
        diff = geo.bearing_difference_deg(existing.heading_deg, report.heading_deg)
        if diff <= params.heading_tolerance_deg:
            return True, f"headings differ by {diff:.0f}° (≤ {params.heading_tolerance_deg:.0f}°)"
        return False, f"headings differ by {diff:.0f}°: opposite directions of a divided road"
    # Unknown direction on a divided road: a second dispatch costs a trip, a wrong merge leaves a
    # carcass on the road, so keep them apart.
    return False, "direction unknown on a divided road; kept separate so no carcass is missed"


def same_carcass(
    existing: IncidentView, report: ReportView, params: DedupParams | None = None
) -> tuple[bool, str]:
    """Is `report` about the carcass of `existing`? Returns (decision, a reason a person can read).

    Species is deliberately not compared: drivers passing at speed name the same carcass differently.
    """
    params = params or DedupParams()
    if not existing.is_open:
        return False, "incident is closed"
    if existing.road_id != report.road_id:
        return (
            False,
            f"different road ({existing.road_id or 'off-network'} vs {report.road_id or 'off-network'})",
        )
    age = report.reported_at - existing.last_reported_at
    if abs(age) > params.window:
        return (
            False,
            f"{abs(age).total_seconds() / 3600:.1f} h apart (window {params.window.total_seconds() / 3600:g} h)",
        )
    distance = geo.haversine_m(existing.lat, existing.lon, report.lat, report.lon)
    if distance > params.distance_m:
        return False, f"{distance:.0f} m apart (limit {params.distance_m:.0f} m)"
    where = f"{distance:.0f} m apart on the same road within {params.window.total_seconds() / 3600:g} h"
    if not report.divided or report.road_id is None:
        return True, f"{where}; undivided road, direction does not matter"
    ok, why = _same_direction(existing, report, params)
    return ok, f"{where}; {why}"


def best_candidate(
    candidates: Iterable[IncidentView], report: ReportView, params: DedupParams | None = None
) -> tuple[IncidentView | None, str]:
    """The nearest incident that is the same carcass (ties: most recently reported), with the reason."""
    params = params or DedupParams()
    best: tuple[float, float, IncidentView, str] | None = None
    for inc in candidates:
        ok, why = same_carcass(inc, report, params)
        if not ok:
            continue
        key = (geo.haversine_m(inc.lat, inc.lon, report.lat, report.lon), -inc.last_reported_at.timestamp())
        if best is None or key < best[:2]:
            best = (*key, inc, why)
    if best is None:
        return None, "no open incident matches; a new incident is created"
    return best[2], best[3]
