"""The trainer's journey through the roadkill pages in headless Chromium (issue 6).

Relay on (webhooks really travel to the simulated parties), autopilot off: the test plays ACRC, MOLIT and
the road agencies through the agency console, while an incident board and a map stay open in other tabs
and must follow every change without a reload. A module of its own (Playwright's sync API holds a loop).
"""
from __future__ import annotations

import re

import httpx
import pytest

from services.roadkill.app import create_app
from shared.testing import free_port, live_server, wait_until
from tests.browser import (  # noqa: F401  (fixtures are registered by importing them)
    browser,
    browser_page,
    close_streams,
    low_contrast_text,
    page_checker,
    screenshot,
    unlabelled_controls,
)
from tests.roadkill.conftest import auth

SERVICE_NAME = "roadkill"
pytestmark = pytest.mark.browser
INCIDENT_URL = re.compile(r".*/ui/incidents/(inc_[0-9A-Z]+)$")


def _watch(checker, page) -> None:
    """A second tab reports its console errors and page errors to the same checker."""
    page.set_default_timeout(15_000)
    page.on("console", checker._console)
    page.on("pageerror", lambda exc: checker.page_errors.append(str(exc)))


def _accessible(page) -> None:
    assert unlabelled_controls(page) == []
    assert low_contrast_text(page) == []


def _trace(server, inc: str) -> list[dict]:
    r = httpx.get(f"{server.url}/v1/incidents/{inc}/trace", headers=auth("chungnam"))
    assert r.status_code == 200, r.text
    return r.json()["events"]


def _diagram_seqs(page) -> list[int]:
    return [int(s) for s in page.eval_on_selector_all("#incident svg.seq-diagram g.hop",
                                                      "els => els.map(e => e.dataset.seq)")]


def _act_as(page, party: str) -> None:
    page.select_option("#act-as", party)
    page.wait_for_selector(f"#console .console-body[data-party='{party}']")


