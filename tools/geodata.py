"""Regenerate the approximate Chungnam roads.geojson and areas.geojson shipped with the roadkill service.

Run: `python -m tools.geodata` from the repository root (the hand-drawn input: tools/geodata_sketch.py).

Nothing here is official data. The province outline, the municipal "seed" points and the road
waypoints were drawn by hand from the city/county hall coordinates in the case brief and general
knowledge of where towns and roads are. Municipal areas are a power diagram (weighted Voronoi)
around several seeds per municipality, clipped to the outline and merged per municipality, so
they tile the province exactly. A deployment replaces the two GeoJSON files with official data
(e.g. the national road and administrative-boundary datasets) without changing code.
"""

from __future__ import annotations

import json
import math
import random

from services.roadkill.domain.geo import LocalProjection, point_in_polygon, point_in_ring, ring_area_m2
from services.roadkill.domain.reference import DATA_DIR
from tools.geodata_sketch import MUNICIPALITIES, OUTLINE, ROADS, URBAN

# The provenance the shipped files carry (named when this was build_geodata.py; kept so they regenerate
# byte for byte).
SOURCE = "hand-drawn approximation from city/county hall coordinates and general knowledge (build_geodata.py)"
PROJ = LocalProjection(36.5, 126.9)


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


def clip(poly: list[tuple[float, float]], a: float, b: float, c: float) -> list[tuple[float, float]]:
    """Sutherland–Hodgman: keep the part of a planar polygon where a*x + b*y <= c."""
    out: list[tuple[float, float]] = []
    for i, cur in enumerate(poly):
        prev = poly[i - 1]
        fc, fp = a * cur[0] + b * cur[1] - c, a * prev[0] + b * prev[1] - c
        if (fc <= 0) != (fp <= 0):
            t = fp / (fp - fc)
            out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
        if fc <= 0:
            out.append(cur)
    return out


def municipal_rings() -> dict[str, list[tuple[float, float]]]:
    """Power-diagram cells of every seed, clipped to the outline and merged per municipality."""
    seeds = [(code, PROJ.to_xy(*pt)) for code, m in MUNICIPALITIES.items() for pt in [m[3], *m[4]]]
    outline_xy = [PROJ.to_xy(lat, lon) for lon, lat in OUTLINE]
    edges: dict[str, list[tuple[tuple[float, float], tuple[float, float]]]] = {c: [] for c in MUNICIPALITIES}
    for i, (code, (sx, sy)) in enumerate(seeds):
        cell = outline_xy
        for j, (_, (tx, ty)) in enumerate(seeds):
            if i != j:
                # |p - s|^2 <= |p - t|^2  <=>  2 p·(t - s) <= |t|^2 - |s|^2
                cell = clip(cell, 2 * (tx - sx), 2 * (ty - sy), tx * tx + ty * ty - sx * sx - sy * sy)
        pts = [tuple(round(v, 6) for v in PROJ.to_latlon(x, y))[::-1] for x, y in cell]
        pts = [p for k, p in enumerate(pts) if p != pts[k - 1]]
        edges[code].extend((pts[k - 1], pts[k]) for k in range(len(pts)))
    # Edges shared by two cells of the same municipality appear once in each direction: drop both.
    rings: dict[str, list[tuple[float, float]]] = {}
    for code, es in edges.items():
        es_set = set(es)
        keep = [e for e in es if (e[1], e[0]) not in es_set]
        nxt = {a: b for a, b in keep}
        if len(nxt) != len(keep):
            raise SystemExit(f"{code}: merged boundary is not a simple ring")
        start = keep[0][0]
        ring, p = [start], nxt[start]
        while p != start:
            ring.append(p)
            p = nxt[p]
        if len(ring) != len(keep):
            raise SystemExit(f"{code}: merged boundary splits into several rings")
        rings[code] = ring
    return rings


def circle(lat: float, lon: float, radius_km: float, n: int = 16) -> list[tuple[float, float]]:
    proj = LocalProjection(lat, lon)
    pts = []
    for k in range(n):
        a = 2 * math.pi * k / n
        plat, plon = proj.to_latlon(radius_km * 1000 * math.cos(a), radius_km * 1000 * 0.8 * math.sin(a))
        pts.append((round(plon, 6), round(plat, 6)))
    return pts


def closed(ring: list[tuple[float, float]]) -> list[list[float]]:
    ccw = ring if ring_area_m2(ring) > 0 else ring[::-1]  # RFC 7946: exterior rings counter-clockwise
    return [list(p) for p in [*ccw, ccw[0]]]


