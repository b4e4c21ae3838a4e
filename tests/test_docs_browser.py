"""API documentation and site icon of every service, offline, in headless Chromium.

`/docs` (Swagger UI) and `/redoc` must render every operation from assets the service serves itself:
the page checker (tests/browser.py) fails on any request to a host other than loopback, any console
error (CSP violations included), any uncaught page error, any 4xx/5xx answer and a site icon that does
not load. A module of its own: Playwright's sync API holds an event loop while the browser is open.
"""
from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from shared import testing
from shared.api_docs import DOCS_ASSETS_PATH, DOCS_ASSETS_VERSION
from tests.browser import PageChecker
from tests.reliability.support import SERVICES, create_app, quiet_settings

pytestmark = pytest.mark.browser

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Parsing 1–1.5 MB of JavaScript and laying out a few hundred operations takes seconds on a busy
# 2-core machine: the documentation pages get more time than the checker's default 10 s.
DOCS_TIMEOUT_MS = 45_000


def operation_count(openapi: dict[str, Any]) -> int:
    """Operations the pages show: the paths' and the webhooks' (OpenAPI 3.1 `webhooks` render as operations)."""
    items = [*openapi["paths"].values(), *openapi.get("webhooks", {}).values()]
    return sum(1 for item in items for method in item if method in HTTP_METHODS)


@pytest.fixture(scope="module", params=SERVICES)
def server(request, tmp_path_factory) -> Iterator[testing.LiveServer]:
    """One live service (migrated, seeded) per service, shared by the tests of this module."""
    service = request.param
    tmp = tmp_path_factory.mktemp(service)
    db = testing.database_overrides(tmp, service)
    try:
        app = create_app(service, **quiet_settings(db, tmp))
        with testing.live_server(app) as live:
            yield live
    finally:
        testing.drop_schema(db.get("db_schema"))


@pytest.fixture(scope="module")
def openapi(server) -> dict[str, Any]:
    r = httpx.get(server.url + "/openapi.json", timeout=10)
    assert r.status_code == 200
    return r.json()


def test_swagger_ui_renders_every_operation_offline(server, openapi, page_checker):
    page = page_checker.page
    page.set_default_timeout(DOCS_TIMEOUT_MS)
    page.goto(server.url + "/docs")
    page.wait_for_selector(".opblock")
    expected = operation_count(openapi)
    assert expected > 0
    # Every tag section is expanded (Swagger UI's default), so every operation has its block.
    assert page.locator(".opblock").count() == expected
    assert openapi["info"]["title"] in page.inner_text(".information-container .title")

    # The page works, not just shows: "Try it out" on GET /v1/about answers 200 from this service.
    about = page.locator(".opblock-get:has(.opblock-summary-path[data-path='/v1/about'])")
    about.locator(".opblock-summary-control").click()
    about.locator("button.try-out__btn").click()
    about.locator("button.execute").click()
    about.locator(".live-responses-table tbody .response-col_status").first.wait_for()
    assert about.locator(".live-responses-table tbody .response-col_status").first.inner_text().strip() == "200"
    page_checker.assert_clean()


def test_redoc_renders_every_operation_offline(server, openapi, page_checker):
    page = page_checker.page
    page.set_default_timeout(DOCS_TIMEOUT_MS)
    page.goto(server.url + "/redoc")
    page.wait_for_selector("[data-section-id^='operation/']", state="attached")
    expected = operation_count(openapi)
    assert page.locator("[data-section-id^='operation/']").count() == expected
    assert page.locator("h1").first.inner_text().startswith(openapi["info"]["title"])
    # ReDoc's search runs in a worker (a blob: URL the CSP allows): a query finds an operation.
    page.fill("input[placeholder='Search...']", "about")
    page.wait_for_selector("[data-role='search:results'] li", state="attached")
    page_checker.assert_clean()