def test_trainer_journey(make_settings, browser_page, page_checker):  # noqa: F811
    port = free_port()
    app = create_app(make_settings(public_base_url=f"http://127.0.0.1:{port}", relay_enabled=True,
                                   relay_poll_interval_s=0.05, autopilot_enabled=False))
    page = browser_page
    page.set_default_timeout(15_000)
    with live_server(app, port) as server:
        # -- landing: the case, the parties with Korean names, the six considerations
        page.goto(server.url + "/ui/")
        assert "국민권익위원회" in page.inner_text("table.parties")
        _accessible(page)
        screenshot(page, "roadkill-landing")

        # -- the board and the map stay open in tabs of their own, watching
        board = page.context.new_page()
        _watch(page_checker, board)
        board.goto(server.url + "/ui/incidents")
        board.wait_for_selector("body[data-sse-state=open]")
        assert board.get_attribute("#board table", "data-count") == "0"
        board.evaluate("window.__noReload = 1")
        _accessible(board)
        mapp = page.context.new_page()
        _watch(page_checker, mapp)
        mapp.goto(server.url + "/ui/map")
        mapp.wait_for_selector("body[data-sse-state=open]")
        assert mapp.get_attribute("#map .map-scroll", "data-open-count") == "0"
        assert mapp.locator("svg.map-svg path.road").count() >= 20  # drawn from the service's GeoJSON
        mapp.evaluate("window.__noReload = 1")
        _accessible(mapp)

        # -- a driver's voice report, filed from the browser as T-map
        page.goto(server.url + "/ui/report")
        _accessible(page)
        screenshot(page, "roadkill-report-form")
        page.click("text=Send report")
        page.wait_for_url(INCIDENT_URL)
        inc = INCIDENT_URL.match(page.url).group(1)
        page.wait_for_selector("body[data-sse-state=open]")
        # The relay delivers the complaint to ACRC: the diagram follows without a reload.
        page.evaluate("window.__noReload = 1")
        page.wait_for_selector("#incident svg.seq-diagram g.hop[data-status=delivered]")
        assert page.evaluate("window.__noReload") == 1
        assert _diagram_seqs(page) == [e["seq"] for e in _trace(server, inc)]
        assert "reporter_hash" not in page.content()
        _accessible(page)

        # The board and the map learned about it without a reload.
        board.wait_for_selector(f"#board tr[data-incident='{inc}'][data-status=received]")
        mapp.wait_for_selector(f"#map a.marker[data-incident='{inc}']")
        assert mapp.get_attribute("#map .map-scroll", "data-open-count") == "1"

        # -- ACRC registers the complaint
        page.goto(server.url + "/ui/console?party=acrc")
        page.wait_for_selector(f"#console .console-body[data-party=acrc] li[data-incident='{inc}']")
        _accessible(page)
        screenshot(page, "roadkill-console-acrc")
        page.fill(f"#f-reg-{inc}-complaint_no", "1AA-2611-0000042")
        page.click(f"#reg-{inc} button[type=submit]")
        page.wait_for_selector(f"#console .console-body[data-party=acrc]:not(:has(li[data-incident='{inc}']))")
        board.wait_for_selector(f"#board tr[data-incident='{inc}'][data-status=filed]")

        # -- MOLIT assigns the routed agency (the Gyeongbu Expressway: KEC)
        _act_as(page, "molit")
        page.wait_for_selector(f"#console li[data-incident='{inc}']")
        assert page.input_value(f"#f-asg-{inc}-agency") == "kec"
        _accessible(page)
        screenshot(page, "roadkill-console-molit")
        page.click(f"#asg-{inc} button[type=submit]")
        page.wait_for_selector(f"#console .console-body[data-party=molit]:not(:has(li[data-incident='{inc}']))")
        board.wait_for_selector(f"#board tr[data-incident='{inc}'][data-status=assigned]")

        # -- KEC acknowledges, then decides it is not theirs and transfers it with a reason
        _act_as(page, "kec")
        item = f"#console li[data-incident='{inc}']"
        page.click(f"{item} button:has-text('Acknowledge')")
        page.wait_for_selector(f"{item}[data-status=acknowledged]")
        page.click(f"{item} button[data-disclosure]")
        _accessible(page)
        screenshot(page, "roadkill-console-kec")
        page.select_option(f"#f-xfer-{inc}-to_agency", "daejeon-rolm")
        page.fill(f"#f-xfer-{inc}-reason", "Ramp section managed by the regional office")
        page.click(f"#xfer-{inc} button[type=submit]")
        page.wait_for_selector(f"#console .console-body[data-party=kec]:not(:has(li[data-incident='{inc}']))")
        board.wait_for_selector(f"#board tr[data-incident='{inc}'][data-status=assigned]")

        # -- the regional office acknowledges, dispatches a crew and closes: removed, water deer
        _act_as(page, "daejeon-rolm")
        page.click(f"{item} button:has-text('Acknowledge')")
        page.wait_for_selector(f"{item}[data-status=acknowledged]")
        page.click(f"{item} button:has-text('Dispatch')")
        page.wait_for_selector(f"{item}[data-status=dispatched]")
        mapp.wait_for_selector(f"#map a.marker[data-incident='{inc}'][data-status=dispatched]")
        page.select_option(f"#f-close-{inc}-outcome", "removed")
        page.select_option(f"#f-close-{inc}-species_confirmed", "water_deer")
        _accessible(page)
        screenshot(page, "roadkill-console-road-agency")
        page.click(f"#close-{inc} button[type=submit]")
        page.wait_for_selector(f"#console .console-body[data-party=daejeon-rolm]:not(:has(li[data-incident='{inc}']))")

        # -- cleared: the board and the map follow without a reload
        board.wait_for_selector(f"#board tr[data-incident='{inc}'][data-status=closed]")
        mapp.wait_for_selector("#map .map-scroll[data-open-count='0']")
        assert mapp.locator(f"#map a.marker[data-incident='{inc}']").count() == 0
        assert board.evaluate("window.__noReload") == 1 and mapp.evaluate("window.__noReload") == 1
        screenshot(board, "roadkill-board")
        screenshot(mapp, "roadkill-map")

        # -- ME received its processing record
        _act_as(page, "me")
        page.wait_for_selector(f"#console .console-body[data-kind=me] a[href='/ui/incidents/{inc}']")
        screenshot(page, "roadkill-console-me")

        # -- the whole chain, every hop in order, on the incident page
        events = wait_until(lambda: (ev := _trace(server, inc)) and len(ev) == 14
                            and all(e["status"] in ("delivered", "received") for e in ev) and ev, timeout=20)
        assert [(e["from"], e["to"], e["kind"]) for e in events][-4:] == [
            ("daejeon-rolm", "chungnam", "incident.closed"), ("chungnam", "molit", "outcome.record"),
            ("chungnam", "me", "processing.record"), ("chungnam", "tmap", "incident.status")]
        page.goto(server.url + f"/ui/incidents/{inc}")
        assert _diagram_seqs(page) == [e["seq"] for e in events]
        assert page.locator("#incident svg.seq-diagram g.hop line.msg, #incident svg.seq-diagram g.hop path.msg"
                            ).count() == len(events)  # one arrow per hop
        assert page.locator("#incident table.received tbody tr").count() == len(events)
        assert page.get_attribute("#incident .incident-body", "data-status") == "closed"
        _accessible(page)
        screenshot(page, "roadkill-incident")

        # -- analytics
        page.goto(server.url + "/ui/analytics")
        assert page.locator("svg.chart-svg").count() == 4
        assert "고라니" in page.inner_text("#analytics")
        _accessible(page)
        screenshot(page, "roadkill-analytics")

        for p in (page, board, mapp):
            close_streams(p)
    page_checker.assert_clean()