def build() -> tuple[dict, dict]:
    outline = [(lon, lat) for lon, lat in OUTLINE]
    rings = municipal_rings()
    area_features = [
        {
            "type": "Feature",
            "properties": {
                "code": "chungnam",
                "name": "Chungcheongnam-do",
                "name_ko": "충청남도",
                "kind": "province",
                "approximate": True,
                "source": SOURCE,
            },
            "geometry": {"type": "Polygon", "coordinates": [closed(outline)]},
        }
    ]
    for code, (name, name_ko, kind, hall, _) in MUNICIPALITIES.items():
        area_features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": name,
                    "name_ko": name_ko,
                    "kind": kind,
                    "seat": [hall[1], hall[0]],
                    "approximate": True,
                    "source": SOURCE,
                },
                "geometry": {"type": "Polygon", "coordinates": [closed(rings[code])]},
            }
        )
    for city, name, name_ko, (lat, lon), r in URBAN:
        area_features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": f"{city}-urban",
                    "city": city,
                    "name": name,
                    "name_ko": name_ko,
                    "kind": "urban",
                    "approximate": True,
                    "source": SOURCE,
                },
                "geometry": {"type": "Polygon", "coordinates": [closed(circle(lat, lon, r))]},
            }
        )
    road_features = [
        {
            "type": "Feature",
            "properties": {
                "id": rid,
                "name": name,
                "name_ko": name_ko,
                "road_class": cls,
                "route_no": no,
                "divided": div,
                "approximate": True,
                "source": SOURCE,
            },
            "geometry": {"type": "LineString", "coordinates": [list(p) for p in densify(wps)]},
        }
        for rid, name, name_ko, cls, no, div, wps in ROADS
    ]
    note = (
        "APPROXIMATE data for demonstration and training, not official: {what} were hand-drawn from "
        "city/county hall coordinates and general knowledge. Replace this file with official data in the "
        "same format (GeoJSON, same properties) to deploy; no code change is needed."
    )
    meta = {"version": "2026-11-29", "approximate": True, "source": SOURCE, "crs": "EPSG:4326 (lon, lat)"}
    roads = {
        "type": "FeatureCollection",
        "name": "chungnam-roads-approximate",
        "metadata": {**meta, "note": note.format(what="road alignments and route numbers")},
        "features": road_features,
    }
    areas = {
        "type": "FeatureCollection",
        "name": "chungnam-areas-approximate",
        "metadata": {**meta, "note": note.format(what="the province outline and municipal areas")},
        "features": area_features,
    }
    return roads, areas


def check(roads: dict, areas: dict) -> None:
    """Refuse to write data that breaks what the service relies on."""
    by_code = {f["properties"]["code"]: f["geometry"]["coordinates"] for f in areas["features"]}
    outline = by_code["chungnam"]
    for f in roads["features"]:
        for lon, lat in f["geometry"]["coordinates"]:
            if not point_in_polygon(lon, lat, outline):
                raise SystemExit(f"road {f['properties']['id']} leaves the outline at {lat}, {lon}")
    for code, m in MUNICIPALITIES.items():
        lat, lon = m[3]
        owners = [c for c in MUNICIPALITIES if point_in_polygon(lon, lat, by_code[c])]
        if owners != [code]:
            raise SystemExit(f"hall of {code} falls in {owners}")
    for city, *_ in URBAN:
        for lon, lat in by_code[f"{city}-urban"][0]:
            if not point_in_polygon(lon, lat, by_code[city]):
                raise SystemExit(f"urban area of {city} leaves the city at {lat}, {lon}")
    rnd = random.Random(1)
    for _ in range(20000):
        lon, lat = rnd.uniform(126.1, 127.7), rnd.uniform(35.95, 37.05)
        n = sum(point_in_polygon(lon, lat, by_code[c]) for c in MUNICIPALITIES)
        if n != (1 if point_in_ring(lon, lat, outline[0]) else 0):
            raise SystemExit(f"partition broken at {lat}, {lon}: {n} municipalities")


def main() -> None:
    roads, areas = build()
    check(roads, areas)
    for name, doc in (("roads.geojson", roads), ("areas.geojson", areas)):
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        # One feature per line keeps diffs of the shipped files readable.
        text = text.replace('{"type":"Feature"', '\n{"type":"Feature"')
        (DATA_DIR / name).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {DATA_DIR / name} ({len(doc['features'])} features)")


if __name__ == "__main__":
    main()