def test_docs_pages_and_assets_headers(server):
    with httpx.Client(base_url=server.url, timeout=10) as h:
        for path, marker in [("/docs", "SwaggerUIBundle"), ("/redoc", "<redoc spec-url"),
                             ("/docs/oauth2-redirect", "swaggerUIRedirectOauth2")]:
            r = h.get(path)
            assert r.status_code == 200, path
            assert marker in r.text
            assert "cdn." not in r.text and "fonts.googleapis" not in r.text, path
            csp = r.headers["content-security-policy"]
            script_src = re.search(r"script-src ([^;]*)", csp).group(1).split()
            # Exactly the page's own inline scripts, by hash; nothing else inline, nothing from elsewhere.
            inline = re.findall(r"<script>(.*?)</script>", r.text, re.S)
            hashes = ["'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
                      for s in inline]
            assert script_src == ["'self'", *hashes], path
            assert "'unsafe-eval'" not in csp and "frame-ancestors 'none'" in csp
        assert len(re.findall(r"<script>", h.get("/docs").text)) == 1

        for name, ctype in [("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css"),
                            ("redoc.standalone.js", "javascript")]:
            url = f"{DOCS_ASSETS_PATH}/{name}"
            versioned = h.get(url, params={"v": DOCS_ASSETS_VERSION})
            assert versioned.status_code == 200 and ctype in versioned.headers["content-type"]
            assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
            # Without (or with an old) version token the browser must revalidate; the ETag makes that cheap.
            assert h.get(url).headers["cache-control"] == "no-cache"
            assert h.get(url, params={"v": "0"}).headers["cache-control"] == "no-cache"
            again = h.get(url, params={"v": DOCS_ASSETS_VERSION},
                          headers={"if-none-match": versioned.headers["etag"]})
            assert again.status_code == 304
        # ReDoc's bundle as served names no CDN (its Redocly logo is drawn locally, see shared/api_docs.py).
        redoc_js = h.get(f"{DOCS_ASSETS_PATH}/redoc.standalone.js").text
        assert "Redoc" in redoc_js and "cdn.redoc.ly" not in redoc_js
        missing = h.get(f"{DOCS_ASSETS_PATH}/nothing-here.js")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"


def test_favicon(server):
    with httpx.Client(base_url=server.url, timeout=10) as h:
        ico = h.get("/favicon.ico")
        assert ico.status_code == 200
        assert ico.headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
        assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO directory
        assert ico.headers["cache-control"] == "public, max-age=86400"
        assert h.get("/favicon.ico", headers={"if-none-match": ico.headers["etag"]}).status_code == 304
        svg = h.get("/favicon.svg")
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        assert svg.text.lstrip().startswith("<svg")
        ui = h.get("/ui/")
        assert ui.status_code == 200
        assert '<link rel="icon" href="/favicon.ico"' in ui.text
        assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in ui.text


# -- the checker itself: a page whose icon is missing fails ----------------------------------------

def _iconless_app() -> FastAPI:
    app = FastAPI()

    @app.get("/named", response_class=HTMLResponse)
    def named() -> str:
        return '<!doctype html><html><head><link rel="icon" href="/missing.svg"><title>x</title></head></html>'

    @app.get("/unnamed", response_class=HTMLResponse)
    def unnamed() -> str:
        return "<!doctype html><html><head><title>x</title></head><body>no icon named</body></html>"

    return app


@pytest.mark.parametrize("path, icon", [("/named", "/missing.svg"), ("/unnamed", "/favicon.ico")])
def test_page_checker_fails_on_a_missing_site_icon(browser, path, icon):
    checker = PageChecker(browser)
    try:
        with testing.live_server(_iconless_app()) as live:
            checker.page.goto(live.url + path)
            # Playwright runs event handlers only while the test waits inside Playwright.
            for _ in range(100):
                if checker.icon_problems:
                    break
                checker.page.wait_for_timeout(100)
            checker.page.goto("about:blank")
        assert any(f"{live.url}{icon}" in p and "404" in p for p in checker.icon_problems), checker.icon_problems
        with pytest.raises(AssertionError, match="site icon"):
            checker.assert_clean()
    finally:
        checker.close()
