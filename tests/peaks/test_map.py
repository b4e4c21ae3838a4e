"""The peaks map: the five local governments on Statistics Korea's 2018 census boundaries, the nine peaks
of peaks.json on them, and the boundaries' attribution visible on the page."""
from __future__ import annotations

import json
import re

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from services.peaks.domain import peaks_map, reference

SERVICE_NAME = "peaks"
DOC = json.loads(peaks_map.BOUNDARIES.read_text(encoding="utf-8"))
AREAS = {f["properties"]["code"]: shape(f["geometry"]) for f in DOC["features"]}
# The census codes of the five (2018): Ulsan's Ulju-gun, Gyeongbuk's Gyeongju and Cheongdo, Gyeongnam's
# Miryang and Yangsan.
KOSTAT = {"ulju": "26310", "gyeongju": "37020", "cheongdo": "37360", "miryang": "38080", "yangsan": "38100"}


def test_boundaries_are_the_five_census_areas_with_their_attribution() -> None:
    assert set(AREAS) == set(reference.municipalities()) == set(KOSTAT)
    assert {f["properties"]["code"]: f["properties"]["kostat_code"] for f in DOC["features"]} == KOSTAT
    assert "Statistics Korea" in DOC["metadata"]["attribution"]
    assert "Korea Open Government License Type 1" in DOC["metadata"]["attribution"]
    assert all(g.is_valid and not g.is_empty for g in AREAS.values())
    assert shapely.coverage_is_valid(list(AREAS.values()))  # neighbours share borders, never overlap


def test_every_peak_stands_in_one_of_its_own_local_governments() -> None:
    for p in reference.peaks().values():
        at = peaks_map.municipality_at(p.lat, p.lon)
        assert at in p.municipalities, (p.code, at, p.municipalities)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(AREAS)), st.floats(0, 1), st.floats(0, 1))
def test_a_point_inside_an_area_is_found_in_that_area(code: str, fx: float, fy: float) -> None:
    geom = AREAS[code]
    x0, y0, x1, y1 = geom.bounds
    lon, lat = x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)
    inside = [c for c, g in AREAS.items() if g.contains(shapely.Point(lon, lat))]
    found = peaks_map.municipality_at(lat, lon)
    assert (found == code) if code in inside else (found is None or found in AREAS)
    if inside:
        assert found == inside[0]


def test_the_map_page_draws_the_five_areas_the_nine_peaks_and_the_attribution(peaks_client) -> None:
    r = peaks_client.get("/ui/map")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    svg = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" class="map-svg'):html.index("</svg></div>") + 6]
    assert set(re.findall(r'class="area" data-area="([a-z]+)"', svg)) == set(KOSTAT)
    peaks = re.findall(r'class="peak" data-peak="([a-z]+)"', svg)
    assert sorted(set(peaks)) == sorted(reference.peaks()) and len(peaks) == 2 * len(reference.peaks())  # + inset
    # The attribution is visible text: drawn on the map and printed under it.
    assert 'class="attribution"' in svg and "Statistics Korea (통계청)" in svg
    assert re.search(r'<p class="source attribution">Boundaries: Statistics Korea \(통계청\)[^<]*Korea Open '
                     r"Government License Type 1", html)
    assert html.count('<tr data-peak="') == len(reference.peaks())
    assert 'href="/ui/map"' in html  # in the navigation of every page
    assert 'href="/ui/map"' in peaks_client.get("/ui/stats").text
