"""An SVG map of Chungnam from the service's own road network and areas (no tiles, no JavaScript).

A fixed equirectangular projection (longitude scaled by cos of the mid latitude, so shapes are not
stretched) is computed once from the province's bounding box. The static layers (areas, roads,
labels) are rendered once per network; incidents and hotspots are drawn on top for every request.
Pure: no FastAPI, no database.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from markupsafe import Markup

from shared.svg import esc

# road class -> (colour, stroke width, English label, Korean label); colours reach 3:1 on the area fill.
ROAD_STYLES: dict[str, tuple[str, float, str, str]] = {
    "expressway": ("#8c1d18", 3.6, "Expressway", "고속국도"),
    "national": ("#0b5cad", 2.8, "National route", "일반국도"),
    "provincial": ("#1b6e35", 2.2, "Provincial road", "지방도"),
    "local": ("#5b4a9e", 1.6, "City / county road", "시·군도"),
}
AREA_FILL = "#f4f1e8"
OUTSIDE_FILL = "#e9ecef"  # sea and neighbouring provinces alike: only Chungnam is drawn
URBAN_FILL = "#e4dccb"
AREA_STROKE = "#8a8170"
MARKER_FILL = "#b3261e"
HOTSPOT_STROKE = "#e08a00"
INK = "#1a1a1a"
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK KR', sans-serif"

LonLat = tuple[float, float]
MIN_STEP_PX = 1.5  # vertices closer than this (Manhattan distance, px) to the previous one are not drawn
ATTRIBUTION_PX = 30  # the band under the map for the boundaries' attribution


@dataclass(frozen=True, slots=True)
class Projection:
    """lon/lat -> SVG pixels: x grows east, y grows south."""

    lon0: float
    lat1: float  # northern edge
    scale: float  # px per degree of latitude
    kx: float  # cos(mid latitude)
    width: float
    height: float
    pad: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (round(self.pad + (lon - self.lon0) * self.kx * self.scale, 1),
                round(self.pad + (self.lat1 - lat) * self.scale, 1))


def projection_for(bbox: Sequence[float], width: float = 880.0, pad: float = 14.0) -> Projection:
    """A projection fitting `bbox` (min_lon, min_lat, max_lon, max_lat) into `width` px."""
    x0, y0, x1, y1 = bbox
    kx = math.cos(math.radians((y0 + y1) / 2))
    scale = (width - 2 * pad) / ((x1 - x0) * kx)
    height = (y1 - y0) * scale + 2 * pad
    return Projection(lon0=x0, lat1=y1, scale=scale, kx=kx, width=width, height=round(height, 1), pad=pad)


def map_bbox(areas: Any, min_part_km2: float = 1.0) -> tuple[float, float, float, float]:
    """The province's extent without its far islets (parts under `min_part_km2`), so the land fills the map;
    positions on those islets are still routed, and drawn only if they fall inside this extent."""
    parts = shapely.get_parts(areas.province.geometry)
    km2_per_deg2 = 111.32 * 111.32 * math.cos(math.radians((areas.province.bbox[1] + areas.province.bbox[3]) / 2))
    big = [p for p in parts if p.area * km2_per_deg2 >= min_part_km2] or list(parts)
    return tuple(float(v) for v in shapely.total_bounds(big))  # type: ignore[return-value]


def _path(proj: Projection, coords: Iterable[LonLat], close: bool = False) -> str:
    pts: list[tuple[float, float]] = []
    for lon, lat in coords:
        x, y = proj.xy(lon, lat)
        # The census borders have several vertices per pixel at this scale: keep one per ~MIN_STEP_PX.
        if not pts or abs(x - pts[-1][0]) + abs(y - pts[-1][1]) >= MIN_STEP_PX:
            pts.append((x, y))
    if not pts:
        return ""
    d = f"M{pts[0][0]:g} {pts[0][1]:g}" + "".join(f"L{x:g} {y:g}" for x, y in pts[1:])
    return d + ("Z" if close else "")


def _polygons_d(proj: Projection, polygons) -> str:
    return "".join(_path(proj, ring, close=True) for poly in polygons for ring in poly)


def base_layers(network: Any, proj: Projection) -> str:
    """Province outline, municipal and urban areas with their names, and the roads by class."""
    areas = network.areas
    out = [f'<g class="areas"><path d="{_polygons_d(proj, areas.province.polygons)}" fill="{AREA_FILL}" '
           f'stroke="{AREA_STROKE}" stroke-width="1.5"/>']
    for a in areas.municipalities:
        out.append(f'<path class="area" data-area="{esc(a.code)}" d="{_polygons_d(proj, a.polygons)}" '
                   f'fill="{AREA_FILL}" stroke="{AREA_STROKE}" stroke-width="0.8">'
                   f'<title>{esc(a.name)} ({esc(a.name_ko)}), {esc(a.kind)} — census area 2018</title></path>')
    for a in areas.urban:
        out.append(f'<path class="urban" data-area="{esc(a.code)}" d="{_polygons_d(proj, a.polygons)}" '
                   f'fill="{URBAN_FILL}" stroke="{AREA_STROKE}" stroke-width="0.5" stroke-dasharray="2 2">'
                   f'<title>{esc(a.name)} ({esc(a.name_ko)}): urban district (dong), the city manages '
                   f'national and provincial road sections here</title></path>')
    out.append("</g>")
    order = {c: i for i, c in enumerate(reversed(list(ROAD_STYLES)))}  # expressways drawn last (on top)
    out.append('<g class="roads" fill="none" stroke-linecap="round" stroke-linejoin="round">')
    for road in sorted(network.roads.values(), key=lambda r: (order.get(r.road_class, -1), r.id)):
        colour, width, label, _ko = ROAD_STYLES.get(road.road_class, ("#4a4a4a", 1.2, road.road_class, ""))
        out.append(f'<path class="road road-{esc(road.road_class)}" data-road="{esc(road.id)}" '
                   f'd="{_path(proj, road.coords)}" stroke="{colour}" stroke-width="{width:g}">'
                   f'<title>{esc(road.name)} ({esc(road.name_ko)}) — {esc(label)}</title></path>')
    out.append("</g>")
    out.append(f'<g class="labels" font-size="11" fill="{INK}" text-anchor="middle" font-family="{FONT}">')
    for a in areas.municipalities:
        if a.seat is None:
            continue
        x, y = proj.xy(*a.seat)
        out.append(f'<circle cx="{x:g}" cy="{y:g}" r="2.2" fill="{INK}"/>'
                   f'<text x="{x:g}" y="{y - 6:g}" paint-order="stroke" stroke="#ffffff" stroke-width="3" '
                   f'stroke-linejoin="round">{esc(a.name.split("-")[0])} <tspan lang="ko">{esc(a.name_ko)}</tspan>'
                   f'</text>')
    out.append("</g>")
    return "".join(out)


def render_map(network: Any, proj: Projection, base: str, incidents: Sequence[Mapping[str, Any]],
               hotspots: Sequence[Mapping[str, Any]] = (), *, title: str = "Map of Chungcheongnam-do") -> Markup:
    """The whole map. `incidents`: dicts with id, lat, lon, label (the marker's tooltip) and status;
    `hotspots`: dicts with `coordinates` ([[lon, lat], ...]) and `label`."""
    desc = (f"Census areas of the cities and counties and their urban dong (Statistics Korea 2018) and "
            f"{len(network.roads)} approximately mapped roads coloured by class; "
            f"{len(incidents)} open incident{'s' if len(incidents) != 1 else ''} as red markers (links to the "
            f"incident page); {len(hotspots)} hotspot segment{'s' if len(hotspots) != 1 else ''} in orange.")
    w, h = proj.width, proj.height
    full_h = h + ATTRIBUTION_PX
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="map-svg" role="group" viewBox="0 0 {w:g} {full_h:g}" '
           f'width="{w:g}" height="{full_h:g}" aria-labelledby="map-t map-d" font-family="{FONT}">',
           f'<title id="map-t">{esc(title)}</title><desc id="map-d">{esc(desc)}</desc>',
           f'<rect x="0" y="0" width="{w:g}" height="{full_h:g}" fill="{OUTSIDE_FILL}"/>', base]
    out.append(f'<g class="hotspots" fill="none" stroke="{HOTSPOT_STROKE}" stroke-opacity="0.75" stroke-width="11" '
               'stroke-linecap="round">')
    for hs in hotspots:
        out.append(f'<path class="hotspot" d="{_path(proj, [tuple(c) for c in hs["coordinates"]])}">'
                   f'<title>{esc(hs["label"])}</title></path>')
    out.append("</g>")
    out.append('<g class="incidents">')
    for inc in incidents:
        x, y = proj.xy(float(inc["lon"]), float(inc["lat"]))
        label = str(inc["label"])
        out.append(f'<a class="marker" href="/ui/incidents/{esc(inc["id"])}" data-incident="{esc(inc["id"])}" '
                   f'data-status="{esc(inc.get("status", ""))}" aria-label="{esc(label)}">'
                   f'<title>{esc(label)}</title>'
                   f'<circle cx="{x:g}" cy="{y:g}" r="7" fill="{MARKER_FILL}" stroke="#ffffff" stroke-width="2"/>'
                   f'<circle cx="{x:g}" cy="{y:g}" r="2.2" fill="#ffffff"/></a>')
    out.append("</g>")
    # scale bar: 20 km
    km20 = 20_000 / 111_320 * proj.scale
    sx, sy = proj.pad + 6, h - proj.pad - 6
    out.append(f'<g class="scale" font-size="11" fill="{INK}"><rect x="{sx - 4:g}" y="{sy - 20:g}" '
               f'width="{km20 + 8:g}" height="26" fill="#ffffff" fill-opacity="0.85"/>'
               f'<line x1="{sx:g}" y1="{sy:g}" x2="{sx + km20:g}" y2="{sy:g}" stroke="{INK}" stroke-width="2"/>'
               f'<text x="{sx:g}" y="{sy - 6:g}">20 km (roads approximate)</text></g>')
    attribution = network.areas.attribution or "areas: see /v1/areas.geojson"
    out.append(f'<text class="attribution" x="{proj.pad:g}" y="{full_h - 10:g}" font-size="11" fill="{INK}">'
               f'Areas: {esc(attribution)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
