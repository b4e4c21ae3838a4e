"""The three-cases page in headless Chromium: the same page on every service, the three cases side by side
along the considerations, Tables 2 and 9, live counts read over HTTP, and a service that is not running shown
as such while the page still renders.

Two services run (roadkill, peaks); onestop's address points at a port nobody listens on. A module of its own:
Playwright's sync API holds an event loop while the browser is open.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from shared import testing
from shared.case_account import CONSIDERATION_KEYS, framework
from tests.browser import (  # noqa: F401
    browser,
    close_streams,
    low_contrast_text,
    page_checker,
    screenshot,
    unlabelled_controls,
)
from tests.reliability.support import bearer, create_app, quiet_settings
from tests.roadkill.conftest import EXPRESSWAY, report_body

pytestmark = pytest.mark.browser
RUNNING = ("roadkill", "peaks")


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict[str, str]]:
    """roadkill and peaks live, each told where all three are; onestop's port is free (not running)."""
    ports = {name: testing.free_port() for name in ("roadkill", "peaks", "onestop")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    schemas = []
    with ExitStack() as stack:
        for name in RUNNING:
            tmp = tmp_path_factory.mktemp(name)
            db = testing.database_overrides(tmp, name)
            schemas.append(db.get("db_schema"))
            app = create_app(name, **quiet_settings(db, tmp, cases_base_urls=urls, cases_timeout_s=2.0,
                                                    seed_on_start=False, public_base_url=urls[name]))
            stack.enter_context(testing.live_server(app, ports[name]))
        try:
            yield urls
        finally:
            stack.close()
            for schema in schemas:
                testing.drop_schema(schema)


def _comparison_text(page) -> str:
    """The side-by-side table and the two framework tables: what must be identical wherever the page is opened."""
    return "\n".join(page.inner_text(sel) for sel in ("table.cases-grid", "dl.framework", "table.models"))


def test_three_cases_page_is_the_same_everywhere_with_live_counts(servers, page_checker):  # noqa: F811
    page = page_checker.page
    page.set_default_timeout(20_000)
    # Something crosses a party boundary in roadkill, so its live counts are not all zero.
    r = httpx.post(servers["roadkill"] + "/v1/voice-reports", headers=bearer("tmap"), timeout=10,
                   json=report_body(*EXPRESSWAY))
    assert r.status_code == 201, r.text
    texts = {}
    for name in RUNNING:
        page.goto(servers[name] + "/ui/three-cases")
        grid = page.locator("table.cases-grid")
        # Three columns, one per case, in the same order, whichever service shows the page.
        assert page.locator("table.cases-grid thead th[data-service]").evaluate_all(
            "ths => ths.map(t => t.dataset.service)") == ["roadkill", "peaks", "onestop"]
        # Every consideration row of Tables 4/6/8 plus the model row.
        assert grid.locator("tbody tr").evaluate_all("rs => rs.map(r => r.dataset.row)") == [
            *CONSIDERATION_KEYS, "model"]
        status = {s: page.get_attribute(f"td[data-service={s}][data-status]", "data-status")
                  for s in ("roadkill", "peaks", "onestop")}
        assert status == {"roadkill": "running", "peaks": "running", "onestop": "not running"}
        assert "not running" in page.inner_text("td[data-service=onestop][data-status]")
        # Live counts, read from roadkill's /v1/about: the report filed above is one incident and a message.
        assert int(page.inner_text("td[data-service=roadkill][data-live='subjects.incident']").replace(",", "")) >= 1
        assert int(page.inner_text("td[data-service=roadkill][data-live=messages]").replace(",", "")) >= 1
        # Every fact in the comparison carries its provenance mark.
        assert grid.locator(".fact").count() > 40
        assert grid.locator(".fact").count() == grid.locator(".fact .prov").count()
        # Table 2's six items and questions; Table 9's two models.
        assert page.locator("dl.framework dt").all_inner_texts() == [q.name for q in framework().considerations]
        assert "Can science and technology be applied to the collaboration in the future?" in page.inner_text(
            "dl.framework")
        assert page.locator("table.models thead th[data-model]").all_inner_texts() == [
            m.name for m in framework().models]
        # Each consideration links to the place in the running system that shows it, on that service's host.
        other = "peaks" if name == "roadkill" else "roadkill"
        link = page.locator(f"tr[data-row=resource_sharing] td[data-service={other}] a").first.get_attribute("href")
        assert link.startswith(servers[other] + "/ui/")
        own = page.locator(f"tr[data-row=resource_sharing] td[data-service={name}] a").first.get_attribute("href")
        assert own.startswith("/ui/")
        assert unlabelled_controls(page) == [] and low_contrast_text(page) == []
        texts[name] = re.sub(r"https?://127\.0\.0\.1:\d+", "", _comparison_text(page))
        screenshot(page, f"three-cases-from-{name}")
    assert texts["roadkill"] == texts["peaks"]
    # A trainer reaches the page from every About page's navigation.
    page.goto(servers["peaks"] + "/ui/")
    assert page.locator(".fact").count() == page.locator(".fact .prov").count() > 50  # the About page's marks
    assert low_contrast_text(page) == []
    page.click("nav >> text=Three cases")
    page.wait_for_url("**/ui/three-cases")
    close_streams(page)
