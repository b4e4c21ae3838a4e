"""The peaks map: the five local governments of the Yeongnam Alps on their census boundaries (Statistics
Korea 2018, data/municipalities.geojson) with the nine peaks of peaks.json, as one inline SVG.

Pure (no web framework, no database): the map depends only on the packaged files, so it is drawn once
per process. An equirectangular projection with longitude scaled by cos(mid latitude) keeps shapes
true at this size; north is up.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import shapely
from markupsafe import Markup
from shapely.geometry import shape

from services.peaks.domain import reference
from shared.reference import read_json
from shared.svg import esc

BOUNDARIES = reference.DATA_DIR / "municipalities.geojson"
WIDTH, INSET_WIDTH, PAD = 760.0, 220.0, 16.0
# One light fill per municipality (dark text on each reaches 4.5:1), Ulju-gun first.
FILLS = ("#f3e6c8", "#dfeccf", "#d6e6f2", "#eedbe6", "#e4e0f2")
STROKE, INK, PEAK = "#6b5d45", "#1a1a1a", "#8c1d18"
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK KR', sans-serif"


@dataclass(frozen=True, slots=True)
class Boundaries:
    """The five areas (code → geometry) and the file's attribution and version."""

    areas: dict[str, shapely.Geometry]
    attribution: str
    version: str


@cache
def boundaries() -> Boundaries:
    doc = read_json(BOUNDARIES)
    areas = {f["properties"]["code"]: shape(f["geometry"]) for f in doc["features"]}
    meta = doc.get("metadata", {})
    return Boundaries(areas, str(meta.get("attribution", "")), str(meta.get("version", "")))


def municipality_at(lat: float, lon: float) -> str | None:
    """The municipality whose census area holds the point (or its border), if one of the five does."""
    return next((c for c, g in boundaries().areas.items() if g.covers(shapely.Point(lon, lat))), None)


class _Frame:
    """lon/lat → SVG pixels fitting `bbox` into `width` (plus `extra` pixels below for text)."""

    def __init__(self, bbox: tuple[float, float, float, float], width: float, extra: float = 0.0) -> None:
        self.x0, y0, x1, self.y1 = bbox
        self.kx = math.cos(math.radians((y0 + self.y1) / 2))
        self.scale = (width - 2 * PAD) / ((x1 - self.x0) * self.kx)
        self.width = width
        self.height = round((self.y1 - y0) * self.scale + 2 * PAD + extra, 1)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return round(PAD + (lon - self.x0) * self.kx * self.scale, 1), round(PAD + (self.y1 - lat) * self.scale, 1)

    def path(self, geom: shapely.Geometry) -> str:
        rings = [r for p in shapely.get_parts(geom) for r in (p.exterior, *p.interiors)]
        return "".join("M" + "L".join("{:g} {:g}".format(*self.xy(*c)) for c in r.coords[:-1]) + "Z" for r in rings)


def peak_rows() -> list[dict[str, Any]]:
    """The nine peaks with the municipality whose area holds each summit point (as drawn)."""
    munis = reference.municipalities()
    rows = []
    for p in reference.peaks().values():
        at = municipality_at(p.lat, p.lon)
        rows.append({"code": p.code, "en": p.name_en, "ko": p.name_ko, "elevation_m": p.elevation_m,
                     "lat": p.lat, "lon": p.lon, "approximate": p.approximate,
                     "municipalities": [{"code": m, "en": munis[m].name_en, "ko": munis[m].name_ko}
                                        for m in p.municipalities if m in munis],
                     "drawn_in": {"code": at, "en": munis[at].name_en if at in munis else ""}})
    return rows


def _order() -> list[str]:
    munis = reference.municipalities()
    return sorted(boundaries().areas, key=lambda c: (munis[c].role != "managing", c) if c in munis else (True, c))


def _areas(frame: _Frame, *, labels: bool) -> list[str]:
    munis = reference.municipalities()
    out = ['<g class="areas">']
    for i, code in enumerate(_order()):
        m = munis.get(code)
        name = f"{m.name_en} ({m.name_ko}), {m.province_en}: {m.role}" if m else code
        out.append(f'<path class="area" data-area="{esc(code)}" d="{frame.path(boundaries().areas[code])}" '
                   f'fill="{FILLS[i % len(FILLS)]}" stroke="{STROKE}" stroke-width="1.2"><title>{esc(name)}'
                   f'</title></path>')
    out.append("</g>")
    if labels:
        out.append(f'<g class="area-labels" font-size="13" font-weight="600" fill="{INK}" text-anchor="middle">')
        for code in _order():
            x, y = frame.xy(*shapely.get_coordinates(boundaries().areas[code].representative_point())[0])
            m = munis.get(code)
            out.append(f'<text x="{x:g}" y="{y:g}">{esc(m.name_en if m else code)} '
                       f'<tspan lang="ko">{esc(m.name_ko if m else "")}</tspan></text>')
        out.append("</g>")
    return out


