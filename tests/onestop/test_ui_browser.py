"""The trainer's journey through the onestop pages in headless Chromium (issue 6).

Relay on (the referral webhook really travels to the simulated agency), autopilot off: the test plays the
counsellor (intake → assessment → recommendations → consent → referral) and then the agency in its inbox,
while the referral board stays open in a tab of its own and must follow every change without a reload.
A module of its own (Playwright's sync API holds an event loop).
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

import httpx
import pytest

from services.onestop.app import create_app
from services.onestop.domain.consent_policy import consent_policy
from services.onestop.flows.common import today_kst
from shared.testing import free_port, live_server
from tests.browser import (  # noqa: F401  (fixtures are registered by importing them)
    browser,
    browser_page,
    close_streams,
    low_contrast_text,
    page_checker,
    screenshot,
    unlabelled_controls,
)
from tests.onestop.conftest import HUB, auth, settings

SERVICE_NAME = "onestop"
pytestmark = pytest.mark.browser
CASE_URL = re.compile(r".*/ui/cases/(case_[0-9A-Z]+)$")
RESIDENT_URL = re.compile(r".*/ui/intake\?resident=(res_[0-9A-Z]+)$")
SERVICE = "ccrs-long-term-small-delinquent"


def _watch(checker, page) -> None:
    """A second tab reports its console errors and page errors to the same checker."""
    page.set_default_timeout(15_000)
    page.on("console", checker._console)
    page.on("pageerror", lambda exc: checker.page_errors.append(str(exc)))


def _accessible(page) -> None:
    assert unlabelled_controls(page) == []
    assert low_contrast_text(page) == []


def _api(server, path: str, party: str = HUB) -> dict:
    r = httpx.get(server.url + path, headers=auth(party))
    assert r.status_code == 200, r.text
    return r.json()


def _consent_count(server, resident_id: str) -> int:
    return len(_api(server, f"/v1/residents/{resident_id}/consents")["items"])


def test_trainer_journey(db, browser_page, page_checker):  # noqa: F811
    port = free_port()
    app = create_app(settings(db, public_base_url=f"http://127.0.0.1:{port}", relay_enabled=True,
                              relay_poll_interval_s=0.05, autopilot_enabled=False, log_level="WARNING"))
    page = browser_page
    page.set_default_timeout(15_000)
    with live_server(app, port) as server:
        # -- landing: the case, the parties with Korean names, the six considerations
        page.goto(server.url + "/ui/")
        assert "신용회복위원회" in page.inner_text("table.parties")
        _accessible(page)
        screenshot(page, "onestop-landing")

        # -- the referral board stays open in a tab of its own, watching
        board = page.context.new_page()
        _watch(page_checker, board)
        board.goto(server.url + "/ui/board")
        board.wait_for_selector("#board .board[data-loaded]")
        board.wait_for_selector("body[data-sse-state=open]")
        assert board.get_attribute("#board .board", "data-total") == "0"
        board.evaluate("window.__noReload = 1")
        _accessible(board)

        # -- intake: register the resident, then the one assessment
        page.goto(server.url + "/ui/intake")
        _accessible(page)
        born = today_kst(datetime.now(UTC))  # the live server runs on the real clock
        page.fill("#f-resident-name", "김영수")
        page.fill("#f-resident-birth_date", date(born.year - 53, born.month, 1).isoformat())
        page.select_option("#f-resident-gender", "male")
        page.fill("#f-resident-phone", "010-5555-0101")
        page.click("#resident button[type=submit]")
        page.wait_for_url(RESIDENT_URL)
        resident_id = RESIDENT_URL.match(page.url).group(1)
        assert page.input_value("#f-assess-resident_id") == resident_id
        page.fill("#f-assess-assessment-monthly_income_krw", "800000")
        page.fill("#f-assess-assessment-debt_total_krw", "8000000")
        page.fill("#f-assess-assessment-months_overdue", "132")
        page.fill("#f-assess-assessment-credit_score", "610")
        page.select_option("#f-assess-assessment-employment_status", "unemployed")
        _accessible(page)
        screenshot(page, "onestop-intake")
        page.click("#assess button[type=submit]")
        page.wait_for_url(CASE_URL)
        case_id = CASE_URL.match(page.url).group(1)

        # -- recommendations with reasons and the rules version
        page.wait_for_selector("#case-detail .case-detail[data-loaded]")
        row = page.locator(f"#case-detail tr[data-service='{SERVICE}']")
        assert row.get_attribute("data-verdict") == "eligible"
        assert page.get_attribute("#case-detail tr[data-service='midlife-job-placement']", "data-verdict") == "eligible"
        assert page.get_attribute("#case-detail tr[data-service='microcredit-loan']", "data-verdict") == "eligible"
        youth = page.locator("#case-detail tr[data-service='cnu-youth-career-counselling']")
        assert youth.get_attribute("data-verdict") == "not_eligible"
        assert "age" in youth.inner_text()  # the reason in words
        assert page.inner_text("[data-rules-version]").strip()
        _accessible(page)
        screenshot(page, "onestop-recommendations")

        # -- consent: five items, all required
        row.locator("a:has-text('Take consent')").click()
        page.wait_for_selector("#consent")
        _accessible(page)
        policy = consent_policy().agencies["ccrs"]
        assert page.input_value("#f-consent-recipient") == "ccrs"
        assert page.input_value("#f-consent-purpose") == policy.purpose_en
        assert page.input_value("#f-consent-retention") == policy.retention_en
        page.select_option("#f-consent-language", "ko")  # the registered texts follow the language
        assert page.input_value("#f-consent-purpose") == policy.purpose_ko
        page.select_option("#f-consent-language", "en")
        page.fill("#f-consent-taken_by", "counsellor Park")
        # First try: item 5 (right to refuse) not confirmed and item 2 (purpose) cleared → the browser blocks it.
        page.fill("#f-consent-purpose", "")
        page.click("#consent button[type=submit]")
        page.wait_for_timeout(400)
        assert page.url.endswith(f"/ui/cases/{case_id}/consent?agency=ccrs")
        assert page.evaluate("document.querySelector('#f-consent-purpose').validity.valueMissing")
        assert page.evaluate("document.querySelector('#f-consent-refusal_explained').validity.valueMissing")
        assert page.evaluate("document.querySelector('#consent').checkValidity()") is False
        assert _consent_count(server, resident_id) == 0
        screenshot(page, "onestop-consent-blocked")
        # The server refuses it too, even when the page's checks are bypassed.
        page_checker.allow_status(422)
        answer = page.evaluate("""(rid) => window.CPA.api('/ui/api/residents/' + rid + '/consents',
            {method: 'POST', party: 'bukgu-hub', body: {recipient: 'ccrs', categories: ['identity'],
             retention: 'x', refusal_explained: false, taken_by: 'c'}})""", resident_id)
        assert answer["status"] == 422
        assert {e["field"] for e in answer["data"]["errors"]} >= {"purpose"}
        assert _consent_count(server, resident_id) == 0
        # Now complete: the registered purpose back, the refusal explained.
        page.select_option("#f-consent-recipient", "ccrs")  # refills purpose and retention for ccrs
        assert page.input_value("#f-consent-purpose") == policy.purpose_en
        page.check("#f-consent-refusal_explained")
        assert page.evaluate("document.querySelector('#consent').checkValidity()") is True
        screenshot(page, "onestop-consent")
        page.click("#consent button[type=submit]")
        page.wait_for_url(CASE_URL)
        assert _consent_count(server, resident_id) == 1

        # -- send the referral
        page.wait_for_selector(f"#case-detail tr[data-service='{SERVICE}'] .consented")
        page.click(f"#case-detail tr[data-service='{SERVICE}'] button:has-text('Send referral')")
        page.wait_for_selector("#case-refs tr[data-referral][data-status=requested]")
        referral_id = page.get_attribute("#case-refs tr[data-referral]", "data-referral")
        # The board learns of it without a reload.
        board.wait_for_selector(f"#board .column[data-state=requested] li[data-referral='{referral_id}']")
        assert board.evaluate("window.__noReload") == 1
        screenshot(page, "onestop-case-referred")

        # -- the referral page: the sequence diagram of its trace and the fields each party received
        page.goto(server.url + f"/ui/referrals/{referral_id}")
        page.wait_for_selector("#referral svg.seq-diagram g.hop[data-status=delivered]")  # the relay delivered it
        events = _api(server, f"/v1/referrals/{referral_id}/trace")["events"]
        seqs = page.eval_on_selector_all("#referral svg.seq-diagram g.hop", "els => els.map(e => Number(e.dataset.seq))")
        assert seqs == [e["seq"] for e in events]
        assert "debt_total_krw" in page.inner_text("#referral table.received")
        assert "disability_registered" not in page.inner_text("#referral table.received")
        _accessible(page)
        screenshot(page, "onestop-referral")

        # -- act as the agency in its inbox: its referral only, consented fields only
        page.goto(server.url + "/ui/inbox?party=ccrs")
        page.wait_for_selector(f"#inbox .inbox-body[data-party=ccrs] tr[data-referral='{referral_id}']")
        page.click(f"#inbox tr[data-referral='{referral_id}'] a")
        page.wait_for_selector(f"#inbox .selected[data-referral='{referral_id}']")
        page.wait_for_selector(f"#inbox-data table.received-data[data-referral='{referral_id}']")
        shown = set(page.get_attribute("#inbox-data table.received-data", "data-fields").split())
        via_api = _api(server, f"/v1/agency/referrals/{referral_id}", party="ccrs")
        assert shown == set(via_api["data"])
        assert "debt_total_krw" in shown and "disability_registered" not in shown
        allowed = page.get_attribute("#inbox .moves", "data-allowed").split()
        assert allowed == via_api["allowed_next"] == ["accepted", "rejected", "entered-in-error"]
        _accessible(page)
        screenshot(page, "onestop-inbox-ccrs")
        # Another agency's inbox neither lists it nor opens it.
        page.select_option("#act-as", "kamco")
        page.wait_for_selector("#inbox .inbox-body[data-party=kamco]")
        assert page.locator(f"#inbox tr[data-referral='{referral_id}']").count() == 0
        assert page.locator(f"#inbox [data-missing='{referral_id}']").count() == 1
        page.wait_for_selector("#inbox-data[data-refreshed]:not(:has(table.received-data))", state="attached")
        assert "debt_total_krw" not in page.inner_text("main")
        screenshot(page, "onestop-inbox-kamco")
        page.select_option("#act-as", "ccrs")
        page.wait_for_selector(f"#inbox .selected[data-referral='{referral_id}'][data-status=requested]")

        # -- accept, then complete; the board follows each step without a reload
        page.click("#inbox .moves button:has-text('Move to Accepted')")
        page.wait_for_selector(f"#inbox .selected[data-referral='{referral_id}'][data-status=accepted]")
        board.wait_for_selector(f"#board .column[data-state=accepted] li[data-referral='{referral_id}']")
        page.select_option("#f-move-completed-outcome", "debt-adjusted")
        _accessible(page)
        page.click("#move-completed button[type=submit]")
        page.wait_for_selector(f"#inbox .selected[data-referral='{referral_id}'][data-status=completed]")
        board.wait_for_selector(f"#board .column[data-state=completed] li[data-referral='{referral_id}']")
        assert board.locator(f"#board .column[data-state=accepted] li[data-referral='{referral_id}']").count() == 0
        assert board.evaluate("window.__noReload") == 1
        assert int(board.get_attribute("#board", "data-refreshed")) >= 3
        _accessible(board)
        screenshot(board, "onestop-board")
        screenshot(page, "onestop-inbox-completed")
        close_streams(board)

        # -- the resident's access log shows the agency's reads
        page.goto(server.url + f"/ui/access-log?resident={resident_id}")
        page.wait_for_selector(f"#access .access-log tr[data-party=ccrs][data-resource='referral:{referral_id}']")
        # Real openings only — the page's two (as ccrs, and again after switching back from kamco) and the
        # test's own API read — not one per live refresh of the inbox.
        assert page.locator("#access tr[data-party=ccrs]").count() == 3
        assert "신용회복위원회" in page.inner_text("#access tr[data-party=ccrs]")
        assert page.locator("#access tr[data-party=kamco]").count() == 0
        _accessible(page)
        screenshot(page, "onestop-access-log")

        # -- a meeting with its generated agenda, and the linkage dashboard
        page.goto(server.url + "/ui/meetings")
        page.fill("#f-meeting-stalled_days-requested", "0")
        _accessible(page)
        page.click("#meeting button[type=submit]")
        page.wait_for_url(re.compile(r".*/ui/meetings/mtg_[0-9A-Z]+$"))
        page.wait_for_selector("#meeting .meeting[data-loaded] li.agenda-item[data-decided=false]")
        _accessible(page)
        screenshot(page, "onestop-meeting")
        item = page.locator("#meeting li.agenda-item[data-decided=false]").first
        item_id = item.get_attribute("data-item")
        item.locator("select[name=action]").select_option("monitor")
        item.locator("input[name=note]").fill("call again next week")
        item.locator("button[type=submit]").click()
        page.wait_for_selector(f"#meeting li.agenda-item[data-item='{item_id}'][data-decided=true] .decision[data-action=monitor]")
        page.goto(server.url + "/ui/linkage")
        page.wait_for_selector("#linkage .linkage[data-loaded] svg.chart-svg")
        assert page.locator("#linkage tr[data-suppressed=true]").count() >= 1
        assert "<5" in page.inner_text("#linkage table.groups")
        _accessible(page)
        screenshot(page, "onestop-linkage")
        close_streams(page)
    page_checker.assert_clean()
