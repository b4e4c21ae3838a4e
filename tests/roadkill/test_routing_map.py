"""The roadkill map draws the census areas the router uses, with their attribution as visible text."""
from __future__ import annotations

import re

from services.roadkill.domain.network import default_network

SERVICE_NAME = "roadkill"
ATTRIBUTION = "Statistics Korea (통계청), SGIS census administrative boundaries 2018"


def test_the_map_draws_every_city_county_and_dong_and_names_the_source(client) -> None:
    areas = default_network().areas
    html = client.get("/ui/map").text
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" class="map-svg')
    svg = html[start:html.index("</svg>", start) + 6]
    assert set(re.findall(r'class="area" data-area="([a-z]+)"', svg)) == {a.code for a in areas.municipalities}
    assert set(re.findall(r'class="urban" data-area="(\d+)"', svg)) == {a.code for a in areas.urban}
    assert len(areas.urban) == 46
    # Visible text, on the map and under it (KOGL Type 1 asks for the source to be named).
    assert re.search(r'<text class="attribution"[^>]*>Areas: ' + re.escape(ATTRIBUTION), svg)
    assert re.search(r'<p class="source attribution">Areas: ' + re.escape(ATTRIBUTION) + r"; Korea Open Government "
                     r"License Type 1", html)
    assert "approximate" in svg and "Roads: approximate" in html  # the roads still say what they are
    assert "approximate area" not in svg  # the areas are no longer hand-drawn


def test_the_map_frames_the_land_not_the_far_islets() -> None:
    from services.roadkill.domain import svgmap

    areas = default_network().areas
    x0, y0, x1, y1 = svgmap.map_bbox(areas)
    assert areas.province.bbox[0] < 125.6 < 126.0 < x0  # Taean's far islets (to 125.54°E) are left off the frame
    assert (y0, x1, y1) == tuple(areas.province.bbox[1:])
    assert all(x0 <= a.seat[0] <= x1 and y0 <= a.seat[1] <= y1 for a in areas.municipalities)
