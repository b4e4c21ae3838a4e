"""Build the boundary and road GeoJSON shipped with the roadkill and peaks services.

Run from the repository root:

    python -m tools.geodata SOURCE_DIR

SOURCE_DIR holds Statistics Korea's census administrative boundaries, base year 2018 (통계청 SGIS
통계지역경계, collected 2018-12-24, published as TopoJSON by the open southkorea/southkorea-maps project,
folder kostat/2018), decoded to GeoJSON FeatureCollections in WGS84 ([lon, lat]) whose features carry the
KOSTAT census `code`, `name` (Korean) and `name_eng`:

    chungnam-municipalities.geojson       Chungnam's si/gun (codes 34…, Cheonan as its two gu 34011 and
                                          34012), Daejeon's five gu (25…) and Sejong (29010)
    chungnam-submunicipalities.geojson    Chungnam's eup (읍), myeon (면) and dong (동): si/gun code + 2 digits
    yeongnam-alps-municipalities.geojson  Ulju-gun 26310, Gyeongju-si 37020, Cheongdo-gun 37360,
                                          Miryang-si 38080, Yangsan-si 38100

Licence of the boundaries: Korea Open Government License Type 1 (free use, change and redistribution with
attribution); the written files carry ATTRIBUTION in their metadata and features.

What is done to them: invalid rings (quantisation self-intersections) are repaired, the eup/myeon/dong
and the two enclaves are cleaned into one gap- and overlap-free coverage and simplified together
(shared borders stay shared) with a tolerance of TOLERANCE_DEG, coordinates are rounded to GRID_DEG;
municipalities are the union of their eup/myeon/dong and the province the union of its municipalities,
so the areas tile the province exactly. The road network (tools/geodata_sketch.py) stays an approximate
hand-drawn sketch; `check` refuses to write it unless every vertex lies in the province and outside
Daejeon and Sejong.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, mapping, shape

from services.roadkill.domain.geo import LocalProjection
from services.roadkill.domain.reference import DATA_DIR
from tools.geodata_sketch import ENCLAVES, MUNICIPALITIES, ROADS, YEONGNAM_ALPS

PEAKS_DATA_DIR = DATA_DIR.parent.parent / "peaks" / "data"
ATTRIBUTION = ("Statistics Korea (통계청), SGIS census administrative boundaries 2018; Korea Open Government "
               "License Type 1 (공공누리 제1유형)")
SOURCE = "Statistics Korea (KOSTAT) census boundaries 2018"
TOLERANCE_DEG = 0.0003  # about 30 m: the source is quantised to about 5-7 m
PEAKS_TOLERANCE_DEG = 0.0005  # about 50 m: the peaks map only draws the five areas
GRID_DEG = 1e-5  # coordinates rounded to 5 decimals (about 1 m)
GAP_DEG = 0.0002  # slivers narrower than this between neighbouring areas are closed by the cleaning
VERSION = "2018-census"
ROADS_SOURCE = ("hand-drawn approximation through the towns each road serves (tools/geodata_sketch.py), kept "
                "inside the Statistics Korea 2018 province outline")
PROJ = LocalProjection(36.5, 126.9)
KIND_OF_SUFFIX = {"동": "dong", "읍": "eup", "면": "myeon"}


# --------------------------------------------------------------------------- reading the census files


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a repaired geometry (quantisation left a few self-intersecting rings)."""
    fixed = shapely.make_valid(geom)
    parts = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def read(src: Path, name: str) -> list[tuple[dict[str, Any], shapely.Geometry]]:
    doc = json.loads((src / name).read_text(encoding="utf-8"))
    return [(f["properties"], polygonal(shape(f["geometry"]))) for f in doc["features"]]


def romanised(name_eng: str, kind: str) -> str:
    """'Mokcheoneup' → 'Mokcheon-eup' (the published romanisation sometimes drops the hyphen)."""
    name = name_eng.strip()
    if not name.lower().endswith("-" + kind) and name.lower().endswith(kind):
        name = name[: -len(kind)] + "-" + kind
    name = re.sub(r"\s*(\d+)\s*\([a-z]+\)", r" \1", name)  # 'Buseong 2(i)-dong' → 'Buseong 2-dong'
    name = re.sub(r"\s+", " ", re.sub(r"(?<=[a-z])(?=\d)", " ", name))  # 'Daecheon1-dong' → 'Daecheon 1-dong'
    return name[0].upper() + name[1:]


def coverage(geoms: list[shapely.Geometry], tolerance: float) -> list[shapely.Geometry]:
    """Clean and simplify neighbouring areas together, so borders stay shared; RFC 7946 orientation."""
    cleaned = shapely.coverage_clean(geoms, gap_width=GAP_DEG)
    simplified = shapely.coverage_simplify(cleaned, tolerance)
    gridded = shapely.set_precision(simplified, GRID_DEG)
    out = [shapely.orient_polygons(polygonal(g), exterior_cw=False) for g in gridded]
    if not shapely.coverage_is_valid(out):
        raise SystemExit("the simplified areas overlap or their shared borders do not match")
    return out


