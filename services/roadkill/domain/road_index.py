"""The road network in memory: roads and the spatial index behind nearest-road lookups, with the areas
(`areas.AreaIndex`) beside them (loaded from GeoJSON by `network`)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from services.roadkill.domain import geo
from services.roadkill.domain.areas import AreaIndex, NetworkDataError

__all__ = ["ROAD_CLASSES", "NetworkDataError", "Road", "RoadHit", "RoadNetwork", "SegmentGrid"]

ROAD_CLASSES = ("expressway", "national", "provincial", "local")


@dataclass(frozen=True, slots=True)
class Road:
    id: str
    name: str
    name_ko: str
    road_class: str  # one of ROAD_CLASSES
    route_no: str | None
    divided: bool  # divided carriageway: the two directions are separate incidents
    approximate: bool
    source: str
    coords: tuple[geo.LonLat, ...]  # digitised direction defines "forward"
    cum_m: tuple[float, ...] = field(repr=False)  # distance along the line at each vertex

    @property
    def length_m(self) -> float:
        return self.cum_m[-1]


@dataclass(frozen=True, slots=True)
class RoadHit:
    """A road near a point: the closest point of that road and how far it is."""

    road: Road
    hit: geo.PolylineHit

    @property
    def distance_m(self) -> float:
        return self.hit.distance_m


class SegmentGrid:
    """Grid buckets of road segments, so a nearest-road query touches only nearby segments."""

    def __init__(self, roads: Sequence[Road], cell_m: float = 1000.0) -> None:
        lats = [lat for r in roads for _, lat in r.coords] or [0.0]
        ref_lat = (min(lats) + max(lats)) / 2
        self.dlat = cell_m / geo.METRES_PER_DEG_LAT
        self.dlon = cell_m / (geo.METRES_PER_DEG_LAT * math.cos(math.radians(ref_lat)))
        self.buckets: dict[tuple[int, int], list[tuple[Road, int]]] = {}
        for road in roads:
            for i in range(len(road.coords) - 1):
                (x1, y1), (x2, y2) = road.coords[i], road.coords[i + 1]
                for key in self._keys(min(y1, y2), min(x1, x2), max(y1, y2), max(x1, x2)):
                    self.buckets.setdefault(key, []).append((road, i))

    def _keys(self, lat0: float, lon0: float, lat1: float, lon1: float) -> Iterator[tuple[int, int]]:
        for r in range(math.floor(lat0 / self.dlat), math.floor(lat1 / self.dlat) + 1):
            for c in range(math.floor(lon0 / self.dlon), math.floor(lon1 / self.dlon) + 1):
                yield (r, c)

    def candidates(self, *, lat: float, lon: float, radius_m: float) -> set[tuple[Road, int]]:
        # 1 % margin: segment distances are measured in a local projection, not on the sphere.
        r = radius_m * 1.01
        dlat = r / geo.METRES_PER_DEG_LAT
        dlon = geo.longitude_span_deg(lat, r)
        out: set[tuple[Road, int]] = set()
        for key in self._keys(lat - dlat, lon - dlon, lat + dlat, lon + dlon):
            out.update(self.buckets.get(key, ()))
        return out


class RoadNetwork:
    """Roads with a spatial index plus the area index; immutable after loading."""

    def __init__(
        self, roads: Sequence[Road], areas: AreaIndex, *, version: str = "", source: str = ""
    ) -> None:
        self.roads: dict[str, Road] = {r.id: r for r in roads}
        self.areas = areas
        self.version = version
        self.source = source
        self._grid = SegmentGrid(roads)

    def road(self, road_id: str) -> Road:
        try:
            return self.roads[road_id]
        except KeyError:
            raise KeyError(f"unknown road id {road_id!r}") from None

    def nearest_roads(self, *, lat: float, lon: float, radius_m: float) -> list[RoadHit]:
        """Every road with a point within `radius_m`, nearest first, one hit (its closest point) per road."""
        best: dict[str, RoadHit] = {}
        for road, i in self._grid.candidates(lat=lat, lon=lon, radius_m=radius_m):
            hit = geo.segment_hit(road.coords, road.cum_m, i, lat=lat, lon=lon)
            if hit.distance_m <= radius_m:
                prev = best.get(road.id)
                if prev is None or hit.distance_m < prev.distance_m:
                    best[road.id] = RoadHit(road, hit)
        return sorted(best.values(), key=lambda h: (h.distance_m, h.road.id))
