"""Load the road network and municipal areas (GeoJSON) into indexes for nearest-road and area lookups."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from services.roadkill import geo
from services.roadkill.reference import DATA_DIR, ReferenceDataError, read_json

ROAD_CLASSES = ("expressway", "national", "provincial", "local")
MUNICIPAL_KINDS = frozenset({"city", "county"})
AREA_KINDS = frozenset({"province", "urban"}) | MUNICIPAL_KINDS
DEFAULT_ROADS = DATA_DIR / "roads.geojson"
DEFAULT_AREAS = DATA_DIR / "areas.geojson"


class NetworkDataError(ReferenceDataError):
    """The roads or areas GeoJSON is malformed; the message names the file, feature and field."""


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
class Area:
    code: str
    name: str
    name_ko: str
    kind: str  # province | city | county | urban
    city: str | None  # owning city code for urban areas
    seat: geo.LonLat | None  # city/county hall, used only as a fallback on boundary slivers
    polygons: tuple[tuple[tuple[geo.LonLat, ...], ...], ...]  # MultiPolygon coordinates
    bbox: tuple[float, float, float, float]
    approximate: bool
    source: str

    def contains(self, *, lat: float, lon: float) -> bool:
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        return geo.point_in_multipolygon(lon, lat, self.polygons)


@dataclass(frozen=True, slots=True)
class RoadHit:
    """A road near a point: the closest point of that road and how far it is."""

    road: Road
    hit: geo.PolylineHit

    @property
    def distance_m(self) -> float:
        return self.hit.distance_m


class AreaIndex:
    """Which municipality / urban district contains a point, and whether it is in the province."""

    def __init__(self, areas: Sequence[Area]) -> None:
        provinces = [a for a in areas if a.kind == "province"]
        if len(provinces) != 1:
            raise NetworkDataError(
                f"areas: expected exactly one feature of kind 'province', found {len(provinces)}"
            )
        self.province: Area = provinces[0]
        self.municipalities: tuple[Area, ...] = tuple(a for a in areas if a.kind in MUNICIPAL_KINDS)
        self.urban: tuple[Area, ...] = tuple(a for a in areas if a.kind == "urban")
        self.by_code: dict[str, Area] = {a.code: a for a in areas}

    def in_province(self, *, lat: float, lon: float) -> bool:
        return self.province.contains(lat=lat, lon=lon)

    def municipality_at(self, *, lat: float, lon: float) -> Area | None:
        """The city or county whose area contains the point (areas tile the province)."""
        return next((a for a in self.municipalities if a.contains(lat=lat, lon=lon)), None)

    def nearest_seat(self, *, lat: float, lon: float) -> Area:
        """The municipality whose hall is nearest: a fallback for points on a boundary sliver."""
        return min(
            (a for a in self.municipalities if a.seat is not None),
            key=lambda a: geo.haversine_m(lat, lon, a.seat[1], a.seat[0]),  # type: ignore[index]
        )

    def urban_area_at(self, *, lat: float, lon: float) -> Area | None:
        """The urban (dong) district containing the point, if any; its `city` owns those road sections."""
        return next((a for a in self.urban if a.contains(lat=lat, lon=lon)), None)


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


# --------------------------------------------------------------------------- loading and validation


def _position(raw: Any, where: str) -> geo.LonLat:
    if (
        not isinstance(raw, list | tuple)
        or len(raw) < 2
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in raw[:2]
        )
    ):
        raise NetworkDataError(f"{where}: expected a position [lon, lat] of finite numbers, got {raw!r}")
    lon, lat = float(raw[0]), float(raw[1])
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise NetworkDataError(f"{where}: position {raw!r} is out of range (GeoJSON order is [lon, lat])")
    return (lon, lat)


def _ring(raw: Any, where: str) -> tuple[geo.LonLat, ...]:
    if not isinstance(raw, list) or len(raw) < 4:
        raise NetworkDataError(f"{where}: a linear ring needs at least 4 positions")
    ring = tuple(_position(p, f"{where}[{i}]") for i, p in enumerate(raw))
    if ring[0] != ring[-1]:
        raise NetworkDataError(f"{where}: a linear ring must end where it starts")
    return ring


def _polygon(raw: Any, where: str) -> tuple[tuple[geo.LonLat, ...], ...]:
    if not isinstance(raw, list) or not raw:
        raise NetworkDataError(f"{where}: a polygon needs an outer ring")
    return tuple(_ring(r, f"{where}[{j}]") for j, r in enumerate(raw))


def _features(doc: dict[str, Any], path: Path) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise NetworkDataError(f"{path}: expected a GeoJSON FeatureCollection with a `features` list")
    out = []
    for i, f in enumerate(doc["features"]):
        where = f"{path}: features[{i}]"
        if (
            not isinstance(f, dict)
            or not isinstance(f.get("properties"), dict)
            or not isinstance(f.get("geometry"), dict)
        ):
            raise NetworkDataError(f"{where}: expected a Feature with `properties` and `geometry` objects")
        out.append((where, f["properties"], f["geometry"]))
    return out


def _prop(
    props: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = ...
) -> Any:
    if key not in props and default is not ...:
        return default
    value = props.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise NetworkDataError(f"{where}.properties.{key}: expected {kind}, got {value!r}")
    return value


def _load_roads(doc: dict[str, Any], path: Path) -> list[Road]:
    roads: list[Road] = []
    seen: set[str] = set()
    for where, props, geom in _features(doc, path):
        rid = _prop(props, "id", str, where)
        where = f"{where} ({rid})"
        if rid in seen:
            raise NetworkDataError(f"{where}: duplicate road id")
        seen.add(rid)
        road_class = _prop(props, "road_class", str, where)
        if road_class not in ROAD_CLASSES:
            raise NetworkDataError(
                f"{where}.properties.road_class: {road_class!r} is not one of {ROAD_CLASSES}"
            )
        if geom.get("type") != "LineString" or not isinstance(geom.get("coordinates"), list):
            raise NetworkDataError(f"{where}.geometry: expected a LineString")
        coords = tuple(
            _position(p, f"{where}.geometry.coordinates[{i}]") for i, p in enumerate(geom["coordinates"])
        )
        if len(coords) < 2:
            raise NetworkDataError(f"{where}.geometry: a LineString needs at least two positions")
        route_no = props.get("route_no")
        if route_no is not None and not isinstance(route_no, str):
            raise NetworkDataError(
                f"{where}.properties.route_no: expected a string or null, got {route_no!r}"
            )
        cum = geo.cumulative_lengths_m(coords)
        if cum[-1] <= 0.0:
            raise NetworkDataError(f"{where}.geometry: the line has zero length")
        roads.append(
            Road(
                id=rid,
                name=_prop(props, "name", str, where),
                name_ko=_prop(props, "name_ko", str, where, rid),
                road_class=road_class,
                route_no=route_no,
                divided=_prop(props, "divided", bool, where),
                approximate=_prop(props, "approximate", bool, where, False),
                source=_prop(props, "source", str, where, str(path)),
                coords=coords,
                cum_m=cum,
            )
        )
    if not roads:
        raise NetworkDataError(f"{path}: no roads")
    return roads


def _load_areas(path: Path) -> list[Area]:
    areas: list[Area] = []
    for where, props, geom in _features(read_json(path), path):
        code = _prop(props, "code", str, where)
        where = f"{where} ({code})"
        kind = _prop(props, "kind", str, where)
        if kind not in AREA_KINDS:
            raise NetworkDataError(f"{where}.properties.kind: {kind!r} is not one of {sorted(AREA_KINDS)}")
        gtype, raw = geom.get("type"), geom.get("coordinates")
        if gtype == "Polygon" and isinstance(raw, list):
            raw_polys = [raw]
        elif gtype == "MultiPolygon" and isinstance(raw, list):
            raw_polys = raw
        else:
            raise NetworkDataError(f"{where}.geometry: expected a Polygon or MultiPolygon")
        polys = tuple(_polygon(p, f"{where}.geometry.coordinates[{i}]") for i, p in enumerate(raw_polys))
        if not polys:
            raise NetworkDataError(f"{where}.geometry: empty MultiPolygon")
        city = props.get("city")
        if kind == "urban" and not isinstance(city, str):
            raise NetworkDataError(f"{where}.properties.city: an urban area must name its city code")
        seat = _position(props["seat"], f"{where}.properties.seat") if props.get("seat") is not None else None
        areas.append(
            Area(
                code=code,
                name=_prop(props, "name", str, where),
                name_ko=_prop(props, "name_ko", str, where, code),
                kind=kind,
                city=city if kind == "urban" else None,
                seat=seat,
                polygons=polys,
                bbox=geo.bbox_of([pt for p in polys for pt in p[0]]),
                approximate=_prop(props, "approximate", bool, where, False),
                source=_prop(props, "source", str, where, str(path)),
            )
        )
    codes = [a.code for a in areas if a.kind in MUNICIPAL_KINDS]
    if not codes:
        raise NetworkDataError(f"{path}: no city or county areas")
    if len(set(codes)) != len(codes):
        raise NetworkDataError(f"{path}: duplicate municipality codes")
    kinds = {a.code: a.kind for a in areas}
    for a in areas:
        if a.kind == "urban" and kinds.get(a.city or "") != "city":
            raise NetworkDataError(
                f"{path}: urban area {a.code!r} names {a.city!r}, which is not a city area"
            )
    return areas


def load_network(roads_path: Path | None = None, areas_path: Path | None = None) -> RoadNetwork:
    """Load and validate the road and area GeoJSON files (default: the shipped approximate data)."""
    roads_path = Path(roads_path or DEFAULT_ROADS)
    doc = read_json(roads_path)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    return RoadNetwork(
        _load_roads(doc, roads_path),
        AreaIndex(_load_areas(Path(areas_path or DEFAULT_AREAS))),
        version=str(meta.get("version", "")),
        source=str(meta.get("source", roads_path)),
    )


@lru_cache(maxsize=1)
def default_network() -> RoadNetwork:
    """The shipped network, loaded once per process (loading parses and indexes every segment)."""
    return load_network()
