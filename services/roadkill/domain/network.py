"""Load the road network and the census areas (GeoJSON) into indexes for nearest-road and area lookups."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from services.roadkill.domain import geo
from services.roadkill.domain.areas import (
    AREA_KINDS,
    DISTRICT_KINDS,
    MUNICIPAL_KINDS,
    Area,
    AreaIndex,
    NetworkDataError,
)
from services.roadkill.domain.reference import DATA_DIR, read_json
from services.roadkill.domain.road_index import ROAD_CLASSES, Road, RoadNetwork

DEFAULT_ROADS = DATA_DIR / "roads.geojson"
DEFAULT_AREAS = DATA_DIR / "areas.geojson"


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


def _plain_ring(raw: list[Any]) -> tuple[geo.LonLat, ...] | None:
    """The ring when it is plain numbers in range (checked by numpy at once: the census areas hold 50,000
    positions), else None and `_ring` checks each position to name the one at fault."""
    try:
        arr = np.asarray(raw)
    except ValueError:
        return None
    if arr.ndim != 2 or arr.shape[1] < 2 or arr.dtype.kind not in "if":
        return None
    xy = arr[:, :2].astype(np.float64)
    if not (np.isfinite(xy).all() and (np.abs(xy[:, 0]) <= 180.0).all() and (np.abs(xy[:, 1]) <= 90.0).all()):
        return None
    return tuple(map(tuple, xy.tolist()))


def _ring(raw: Any, where: str) -> tuple[geo.LonLat, ...]:
    if not isinstance(raw, list) or len(raw) < 4:
        raise NetworkDataError(f"{where}: a linear ring needs at least 4 positions")
    ring = _plain_ring(raw) or tuple(_position(p, f"{where}[{i}]") for i, p in enumerate(raw))
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


def _load_areas(doc: dict[str, Any], path: Path) -> list[Area]:
    areas: list[Area] = []
    for where, props, geom in _features(doc, path):
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
        municipality = props.get("municipality")
        if kind in DISTRICT_KINDS and not isinstance(municipality, str):
            raise NetworkDataError(f"{where}.properties.municipality: a {kind} must name its city or county code")
        seat = _position(props["seat"], f"{where}.properties.seat") if props.get("seat") is not None else None
        try:
            areas.append(Area.of(
                code=code,
                name=_prop(props, "name", str, where),
                name_ko=_prop(props, "name_ko", str, where, code),
                kind=kind,
                municipality=municipality if kind in DISTRICT_KINDS else None,
                seat=seat,
                polygons=polys,
                approximate=_prop(props, "approximate", bool, where, False),
                source=_prop(props, "source", str, where, str(path)),
            ))
        except NetworkDataError as exc:
            raise NetworkDataError(f"{where}.geometry: {exc}") from None
    codes = [a.code for a in areas if a.kind in MUNICIPAL_KINDS]
    if not codes:
        raise NetworkDataError(f"{path}: no city or county areas")
    if len(set(codes)) != len(codes):
        raise NetworkDataError(f"{path}: duplicate municipality codes")
    kinds = {a.code: a.kind for a in areas}
    for a in areas:
        if a.kind in DISTRICT_KINDS and kinds.get(a.municipality or "") not in MUNICIPAL_KINDS:
            raise NetworkDataError(
                f"{path}: {a.kind} {a.code!r} names {a.municipality!r}, which is not a city or county area"
            )
        if a.kind == "dong" and kinds[a.municipality or ""] != "city":
            raise NetworkDataError(f"{path}: dong {a.code!r} is in {a.municipality!r}, which is not a city")
    return areas


def load_network(roads_path: Path | None = None, areas_path: Path | None = None) -> RoadNetwork:
    """Load and validate the road and area GeoJSON files (default: the shipped files, data/README.md)."""
    roads_path = Path(roads_path or DEFAULT_ROADS)
    doc = read_json(roads_path)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    areas_path = Path(areas_path or DEFAULT_AREAS)
    areas_doc = read_json(areas_path)
    areas_meta = areas_doc.get("metadata") if isinstance(areas_doc.get("metadata"), dict) else {}
    return RoadNetwork(
        _load_roads(doc, roads_path),
        AreaIndex(_load_areas(areas_doc, areas_path), attribution=str(areas_meta.get("attribution", ""))),
        version=str(meta.get("version", "")),
        source=str(meta.get("source", roads_path)),
    )


@lru_cache(maxsize=1)
def default_network() -> RoadNetwork:
    """The shipped network, loaded once per process (loading parses and indexes every segment)."""
    return load_network()
