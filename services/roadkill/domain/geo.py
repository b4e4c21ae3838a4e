"""Small pure-Python geometry helpers for roads and areas: distances, projections, polylines, polygons."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from shared.problems import field_problem

# Coordinates inside sequences are always in GeoJSON order: (lon, lat). Scalar arguments are
# always named `lat=` / `lon=` so the two orders cannot be confused at a call site.
LonLat = tuple[float, float]
Ring = Sequence[LonLat]
Polygon = Sequence[Ring]  # outer ring first, then holes (GeoJSON Polygon coordinates)

# Mean Earth radius (IUGG); the same constant is used everywhere so distances compare exactly.
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEG_LAT = math.pi * EARTH_RADIUS_M / 180.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def initial_bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Compass bearing (0 = north, 90 = east) from the first point towards the second."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def bearing_difference_deg(a: float, b: float) -> float:
    """Smallest angle between two compass bearings, in [0, 180]."""
    d = abs(a - b) % 360.0
    return 360.0 - d if d > 180.0 else d


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """Equirectangular projection around (lat0, lon0) in metres.

    Accurate to well under 0.1 % over a few tens of kilometres, which is all a snap radius or a
    polygon test needs, and far cheaper than a true map projection.
    """

    lat0: float
    lon0: float

    @property
    def _kx(self) -> float:
        return METRES_PER_DEG_LAT * math.cos(math.radians(self.lat0))

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        return ((lon - self.lon0) * self._kx, (lat - self.lat0) * METRES_PER_DEG_LAT)

    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        return (self.lat0 + y / METRES_PER_DEG_LAT, self.lon0 + x / self._kx)


def project_on_segment(
    px: float, py: float, ax: float, ay: float, bx: float, by: float
) -> tuple[float, float]:
    """Project P on segment AB (planar): returns (t in [0, 1], distance from P to the foot)."""
    dx, dy = bx - ax, by - ay
    den = dx * dx + dy * dy
    t = 0.0 if den == 0.0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / den))
    fx, fy = ax + t * dx, ay + t * dy
    return t, math.hypot(px - fx, py - fy)


def cumulative_lengths_m(coords: Sequence[LonLat]) -> tuple[float, ...]:
    """Distance along the polyline (haversine) at each vertex; first is 0."""
    out = [0.0]
    for (lon1, lat1), (lon2, lat2) in zip(coords, coords[1:], strict=False):
        out.append(out[-1] + haversine_m(lat1, lon1, lat2, lon2))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PolylineHit:
    """Where a point meets a polyline: the closest segment, distance and position along the line."""

    segment_index: int
    t: float  # fraction along the segment
    distance_m: float
    measure_m: float  # distance from the first vertex along the line
    bearing_deg: float  # bearing of the segment in the digitised direction
    lat: float  # the snapped point
    lon: float


def segment_hit(
    coords: Sequence[LonLat], cum_m: Sequence[float], index: int, *, lat: float, lon: float
) -> PolylineHit:
    """Project a point on segment `index` of a polyline (coords[index] → coords[index + 1])."""
    (lon1, lat1), (lon2, lat2) = coords[index], coords[index + 1]
    # Project around the query point so its own coordinates are (0, 0) and distortion is least.
    proj = LocalProjection(lat, lon)
    ax, ay = proj.to_xy(lat1, lon1)
    bx, by = proj.to_xy(lat2, lon2)
    t, dist = project_on_segment(0.0, 0.0, ax, ay, bx, by)
    seg_len = cum_m[index + 1] - cum_m[index]
    slat, slon = proj.to_latlon(ax + t * (bx - ax), ay + t * (by - ay))
    return PolylineHit(
        segment_index=index,
        t=t,
        distance_m=dist,
        measure_m=cum_m[index] + t * seg_len,
        bearing_deg=initial_bearing_deg(lat1, lon1, lat2, lon2),
        lat=slat,
        lon=slon,
    )


def nearest_on_polyline(
    coords: Sequence[LonLat], *, lat: float, lon: float, cum_m: Sequence[float] | None = None
) -> PolylineHit:
    """Closest point of a polyline to (lat, lon), scanning every segment (use an index for many)."""
    if len(coords) < 2:
        raise ValueError("a polyline needs at least two vertices")
    cum = cum_m if cum_m is not None else cumulative_lengths_m(coords)
    best: PolylineHit | None = None
    for i in range(len(coords) - 1):
        hit = segment_hit(coords, cum, i, lat=lat, lon=lon)
        if best is None or hit.distance_m < best.distance_m:
            best = hit
    assert best is not None
    return best


def point_at_measure(coords: Sequence[LonLat], cum_m: Sequence[float], measure_m: float) -> LonLat:
    """The (lon, lat) at a distance along the polyline, clamped to its ends."""
    m = max(0.0, min(measure_m, cum_m[-1]))
    # Linear scan is fine: roads have at most a few hundred vertices.
    for i in range(len(coords) - 1):
        if cum_m[i + 1] >= m:
            seg = cum_m[i + 1] - cum_m[i]
            t = 0.0 if seg == 0.0 else (m - cum_m[i]) / seg
            (lon1, lat1), (lon2, lat2) = coords[i], coords[i + 1]
            return (lon1 + t * (lon2 - lon1), lat1 + t * (lat2 - lat1))
    return coords[-1]


def cut_polyline(
    coords: Sequence[LonLat], cum_m: Sequence[float], start_m: float, end_m: float
) -> list[LonLat]:
    """The part of a polyline between two measures, with interpolated end points."""
    start_m, end_m = max(0.0, start_m), min(end_m, cum_m[-1])
    if end_m < start_m:
        raise ValueError(f"end measure {end_m} is before start measure {start_m}")
    out = [point_at_measure(coords, cum_m, start_m)]
    out.extend(coords[i] for i in range(len(coords)) if start_m < cum_m[i] < end_m)
    out.append(point_at_measure(coords, cum_m, end_m))
    return out


def point_in_ring(lon: float, lat: float, ring: Ring) -> bool:
    """Crossing-number test (ring may be open or closed).

    Each edge's crossing is computed from its endpoints in a canonical order, so two polygons that
    share an edge give complementary answers for points on it: a tiling stays a tiling.
    """
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i - 1]
        x2, y2 = ring[i]
        if (y1 > lat) == (y2 > lat):
            continue
        if (y1, x1) > (y2, x2):
            x1, y1, x2, y2 = x2, y2, x1, y1
        if lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def point_in_polygon(lon: float, lat: float, polygon: Polygon) -> bool:
    """Inside the outer ring and in none of the holes."""
    if not polygon or not point_in_ring(lon, lat, polygon[0]):
        return False
    return not any(point_in_ring(lon, lat, hole) for hole in polygon[1:])


def point_in_multipolygon(lon: float, lat: float, polygons: Sequence[Polygon]) -> bool:
    return any(point_in_polygon(lon, lat, p) for p in polygons)


def bbox_of(points: Sequence[LonLat]) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat)."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def ring_area_m2(ring: Ring) -> float:
    """Signed planar area (positive = counter-clockwise) in a projection local to the ring."""
    if len(ring) < 3:
        return 0.0
    proj = LocalProjection(ring[0][1], ring[0][0])
    pts = [proj.to_xy(lat, lon) for lon, lat in ring]
    return 0.5 * sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True))


def longitude_span_deg(lat: float, radius_m: float) -> float:
    """Half-width in degrees of longitude of all points within `radius_m` of a point at `lat`.

    Exact for a sphere: the widest point of a small circle is at sin(dλ) = sin(r/R) / cos(φ).
    """
    s = math.sin(min(radius_m / EARTH_RADIUS_M, math.pi / 2))
    c = math.cos(math.radians(lat))
    if s >= c:
        return 180.0
    return math.degrees(math.asin(s / c))


BBox = tuple[float, float, float, float]


def parse_bbox(value: str | None) -> BBox | None:
    """`min_lon,min_lat,max_lon,max_lat` (the GeoJSON/OGC order) or a 422 naming `bbox`."""
    if value is None:
        return None
    parts = value.split(",")
    try:
        nums = tuple(float(p) for p in parts)
    except ValueError:
        nums = ()
    if len(nums) != 4 or not all(math.isfinite(n) for n in nums):
        raise field_problem("bbox", "must be four numbers min_lon,min_lat,max_lon,max_lat, e.g. "
                                    "126.1,35.9,127.7,37.1")
    x0, y0, x1, y1 = nums
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise field_problem("bbox", "needs -180 ≤ min_lon < max_lon ≤ 180 and -90 ≤ min_lat < max_lat ≤ 90")
    return x0, y0, x1, y1
