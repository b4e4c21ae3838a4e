"""Real-browser test helpers: headless Debian Chromium through Playwright's sync API.

Usage in any tests/<service>/test_ui_*.py module::

    import pytest
    from shared.testing import live_server
    from tests.browser import (browser, browser_page, close_streams, page_checker,  # noqa: F401
                               screenshot, unlabelled_controls)

    pytestmark = pytest.mark.browser

    def test_console(app, browser_page, page_checker):  # noqa: F811  (ruff sees the imported fixtures)
        with live_server(app) as server:
            browser_page.goto(server.url + "/ui/")
            assert unlabelled_controls(browser_page) == []
            screenshot(browser_page, "roadkill-landing")
            close_streams(browser_page)  # pages with live regions keep an event stream open
        # page_checker fails the test at teardown on console errors (CSP violations included),
        # uncaught page errors, or any request to a host other than 127.0.0.1/localhost.

Importing the fixture functions registers them in that module (pytest finds fixtures by name in the
module namespace), so no conftest or `pytest_plugins` entry is needed. Fixtures:

- `browser` (module): a Chromium `Browser`; the tests skip with a clear message when
  /usr/bin/chromium is missing (Playwright's own browser download does not work offline).
  Keep browser tests in modules of their own (test_ui_*.py): while the browser is open,
  `asyncio.run()` cannot be called in the same thread (Playwright's loop counts as running).
- `page_checker` (function): a `PageChecker` with a fresh context and `.page`; outside requests are
  aborted (so a test never waits on the network) and recorded; `.assert_clean()` any time;
  `.allow_status(403, 422)` before provoking error answers on purpose (Chromium logs them as errors).
  Besides console errors, page errors and outside requests it fails on any 4xx/5xx answer a page
  received (images and icons included) and, on every page of the context once it has loaded, on a
  site icon that does not load: each `<link rel="icon">` (or `/favicon.ico` when the page names none)
  is fetched and must answer 200 with an image.
- `browser_page` (function): `page_checker.page`.

Helpers: `screenshot(page, name)` -> PNG under <repo>/test-artifacts/screenshots/;
`close_streams(page)` -> leave the page (closes its SSE stream) before the live server stops;
`unlabelled_controls(page)` -> form controls without an accessible name;
`low_contrast_text(page, minimum=4.5)` -> visible text below the contrast ratio.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SKIP_MESSAGE = "Chromium not found at /usr/bin/chromium — install Debian's chromium to run browser tests"
REPO_ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Schemes that never leave the machine.
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}

_FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")

browser_test = pytest.mark.browser


# Module scope, not session: while Playwright's sync API is started, its event loop stays marked as
# running in this thread, so `asyncio.run()` in any later test of the same worker would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(SKIP_MESSAGE)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in the test extras
        pytest.skip("playwright (python) is not installed — pip install -e .[test]")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:
        pw.stop()
        pytest.skip(f"Chromium at {CHROMIUM} did not start: {exc}")
    try:
        yield b
    finally:
        b.close()
        pw.stop()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


class PageChecker:
    """Records what a page must never do: log console errors, throw, or reach another host."""

    def __init__(self, browser: Any, *, viewport: tuple[int, int] = (1280, 900)):
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                           locale="en-US", timezone_id="Asia/Seoul", service_workers="block")
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.outside_requests: list[str] = []
        self.error_responses: list[str] = []
        self.icon_problems: list[str] = []
        self.allowed_statuses: set[int] = set()
        self._icons_checked: set[str] = set()
        self.context.route("**/*", self._route)
        self.context.on("response", self._response)
        self.context.on("page", self._watch_icons)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.status not in self.allowed_statuses:
            self.error_responses.append(f"{response.status} {response.request.method} {response.url}")

    def _watch_icons(self, page: Any) -> None:
        page.on("load", lambda: self._check_icons(page))

    def _check_icons(self, page: Any) -> None:
        """The icons the loaded page names must load (a browser fetches them after the page, so a test
        that moves on at once would never see their 404 in the console)."""
        if not page.url.startswith(("http://", "https://")) or not is_local(page.url):
            return
        try:
            hrefs = page.evaluate(_ICONS_JS)
        except Exception:  # the page navigated on or closed meanwhile: its successor is checked
            return
        for href in hrefs:
            if href in self._icons_checked or not is_local(href):
                continue  # an outside icon is reported as an outside request when the page asks for it
            self._icons_checked.add(href)
            try:
                answer = self.context.request.get(href, timeout=10_000)
            except Exception as exc:  # the live server stopped while the page loaded
                self._icons_checked.discard(href)
                if "closed" not in str(exc).lower():
                    self.icon_problems.append(f"{href} (named by {page.url}): {exc}")
                continue
            ctype = answer.headers.get("content-type", "")
            if answer.status != 200 or not ctype.startswith("image/"):
                self.icon_problems.append(f"{href} (named by {page.url}) answered {answer.status} {ctype}")

    def _route(self, route: Any) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.outside_requests.append(url)
            route.abort("blockedbyclient")

    def allow_status(self, *statuses: int) -> None:
        """Chromium logs every 4xx/5xx fetch as a console error; a test provoking one on purpose says so."""
        self.allowed_statuses.update(statuses)

    def _console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        failed = _FAILED_LOAD.match(msg.text)
        if failed and int(failed.group(1)) in self.allowed_statuses:
            return
        self.console_errors.append(f"{msg.text} ({msg.location.get('url', '')})")

    def problems(self) -> list[str]:
        return ([f"console error: {m}" for m in self.console_errors]
                + [f"page error: {m}" for m in self.page_errors]
                + [f"request outside loopback: {u}" for u in self.outside_requests]
                + [f"error answer: {r}" for r in self.error_responses]
                + [f"site icon: {m}" for m in self.icon_problems])

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "browser problems:\n  " + "\n  ".join(problems)

    def close(self) -> None:
        try:
            self.context.close()
        except Exception:  # the browser may already be gone at the end of the session
            pass


# The icons a page names (what the browser will fetch for its tab), or the default /favicon.ico.
_ICONS_JS = """() => {
  const links = Array.from(document.querySelectorAll('link[rel~="icon" i]')).map(l => l.href).filter(Boolean);
  return links.length ? links : [new URL('/favicon.ico', document.baseURI).href];
}"""


@pytest.fixture
def page_checker(browser: Any) -> Iterator[PageChecker]:
    checker = PageChecker(browser)
    try:
        yield checker
        checker.assert_clean()
    finally:
        checker.close()


@pytest.fixture
def browser_page(page_checker: PageChecker) -> Any:
    return page_checker.page


def close_streams(page: Any) -> None:
    """Leaves the page so its EventSource closes: call it before the live server stops.

    Uvicorn's graceful shutdown waits for open responses, and an event stream never ends by itself.
    """
    page.goto("about:blank")


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Saves <repo>/test-artifacts/screenshots/<name>.png (a name, not a path) and returns the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "page"
    path = SCREENSHOTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


_UNLABELLED_JS = """() => Array.from(document.querySelectorAll(
  'input:not([type=hidden]), select, textarea, button, [role=tab], [role=button]'))
  .filter(el => {
    const labelled = (el.labels && Array.from(el.labels).some(l => l.textContent.trim()))
      || (el.getAttribute('aria-label') || '').trim()
      || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(id => {
           const t = id && document.getElementById(id); return t && t.textContent.trim(); })
      || (el.getAttribute('title') || '').trim()
      || ((el.tagName === 'BUTTON' || el.getAttribute('role')) && el.textContent.trim());
    return !labelled;
  }).map(el => el.outerHTML.slice(0, 160))"""


def unlabelled_controls(page: Any) -> list[str]:
    """Form controls and buttons with no accessible name (label, aria-label(ledby), title or text)."""
    return page.evaluate(_UNLABELLED_JS)


_CONTRAST_JS = """(minimum) => {
  const rgb = s => { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bg = el => { for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || seen.has(el) || !walker.currentNode.textContent.trim()) continue;
    seen.add(el);
    if (el.closest('svg') || el.getClientRects().length === 0) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || Number(st.opacity) < 0.5) continue;
    const fg = rgb(st.color), b = bg(el);
    const l1 = lum(fg), l2 = lum(b);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < minimum) out.push(`${ratio.toFixed(2)} ${el.tagName.toLowerCase()}: ${el.textContent.trim().slice(0, 60)}`);
  }
  return out;
}"""


def low_contrast_text(page: Any, minimum: float = 4.5) -> list[str]:
    """Visible HTML text whose colour against its nearest opaque background is below `minimum`."""
    return page.evaluate(_CONTRAST_JS, minimum)