# --------------------------------------------------------------------------- building the features


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def feature(props: dict[str, Any], geom: shapely.Geometry) -> dict[str, Any]:
    g = mapping(geom)
    return {"type": "Feature", "properties": props,
            "geometry": {"type": g["type"], "coordinates": _rounded(g["coordinates"])}}


def build_areas(src: Path) -> dict[str, Any]:
    """Province, municipalities, their eup/myeon/dong and the Daejeon and Sejong enclaves."""
    districts = [(p, g) for p, g in read(src, "chungnam-submunicipalities.geojson")]
    enclave_parts = [(p, g) for p, g in read(src, "chungnam-municipalities.geojson")
                     if p["code"][:2] in {prefix for _, _, prefix in ENCLAVES.values()}]
    geoms = coverage([g for _, g in districts] + [g for _, g in enclave_parts], TOLERANCE_DEG)
    district_geoms, enclave_geoms = geoms[: len(districts)], geoms[len(districts):]
    owner = {k: code for code, m in MUNICIPALITIES.items() for k in m[3]}
    by_municipality: dict[str, list[shapely.Geometry]] = {code: [] for code in MUNICIPALITIES}
    district_features = []
    for (p, _), g in zip(districts, district_geoms, strict=True):
        municipality = owner[p["code"][:5]]
        kind = KIND_OF_SUFFIX[p["name"][-1]]
        if kind == "dong" and MUNICIPALITIES[municipality][2] != "city":
            raise SystemExit(f"{p['code']} {p['name']}: a dong outside a city")
        by_municipality[municipality].append(g)
        district_features.append(feature({
            "code": p["code"], "name": romanised(p["name_eng"], kind), "name_ko": p["name"], "kind": kind,
            "municipality": municipality, "kostat_code": p["code"], "source": SOURCE}, g))
    features = []
    municipal_geoms = {code: shapely.coverage_union_all(gs) for code, gs in by_municipality.items()}
    province = shapely.coverage_union_all(list(municipal_geoms.values()))
    features.append(feature({"code": "chungnam", "name": "Chungcheongnam-do", "name_ko": "충청남도",
                             "kind": "province", "kostat_code": "34", "source": SOURCE}, province))
    for code, (name, name_ko, kind, kostat, (lat, lon)) in MUNICIPALITIES.items():
        features.append(feature({"code": code, "name": name, "name_ko": name_ko, "kind": kind,
                                 "kostat_code": "+".join(kostat), "seat": [lon, lat], "source": SOURCE},
                                municipal_geoms[code]))
    features.extend(district_features)
    for code, (name, name_ko, prefix) in ENCLAVES.items():
        parts = [g for (p, _), g in zip(enclave_parts, enclave_geoms, strict=True) if p["code"][:2] == prefix]
        features.append(feature({"code": code, "name": name, "name_ko": name_ko, "kind": "enclave",
                                 "kostat_code": prefix, "source": SOURCE}, shapely.coverage_union_all(parts)))
    return {"type": "FeatureCollection", "name": "chungnam-areas-kostat-2018",
            "metadata": {"version": VERSION, "approximate": False, "source": SOURCE, "attribution": ATTRIBUTION,
                         "licence": "Korea Open Government License Type 1 (KOGL-Type1)",
                         "changes": f"repaired, cleaned and simplified together with a tolerance of "
                                    f"{TOLERANCE_DEG}° (about 30 m); coordinates rounded to {GRID_DEG}°; "
                                    "municipalities and province are unions of the eup/myeon/dong",
                         "crs": "EPSG:4326 (lon, lat)"},
            "features": features}


def build_peaks_areas(src: Path) -> dict[str, Any]:
    """The five Yeongnam Alps local governments, for the peaks map."""
    rows = read(src, "yeongnam-alps-municipalities.geojson")
    geoms = coverage([g for _, g in rows], PEAKS_TOLERANCE_DEG)
    features = [feature({"code": YEONGNAM_ALPS[p["code"]], "name_ko": p["name"], "kostat_code": p["code"],
                         "source": SOURCE}, g) for (p, _), g in zip(rows, geoms, strict=True)]
    return {"type": "FeatureCollection", "name": "yeongnam-alps-municipalities-kostat-2018",
            "metadata": {"version": VERSION, "source": SOURCE, "attribution": ATTRIBUTION,
                         "licence": "Korea Open Government License Type 1 (KOGL-Type1)",
                         "changes": f"repaired and simplified together with a tolerance of {PEAKS_TOLERANCE_DEG}° "
                                    f"(about 50 m); coordinates rounded to {GRID_DEG}°",
                         "crs": "EPSG:4326 (lon, lat)"},
            "features": sorted(features, key=lambda f: f["properties"]["code"])}


