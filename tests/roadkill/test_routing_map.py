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
