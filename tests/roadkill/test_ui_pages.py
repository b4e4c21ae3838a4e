"""The roadkill trainer pages, server-side: every page renders with data, carries the CSP, loads nothing
from another host, and shows each party only what it may see (the browser journey is test_ui_browser.py)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.roadkill.app import create_app
from services.roadkill.flows import pages
from services.roadkill.models import report
from services.roadkill.ui import data as ui_data
from services.roadkill.ui import kit
from tests.roadkill.conftest import EXPRESSWAY, auth, report_body

SERVICE_NAME = "roadkill"
SVG = "{http://www.w3.org/2000/svg}"
# A URL the browser would fetch or navigate to on another host: src/href/action with a scheme or `//`.
EXTERNAL = re.compile(r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I)
PAGES = ["/ui/", "/ui/incidents", "/ui/map", "/ui/console", "/ui/analytics", "/ui/report"]


@pytest.fixture
def demo(make_settings):
    """The app with the five demo incidents of seed.py (one per road class and one off the network)."""
    app = create_app(make_settings(seed_demo_incidents=True))
    with TestClient(app) as c:
        yield c


def _incidents(c: TestClient, **params) -> list[dict]:
    r = c.get("/v1/incidents", params=params, headers=auth("chungnam"))
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _svg(html: str, cls: str) -> ET.Element:
    m = re.search(rf'<svg[^>]*class="{cls}".*?</svg>', html, re.S)
    assert m, f"no svg.{cls} in the page"
    return ET.fromstring(m.group(0))


def _step(c: TestClient, inc: str, party: str, **body) -> dict:
    r = c.post(f"/v1/agency/incidents/{inc}/events", json=body, headers=auth(party))
    assert r.status_code == 200, r.text
    return r.json()


def _assert_page(r) -> str:
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    html = r.text
    assert not EXTERNAL.findall(html), EXTERNAL.findall(html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script (the CSP would block it)"
    return html


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_with_csp_and_no_outside_url(demo, path):
    html = _assert_page(demo.get(path))
    assert '<nav class="site-nav"' in html
    for item in ("/ui/incidents", "/ui/map", "/ui/console", "/ui/analytics"):
        assert f'href="{item}"' in html


def test_landing_shows_parties_with_korean_names(demo):
    html = _assert_page(demo.get("/ui/"))
    for ko in ("국민권익위원회", "국토교통부", "한국도로공사", "환경부"):
        assert ko in html
    assert "Roadkill reporting system" in html


def test_board_lists_incidents_and_filters(demo):
    items = _incidents(demo)
    assert len(items) == 5
    html = _assert_page(demo.get("/ui/incidents"))
    assert 'data-count="5"' in html
    assert all(f'data-incident="{i["id"]}"' in html for i in items)
    assert "고라니" in html and "경부고속도로" in html  # Korean species and road names beside English
    assert 'data-live-topics="incidents"' in html
    kec = [i["id"] for i in items if i["agency"] == "kec"]
    html = _assert_page(demo.get("/ui/incidents", params={"agency": "kec"}))
    assert f'data-count="{len(kec)}"' in html and kec
    assert 'data-live-src="/ui/partials/board?agency=kec"' in html
    # the filter form keeps the choice: the agency selected, both selects offering "all"
    assert re.search(r'<option value="kec"\s+selected>', html) and ">All agencies<" in html and ">All statuses<" in html
    part = demo.get("/ui/partials/board", params={"status": "closed"})
    assert part.status_code == 200 and 'data-count="0"' in part.text
    bad = demo.get("/ui/incidents", params={"status": "nonsense"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"


def test_map_draws_areas_roads_markers_and_legend(demo):
    html = _assert_page(demo.get("/ui/map"))
    svg = _svg(html, "map-svg")
    net = demo.app.state.platform.parts.network
    assert len(svg.findall(f".//{SVG}path[@data-road]")) == len(net.roads)
    assert len(svg.findall(f".//{SVG}path[@class='area']")) == 15
    markers = svg.findall(f".//{SVG}a[@class='marker']")
    assert {m.get("data-incident") for m in markers} == {i["id"] for i in _incidents(demo)}
    assert all(m.find(f"{SVG}title").text for m in markers)
    assert all(m.get("href").startswith("/ui/incidents/inc_") for m in markers)
    for label in ("Expressway", "고속국도", "National route", "Provincial road", "Hotspot segment"):
        assert label in html
    # A closed incident leaves the map.
    inc = next(i["id"] for i in _incidents(demo) if i["agency"] == "kec")
    _step(demo, inc, "acrc", type="complaint_registered", complaint_no="1AA-1")
    _step(demo, inc, "molit", type="assigned")
    _step(demo, inc, "kec", type="closed", outcome="removed", species_confirmed="water_deer")
    part = demo.get("/ui/partials/map").text
    assert f'data-incident="{inc}"' not in part.split("</svg>")[0]
    assert 'data-open-count="4"' in part


def test_map_shows_hotspots(client):
    # Two carcasses on opposite carriageways of one 500 m segment: two incidents, one hotspot segment.
    for heading in (185.0, 5.0):
        r = client.post("/v1/voice-reports", json=report_body(heading_deg=heading, reporter=f"d{heading}"),
                        headers=auth("tmap"))
        assert r.status_code == 201 and not r.json()["merged"], r.text
    html = _assert_page(client.get("/ui/map"))
    svg = _svg(html, "map-svg")
    spots = svg.findall(f".//{SVG}path[@class='hotspot']")
    assert len(spots) == 1 and "Gyeongbu Expressway" in spots[0].find(f"{SVG}title").text
    assert "Hotspots (1)" in html


def test_map_without_incidents(client):
    html = _assert_page(client.get("/ui/map"))
    assert "No open incidents" in html and 'data-open-count="0"' in html


def test_incident_page_sequence_diagram_has_every_hop(demo):
    inc = next(i["id"] for i in _incidents(demo) if i["agency"] == "kec")
    _step(demo, inc, "acrc", type="complaint_registered", complaint_no="1AA-2611-0000001")
    _step(demo, inc, "molit", type="assigned", agency="kec")
    _step(demo, inc, "kec", type="acknowledged")
    events = demo.get(f"/v1/incidents/{inc}/trace", headers=auth("chungnam")).json()["events"]
    assert len(events) == 6
    html = _assert_page(demo.get(f"/ui/incidents/{inc}"))
    svg = _svg(html, "seq-diagram")
    hops = svg.findall(f".//{SVG}g[@class='hop']")
    assert [int(h.get("data-seq")) for h in hops] == [e["seq"] for e in events]
    assert all(len(h.findall(".//*[@class='msg']")) == 1 for h in hops)  # one arrow per hop
    assert f'data-hops="{len(events)}"' in html
    # for each hop, the fields that party received
    assert html.count('class="field-name"') == sum(len(e["fields"]) for e in events)
    assert "Payload sent to <code>acrc</code>" in html
    assert 'data-live-topics="incidents trace"' in html
    assert "1AA-2611-0000001" in html and "한국도로공사" in html
    # never the reporter's pseudonym
    with demo.app.state.platform.db.read_session() as s:
        hashes = s.execute(select(report.c.reporter_hash).where(report.c.incident_id == inc)).scalars().all()
    assert hashes and not any(h in html for h in hashes)
    assert "reporter_hash" not in html
    part = demo.get(f"/ui/partials/incidents/{inc}")
    assert part.status_code == 200 and "<html" not in part.text and 'class="seq-diagram"' in part.text


def test_incident_page_unknown_id_is_404(demo):
    r = demo.get("/ui/incidents/inc_nope")
    assert r.status_code == 404


def test_console_shows_the_acting_partys_inbox_and_legal_steps(demo):
    html = _assert_page(demo.get("/ui/console"))
    assert 'id="act-as"' in html and "data-party-switcher" in html
    assert 'data-live-src="/ui/partials/console?party={party}"' in html
    assert "Loading the inbox" in html  # without a key the page shows no party's data

    def console(party: str | None) -> str:
        r = demo.get("/ui/partials/console", params={"party": party or ""},
                     headers=auth(party) if party else {})
        assert r.status_code == 200, r.text
        return r.text

    acrc = console("acrc")
    assert acrc.count('class="inbox-item"') == 5 and acrc.count("Register complaint") == 5
    assert 'name="complaint_no"' in acrc and 'data-api="/v1/agency/incidents/' in acrc
    assert 'data-count="0"' in console("molit")
    assert "has no steps in the handoff chain" in console("tmap")
    # the key decides, not the query parameter
    r = demo.get("/ui/partials/console", params={"party": "acrc"}, headers=auth("tmap"))
    assert "has no steps" in r.text and "inbox-item" not in r.text
    bad = demo.get("/ui/partials/console", headers={"authorization": "Bearer wrong"})
    assert bad.status_code == 200 and "Loading the inbox" in bad.text

    inc = next(i["id"] for i in _incidents(demo) if i["agency"] == "kec")
    _step(demo, inc, "acrc", type="complaint_registered", complaint_no="1AA-9")
    molit = console("molit")
    assert f'id="asg-{inc}"' in molit and 'value="kec" selected' in molit
    _step(demo, inc, "molit", type="assigned")
    kec = console("kec")
    assert f'data-incident="{inc}"' in kec
    for label in ("Acknowledge", "Close incident", "Transfer", "Outcome", "Species confirmed on site"):
        assert label in kec
    assert "Dispatch a crew" not in kec  # only from acknowledged
    assert f'data-incident="{inc}"' not in console("daejeon-rolm")
    _step(demo, inc, "kec", type="closed", outcome="removed", species_confirmed="water_deer")
    me = console("me")
    assert 'data-kind="me"' in me and f'href="/ui/incidents/{inc}"' in me and "removed" in me


def test_analytics_charts_from_sql_aggregates(demo):
    inc = next(i["id"] for i in _incidents(demo) if i["agency"] == "kec")
    _step(demo, inc, "acrc", type="complaint_registered", complaint_no="1AA-3")
    _step(demo, inc, "molit", type="assigned")
    _step(demo, inc, "kec", type="closed", outcome="removed", species_confirmed="water_deer")
    html = _assert_page(demo.get("/ui/analytics"))
    assert 'data-total="5"' in html
    assert len(re.findall(r'<svg[^>]*class="chart-svg"', html)) == 4
    for text in ("Incidents by species", "Incidents by month", "time to clear by road agency", "고라니",
                 "한국도로공사"):
        assert text in html
    p = demo.app.state.platform
    a = ui_data.analytics(p)
    assert sum(n for _, n in a["species_series"]) == 5
    assert sum(n for _, n in a["month_series"]["reported"]) == 5
    assert [r["agency_l"]["code"] for r in a["ttc_rows"]] == ["kec"] and a["ttc_rows"][0]["count"] == 1


def test_report_form_posts_as_tmap(demo):
    html = _assert_page(demo.get("/ui/report"))
    assert 'data-api="/v1/voice-reports"' in html and 'data-party="tmap"' in html
    assert 'data-redirect="/ui/incidents/{incident_id}"' in html
    for name in ("transcript", "lat", "lon", "reporter", "reported_at", "consent"):
        assert f'name="{name}"' in html
    labels = set(re.findall(r'<label for="([^"]+)"', html))
    controls = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html))
    assert controls and controls <= labels | {"api-key"}


def test_incidents_version_moves_with_reports_and_steps(client):
    p = client.app.state.platform
    v0 = pages.incidents_version(p)
    r = client.post("/v1/voice-reports", json=report_body(*EXPRESSWAY), headers=auth("tmap"))
    inc = r.json()["incident_id"]
    v1 = pages.incidents_version(p)
    assert v1 != v0
    client.post("/v1/voice-reports", json=report_body(reporter="another"), headers=auth("tmap"))  # merged
    v2 = pages.incidents_version(p)
    assert v2 != v1
    _step(client, inc, "acrc", type="complaint_registered", complaint_no="1AA-4")
    assert pages.incidents_version(p) != v2
    assert kit.versions["incidents"] is pages.incidents_version and "trace" in kit.versions