def densify(waypoints: list[tuple[float, float]], step_km: float = 3.0) -> list[tuple[float, float]]:
    """(lon, lat) vertices every ~step_km with a gentle alternating bend so legs do not look ruled."""
    out: list[tuple[float, float]] = []
    for leg, ((lat1, lon1), (lat2, lon2)) in enumerate(zip(waypoints, waypoints[1:], strict=False)):
        x1, y1 = PROJ.to_xy(lat1, lon1)
        x2, y2 = PROJ.to_xy(lat2, lon2)
        length = math.hypot(x2 - x1, y2 - y1)
        n = max(1, round(length / (step_km * 1000)))
        nx, ny = (-(y2 - y1) / length, (x2 - x1) / length) if length else (0.0, 0.0)
        amp = min(0.03 * length, 300.0) * (1 if leg % 2 == 0 else -1)
        for i in range(n):
            t = i / n
            off = amp * math.sin(math.pi * t)
            lat, lon = PROJ.to_latlon(x1 + t * (x2 - x1) + off * nx, y1 + t * (y2 - y1) + off * ny)
            out.append((round(lon, 6), round(lat, 6)))
    out.append((round(waypoints[-1][1], 6), round(waypoints[-1][0], 6)))
    return out


def build_roads() -> dict[str, Any]:
    features = [
        {"type": "Feature",
         "properties": {"id": rid, "name": name, "name_ko": name_ko, "road_class": cls, "route_no": no,
                        "divided": div, "approximate": True, "source": ROADS_SOURCE},
         "geometry": {"type": "LineString", "coordinates": [list(p) for p in densify(wps)]}}
        for rid, name, name_ko, cls, no, div, wps in ROADS
    ]
    note = ("APPROXIMATE data for demonstration and training, not official: road alignments and route numbers "
            "were hand-drawn through the towns each road serves and kept inside the province's census outline. "
            "Replace this file with official road data in the same format (GeoJSON, same properties) to "
            "deploy; no code change is needed.")
    return {"type": "FeatureCollection", "name": "chungnam-roads-approximate",
            "metadata": {"version": "2026-12-03", "approximate": True, "source": ROADS_SOURCE, "note": note,
                         "crs": "EPSG:4326 (lon, lat)"},
            "features": features}


# --------------------------------------------------------------------------- checks


def check(roads: dict[str, Any], areas: dict[str, Any]) -> None:
    """Refuse to write data that breaks what the service relies on."""
    geoms = {f["properties"]["code"]: shape(f["geometry"]) for f in areas["features"]}
    kinds = {f["properties"]["code"]: f["properties"] for f in areas["features"]}
    province = geoms["chungnam"]
    enclaves = shapely.union_all([geoms[c] for c in ENCLAVES])
    shapely.prepare(province)
    shapely.prepare(enclaves)
    for f in roads["features"]:
        rid = f["properties"]["id"]
        for lon, lat in f["geometry"]["coordinates"]:
            if not shapely.intersects_xy(province, lon, lat) or shapely.intersects_xy(enclaves, lon, lat):
                raise SystemExit(f"road {rid} leaves the province at {lat}, {lon}")
        if LineString(f["geometry"]["coordinates"]).crosses(enclaves):
            raise SystemExit(f"road {rid} crosses Daejeon or Sejong")
    for code, m in MUNICIPALITIES.items():
        lat, lon = m[4]
        owners = [c for c in MUNICIPALITIES if shapely.intersects_xy(geoms[c], lon, lat)]
        if owners != [code]:
            raise SystemExit(f"hall of {code} falls in {owners}")
    if not shapely.coverage_is_valid([geoms[c] for c in MUNICIPALITIES]):
        raise SystemExit("municipal areas overlap")
    for code, props in kinds.items():
        parent = props.get("municipality")
        if parent and geoms[code].difference(geoms[parent]).area > 1e-9:
            raise SystemExit(f"{code} ({props['name']}) leaves {parent}")


def write(path: Path, doc: dict[str, Any]) -> None:
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    # One feature per line keeps diffs of the shipped files readable.
    text = text.replace('{"type":"Feature"', '\n{"type":"Feature"')
    path.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(doc['features'])} features, {path.stat().st_size / 1e6:.2f} MB)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.geodata", description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="folder with the 2018 census boundaries as GeoJSON")
    args = parser.parse_args(argv)
    roads, areas = build_roads(), build_areas(args.source)
    check(roads, areas)
    write(DATA_DIR / "roads.geojson", roads)
    write(DATA_DIR / "areas.geojson", areas)
    write(PEAKS_DATA_DIR / "municipalities.geojson", build_peaks_areas(args.source))


if __name__ == "__main__":
    main()
