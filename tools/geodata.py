"""Regenerate the approximate Chungnam roads.geojson and areas.geojson shipped with the roadkill service.

Run: `python -m services.roadkill.data.tools.build_geodata` from the repository root.

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
from pathlib import Path

from services.roadkill.geo import LocalProjection, point_in_polygon, point_in_ring, ring_area_m2

DATA_DIR = Path(__file__).resolve().parents[1]
SOURCE = "hand-drawn approximation from city/county hall coordinates and general knowledge (build_geodata.py)"
PROJ = LocalProjection(36.5, 126.9)

# fmt: off
# Province outline (lon, lat), counter-clockwise after reversal below. The eastern notch leaves out
# Sejong and Daejeon, which are separate metropolitan governments.
OUTLINE = [
    (126.16, 36.86), (126.22, 36.93), (126.33, 36.97), (126.42, 37.01), (126.55, 37.02),
    (126.66, 37.03), (126.78, 36.99), (126.86, 36.97), (126.96, 36.95), (127.05, 36.96),
    (127.12, 36.97), (127.20, 36.96), (127.30, 36.93), (127.38, 36.86), (127.40, 36.78),
    (127.36, 36.73), (127.25, 36.71), (127.17, 36.68), (127.16, 36.60), (127.19, 36.52),
    (127.20, 36.48), (127.26, 36.42), (127.29, 36.33), (127.31, 36.26), (127.35, 36.22),
    (127.42, 36.20), (127.49, 36.215), (127.55, 36.27), (127.62, 36.25), (127.66, 36.15),
    (127.64, 36.05), (127.57, 35.99), (127.45, 35.97), (127.38, 36.00), (127.30, 36.06),
    (127.20, 36.09), (127.12, 36.07), (127.04, 36.06), (126.96, 36.09), (126.86, 36.04),
    (126.76, 36.01), (126.68, 36.00), (126.58, 36.04), (126.51, 36.13), (126.49, 36.25),
    (126.47, 36.32), (126.40, 36.36), (126.34, 36.40), (126.30, 36.50), (126.27, 36.60),
    (126.20, 36.68), (126.14, 36.75), (126.12, 36.81),
]

# code: (name, name_ko, kind, hall (lat, lon), seeds [(lat, lon)]). The first seed is the hall.
MUNICIPALITIES: dict[str, tuple[str, str, str, tuple[float, float], list[tuple[float, float]]]] = {
    "cheonan": ("Cheonan-si", "천안시", "city", (36.815, 127.114),
                [(36.90, 127.18), (36.78, 127.30), (36.83, 127.22)]),
    "gongju": ("Gongju-si", "공주시", "city", (36.447, 127.119),
               [(36.60, 127.10), (36.55, 126.97), (36.36, 127.06), (36.37, 127.19), (36.47, 127.00)]),
    "boryeong": ("Boryeong-si", "보령시", "city", (36.333, 126.613),
                 [(36.23, 126.60), (36.41, 126.60), (36.33, 126.70)]),
    "asan": ("Asan-si", "아산시", "city", (36.790, 127.002), [(36.88, 126.93), (36.72, 126.97)]),
    "seosan": ("Seosan-si", "서산시", "city", (36.785, 126.450), [(36.95, 126.43), (36.71, 126.55)]),
    "nonsan": ("Nonsan-si", "논산시", "city", (36.187, 127.099),
               [(36.16, 127.25), (36.10, 127.20), (36.26, 127.08)]),
    "gyeryong": ("Gyeryong-si", "계룡시", "city", (36.275, 127.249), []),
    "dangjin": ("Dangjin-si", "당진시", "city", (36.890, 126.646), [(36.97, 126.68), (36.80, 126.76)]),
    "geumsan": ("Geumsan-gun", "금산군", "county", (36.109, 127.488),
                [(36.20, 127.55), (36.15, 127.40), (36.03, 127.50)]),
    "buyeo": ("Buyeo-gun", "부여군", "county", (36.276, 126.910),
              [(36.20, 126.95), (36.33, 126.84), (36.20, 126.84)]),
    "seocheon": ("Seocheon-gun", "서천군", "county", (36.080, 126.692), [(36.14, 126.60), (36.08, 126.80)]),
    "cheongyang": ("Cheongyang-gun", "청양군", "county", (36.459, 126.802), [(36.38, 126.85), (36.53, 126.78)]),
    "hongseong": ("Hongseong-gun", "홍성군", "county", (36.601, 126.661), [(36.56, 126.51), (36.51, 126.64)]),
    "yesan": ("Yesan-gun", "예산군", "county", (36.681, 126.845), [(36.71, 126.69), (36.61, 126.91)]),
    "taean": ("Taean-gun", "태안군", "county", (36.746, 126.298),
              [(36.88, 126.23), (36.60, 126.31), (36.46, 126.34)]),
}

# Urban (dong) districts of the cities: (city, name, name_ko, centre (lat, lon), radius_km).
URBAN = [
    ("cheonan", "Cheonan urban districts (Dongnam-gu and Seobuk-gu dong)", "천안시 동 지역", (36.815, 127.135), 5.0),
    ("asan", "Asan urban districts (Onyang dong)", "아산시 동 지역", (36.785, 127.005), 3.0),
    ("gongju", "Gongju urban districts", "공주시 동 지역", (36.455, 127.120), 2.5),
    ("nonsan", "Nonsan urban districts", "논산시 동 지역", (36.190, 127.095), 2.5),
    ("seosan", "Seosan urban districts", "서산시 동 지역", (36.782, 126.455), 3.0),
    ("boryeong", "Boryeong urban districts (Daecheon dong)", "보령시 동 지역", (36.340, 126.600), 3.0),
    ("dangjin", "Dangjin urban districts", "당진시 동 지역", (36.888, 126.640), 2.5),
    ("gyeryong", "Gyeryong urban district (Geumam-dong)", "계룡시 금암동", (36.278, 127.248), 1.2),
]

# Roads: id, name, name_ko, class, route_no, divided, waypoints (lat, lon) through towns.
E, N, P, L = "expressway", "national", "provincial", "local"
ROADS = [
    ("exp-1-gyeongbu", "Gyeongbu Expressway", "경부고속도로", E, "1", True,
     [(36.945, 127.150), (36.900, 127.158), (36.860, 127.165), (36.825, 127.178), (36.790, 127.205),
      (36.760, 127.240), (36.740, 127.285), (36.735, 127.330)]),
    ("exp-15-seohaean", "Seohaean Expressway", "서해안고속도로", E, "15", True,
     [(36.960, 126.835), (36.930, 126.790), (36.910, 126.740), (36.885, 126.690), (36.860, 126.640),
      (36.830, 126.590), (36.800, 126.545), (36.770, 126.520), (36.720, 126.545), (36.660, 126.600),
      (36.610, 126.635), (36.540, 126.640), (36.480, 126.630), (36.400, 126.620), (36.340, 126.585),
      (36.270, 126.600), (36.200, 126.625), (36.130, 126.650), (36.090, 126.670), (36.040, 126.700),
      (36.025, 126.710)]),
    ("exp-25-nonsan-cheonan", "Nonsan–Cheonan Expressway", "논산천안고속도로", E, "25", True,
     [(36.800, 127.190), (36.760, 127.150), (36.700, 127.120), (36.640, 127.100), (36.580, 127.090),
      (36.520, 127.080), (36.470, 127.075), (36.410, 127.080), (36.350, 127.085), (36.290, 127.095),
      (36.230, 127.100), (36.170, 127.090), (36.110, 127.070), (36.075, 127.055)]),
    ("exp-30-dangjin-yeongdeok", "Dangjin–Yeongdeok Expressway", "당진영덕고속도로", E, "30", True,
     [(36.860, 126.640), (36.830, 126.700), (36.790, 126.760), (36.740, 126.800), (36.700, 126.850),
      (36.650, 126.900), (36.610, 126.950), (36.570, 127.000), (36.530, 127.040), (36.490, 127.080),
      (36.485, 127.120), (36.492, 127.160)]),
    ("exp-151-seocheon-gongju", "Seocheon–Gongju Expressway", "서천공주고속도로", E, "151", True,
     [(36.110, 126.660), (36.150, 126.720), (36.190, 126.780), (36.230, 126.840), (36.270, 126.880),
      (36.310, 126.930), (36.350, 126.980), (36.400, 127.030), (36.450, 127.060), (36.490, 127.080)]),
    ("exp-35-tongyeong-daejeon", "Tongyeong–Daejeon Expressway", "통영대전고속도로", E, "35", True,
     [(36.195, 127.470), (36.170, 127.480), (36.130, 127.500), (36.090, 127.505), (36.050, 127.520),
      (36.010, 127.545)]),
    ("exp-251-honam-branch", "Honam Expressway Branch", "호남고속도로지선", E, "251", True,
     [(36.140, 127.070), (36.170, 127.130), (36.200, 127.180), (36.230, 127.220), (36.262, 127.280)]),
    ("nat-1-nonsan-gongju", "National Route 1 (Nonsan–Gongju)", "국도 1호선 (논산–공주)", N, "1", True,
     [(36.085, 127.085), (36.130, 127.095), (36.187, 127.110), (36.240, 127.125), (36.290, 127.135),
      (36.340, 127.150), (36.390, 127.160), (36.440, 127.170)]),
    ("nat-1-cheonan", "National Route 1 (Cheonan)", "국도 1호선 (천안)", N, "1", True,
     [(36.705, 127.150), (36.740, 127.155), (36.775, 127.150), (36.815, 127.145), (36.850, 127.140),
      (36.885, 127.135), (36.915, 127.128), (36.950, 127.115)]),
    ("nat-4", "National Route 4", "국도 4호선", N, "4", True,
     [(36.040, 126.745), (36.090, 126.790), (36.150, 126.835), (36.215, 126.875), (36.276, 126.915),
      (36.262, 126.975), (36.240, 127.030), (36.215, 127.075), (36.200, 127.120), (36.210, 127.170),
      (36.235, 127.210), (36.268, 127.240), (36.285, 127.275)]),
    ("nat-17", "National Route 17", "국도 17호선", N, "17", False,
     [(36.005, 127.415), (36.055, 127.445), (36.105, 127.470), (36.140, 127.440), (36.165, 127.415),
      (36.180, 127.400)]),
    ("nat-21", "National Route 21", "국도 21호선", N, "21", True,
     [(36.045, 126.665), (36.080, 126.690), (36.140, 126.640), (36.200, 126.600), (36.260, 126.590),
      (36.333, 126.610), (36.400, 126.645), (36.470, 126.655), (36.540, 126.665), (36.601, 126.668),
      (36.640, 126.740), (36.670, 126.800), (36.683, 126.850), (36.700, 126.900), (36.740, 126.950),
      (36.780, 126.995), (36.800, 127.050), (36.815, 127.090)]),
    ("nat-23", "National Route 23", "국도 23호선", N, "23", False,
     [(36.140, 127.020), (36.187, 127.060), (36.240, 127.045), (36.300, 127.040), (36.360, 127.030),
      (36.410, 127.045), (36.447, 127.100), (36.500, 127.125), (36.560, 127.120), (36.620, 127.120),
      (36.680, 127.080), (36.730, 127.080), (36.780, 127.100), (36.812, 127.112)]),
    ("nat-29", "National Route 29", "국도 29호선", N, "29", False,
     [(36.300, 126.895), (36.350, 126.860), (36.410, 126.830), (36.462, 126.805), (36.510, 126.760),
      (36.560, 126.720), (36.600, 126.690), (36.650, 126.610), (36.700, 126.560), (36.740, 126.510),
      (36.783, 126.460)]),
    ("nat-32", "National Route 32", "국도 32호선", N, "32", True,
     [(36.748, 126.305), (36.760, 126.350), (36.775, 126.400), (36.787, 126.448), (36.810, 126.500),
      (36.840, 126.560), (36.870, 126.610), (36.888, 126.642)]),
    ("nat-34", "National Route 34", "국도 34호선", N, "34", True,
     [(36.892, 126.655), (36.885, 126.720), (36.880, 126.780), (36.870, 126.840), (36.865, 126.900),
      (36.870, 126.960), (36.875, 127.020), (36.885, 127.080), (36.900, 127.125)]),
    ("nat-36", "National Route 36", "국도 36호선", N, "36", True,
     [(36.336, 126.625), (36.350, 126.680), (36.380, 126.730), (36.420, 126.770), (36.457, 126.800),
      (36.460, 126.870), (36.455, 126.940), (36.450, 127.000), (36.450, 127.060), (36.448, 127.110),
      (36.470, 127.150), (36.478, 127.165)]),
    ("nat-38", "National Route 38", "국도 38호선", N, "38", True,
     [(36.975, 126.420), (36.955, 126.480), (36.935, 126.540), (36.910, 126.600), (36.893, 126.640)]),
    ("nat-39", "National Route 39", "국도 39호선", N, "39", False,
     [(36.470, 126.812), (36.520, 126.850), (36.570, 126.880), (36.620, 126.910), (36.670, 126.940),
      (36.720, 126.965), (36.760, 126.985), (36.792, 127.000), (36.830, 127.005), (36.870, 127.000),
      (36.910, 126.995), (36.935, 126.990)]),
    ("nat-40", "National Route 40", "국도 40호선", N, "40", False,
     [(36.870, 126.655), (36.830, 126.665), (36.790, 126.670), (36.745, 126.700), (36.700, 126.730),
      (36.683, 126.790), (36.680, 126.840)]),
    ("nat-77", "National Route 77", "국도 77호선", N, "77", False,
     [(36.325, 126.555), (36.350, 126.500), (36.380, 126.440), (36.420, 126.390), (36.470, 126.360),
      (36.520, 126.340), (36.570, 126.330), (36.620, 126.320), (36.680, 126.300), (36.740, 126.296)]),
    ("prov-603", "Provincial Road 603", "지방도 603호선", P, "603", False,
     [(36.900, 126.250), (36.860, 126.270), (36.820, 126.285), (36.785, 126.295), (36.760, 126.300)]),
    ("prov-607", "Provincial Road 607", "지방도 607호선", P, "607", False,
     [(36.240, 126.620), (36.250, 126.680), (36.258, 126.740), (36.265, 126.790), (36.268, 126.820)]),
    ("prov-615", "Provincial Road 615", "지방도 615호선", P, "615", False,
     [(36.605, 126.680), (36.630, 126.700), (36.660, 126.690), (36.700, 126.660), (36.740, 126.640)]),
    ("prov-619", "Provincial Road 619", "지방도 619호선", P, "619", False,
     [(36.745, 127.010), (36.700, 127.020), (36.650, 127.010), (36.600, 126.990)]),
    ("prov-635", "Provincial Road 635", "지방도 635호선", P, "635", False,
     [(36.090, 127.440), (36.100, 127.390), (36.115, 127.340), (36.140, 127.290), (36.160, 127.260),
      (36.180, 127.235)]),
    ("prov-643", "Provincial Road 643", "지방도 643호선", P, "643", False,
     [(36.250, 126.930), (36.210, 126.960), (36.170, 127.000), (36.150, 127.040)]),
    ("prov-649", "Provincial Road 649", "지방도 649호선", P, "649", False,
     [(36.985, 126.615), (36.965, 126.650), (36.945, 126.690)]),
    ("local-gongju-gyeryongsan", "Gongju city road to Gyeryongsan", "공주시도 (계룡산 방면)", L, None, False,
     [(36.400, 127.180), (36.380, 127.200), (36.365, 127.225)]),
    ("local-taean-anmyeon", "Taean county road (Anmyeon coast)", "태안군도 (안면 해안)", L, None, False,
     [(36.560, 126.360), (36.540, 126.380), (36.510, 126.390)]),
]

# fmt: on


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