def _peaks(frame: _Frame) -> list[str]:
    """Numbered triangles (the numbers of the table beside the map); the name is each marker's tooltip."""
    out = [f'<g class="peaks" font-size="11" font-weight="700" fill="{INK}">']
    for n, p in enumerate(reference.peaks().values(), start=1):
        x, y = frame.xy(p.lon, p.lat)
        out.append(f'<g class="peak" data-peak="{esc(p.code)}"><title>{n}. {esc(p.name_en)} {esc(p.name_ko)}, '
                   f'{p.elevation_m:,} m</title><path d="M{x:g} {y - 6:g}L{x + 5:g} {y + 3:g}L{x - 5:g} {y + 3:g}Z" '
                   f'fill="{PEAK}" stroke="#ffffff" stroke-width="1"/><text x="{x + 6:g}" y="{y - 2:g}" '
                   f'paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round">{n}</text></g>')
    out.append("</g>")
    return out


@cache
def svg() -> Markup:
    """The five areas with their names and the nine numbered peaks, an enlarged inset of the ridge where
    the peaks stand, a scale bar and the boundaries' attribution."""
    b = boundaries()
    munis = reference.municipalities()
    frame = _Frame(tuple(shapely.bounds(shapely.union_all(list(b.areas.values())))), WIDTH, extra=34)
    lats = [p.lat for p in reference.peaks().values()]
    lons = [p.lon for p in reference.peaks().values()]
    inset = _Frame((min(lons) - 0.02, min(lats) - 0.02, max(lons) + 0.02, max(lats) + 0.02), INSET_WIDTH)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="map-svg peaks-map" role="img" '
           f'viewBox="0 0 {WIDTH:g} {frame.height:g}" width="{WIDTH:g}" height="{frame.height:g}" '
           f'aria-labelledby="pkmap-t pkmap-d" font-family="{FONT}">',
           '<title id="pkmap-t">Map of the Yeongnam Alps: the five local governments and the nine peaks</title>',
           f'<desc id="pkmap-d">{esc(", ".join(munis[c].name_en for c in _order() if c in munis))} drawn on '
           f'their census boundaries; the {len(lats)} peaks as numbered red triangles (the table below the map '
           f'names them), enlarged in the upper left. {esc(b.attribution)}</desc>',
           f'<rect width="{WIDTH:g}" height="{frame.height:g}" fill="#eef1f4"/>',
           *_areas(frame, labels=True), *_peaks(frame)]
    x1, y1 = frame.xy(min(lons) - 0.02, max(lats) + 0.02)
    x2, y2 = frame.xy(max(lons) + 0.02, min(lats) - 0.02)
    out.extend([f'<rect class="inset-frame" x="{x1:g}" y="{y1:g}" width="{x2 - x1:g}" height="{y2 - y1:g}" '
               f'fill="none" stroke="{INK}" stroke-dasharray="4 3"/>'
               f'<svg class="inset" x="0" y="0" width="{inset.width:g}" height="{inset.height:g}" '
               f'viewBox="0 0 {inset.width:g} {inset.height:g}"><rect width="{inset.width:g}" '
               f'height="{inset.height:g}" fill="#eef1f4" stroke="{INK}"/>',
               *_areas(inset, labels=False), *_peaks(inset),
               f'<text x="{PAD:g}" y="{inset.height - 6:g}" font-size="11" fill="{INK}">Enlarged: the '
               f'nine peaks</text><rect width="{inset.width:g}" height="{inset.height:g}" '
               f'fill="none" stroke="{INK}" stroke-width="2"/></svg>'])
    km10 = 10_000 / 111_320 * frame.scale
    sy = frame.height - 44
    out.append(f'<g class="scale" font-size="11" fill="{INK}"><line x1="{PAD:g}" y1="{sy:g}" '
               f'x2="{PAD + km10:g}" y2="{sy:g}" stroke="{INK}" stroke-width="2"/>'
               f'<text x="{PAD:g}" y="{sy - 5:g}">10 km</text></g>')
    source, _, licence = b.attribution.partition("; ")
    out.append(f'<text class="attribution" x="{PAD:g}" y="{frame.height - 22:g}" font-size="11" fill="{INK}">'
               f'Boundaries: {esc(source)}</text><text class="attribution" x="{PAD:g}" y="{frame.height - 8:g}" '
               f'font-size="11" fill="{INK}">{esc(licence)}</text></svg>')
    return Markup("".join(out))
