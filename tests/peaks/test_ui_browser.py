"""The peaks trainer pages in headless Chromium: a climber's journey from registration to the gallery.

Register → upload a summit photo with GPS (approved, every check with its reason) → upload one without
GPS (needs review) → in a second tab act as Ulju-gun in the review queue and approve it → the progress
page, open all along, updates without a reload → the gallery shows the approved photos; then a finished
climber's certificate page with its QR code and PDF link. A module of its own (see tests/browser.py).
"""
from __future__ import annotations

import httpx
import pytest

from services.peaks.domain import reference
from shared.testing import live_server
from tests.browser import close_streams, low_contrast_text, screenshot, unlabelled_controls
from tests.peaks.support import ACTIVE, month_of, photo, register, upload

SERVICE_NAME = "peaks"
pytestmark = pytest.mark.browser


def _file(data: bytes, name: str = "summit.jpg") -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def _assert_accessible(page) -> None:
    assert unlabelled_controls(page) == []
    assert low_contrast_text(page) == []


def _finished_climber(base_url: str) -> tuple[str, str]:
    """A climber who certified every active peak, through the API (the flows issue the certificate)."""
    with httpx.Client(base_url=base_url, timeout=30) as c:
        cid, headers = register(c, "Eun")
        for i, peak in enumerate(ACTIVE):
            r = upload(c, headers, peak, photo(peak, seed=(55, 57, 59, 61, 63, 66, 68)[i], month=month_of(i)))
            assert r.json()["verdict"] == "approved", r.text
        cert = c.get(f"/v1/climbers/{cid}/progress", headers=headers).json()["certificate"]
    assert cert is not None
    return cert["number"], cert["id"]


def test_climber_journey(peaks_app, browser_page, page_checker):
    page = browser_page
    with live_server(peaks_app) as server:
        base = server.url
        page.goto(base + "/ui/climb")
        page.keyboard.press("Tab")  # keyboard: the first stop is the skip link
        assert page.evaluate("document.activeElement.className") == "skip-link"
        _assert_accessible(page)

        # 1. register (JSON form of the kit) — the token is kept in this tab's sessionStorage
        page.fill("#f-register-display_name", "Dana")
        page.fill("#f-register-contact", "dana@example.org")
        page.fill("#f-register-birth_year", "1988")
        page.click("#register button[type=submit]")
        page.wait_for_selector("[data-climber-known]:not([hidden])")
        assert page.inner_text("[data-climber-name]") == "Dana"
        stored = page.evaluate("JSON.parse(sessionStorage.getItem('cpa.peaks.climber'))")
        assert stored["token"].startswith("clt_") and page.evaluate("localStorage.length") <= 1

        # 2. upload a summit photo with GPS at the summit (multipart from peaks.js)
        page.select_option("#f-upload-peak", "gajisan")
        page.set_input_files("#f-upload-file", files=[_file(photo("gajisan", seed=51))])
        page.click("#upload button[type=submit]")
        card = page.wait_for_selector("#verdict .verdict-card[data-verdict=approved]")
        assert "가지산" in card.inner_text()
        approved = card.get_attribute("data-photo")
        rows = page.locator("#verdict tr.check")
        assert rows.count() >= 10
        for i in range(rows.count()):  # every check shows its result and a reason
            assert rows.nth(i).get_attribute("data-result") in {"pass", "warn", "skip"}
            assert len(rows.nth(i).locator("td").nth(1).inner_text().strip()) > 5
        assert "within" in page.inner_text("#verdict tr[data-check=distance]")
        page.wait_for_function("() => document.querySelector('#verdict img.thumb').naturalWidth > 0")
        _assert_accessible(page)
        screenshot(page, "peaks-climb-approved")

        # 3. a photo without GPS → needs review
        page.select_option("#f-upload-peak", "unmunsan")
        page.set_input_files("#f-upload-file", files=[_file(photo("unmunsan", seed=53, gps=False))])
        page.click("#upload button[type=submit]")
        card = page.wait_for_selector("#verdict .verdict-card[data-verdict=needs_review]")
        waiting = card.get_attribute("data-photo")
        assert page.get_attribute("#verdict tr[data-check=gps_present]", "data-result") == "warn"
        screenshot(page, "peaks-climb-needs-review")

        # 4. the progress page (kept open: it must update by itself)
        page.goto(base + "/ui/progress")
        page.wait_for_selector("#progress tr[data-peak=gajisan][data-state=done]")
        page.wait_for_selector("#progress tr[data-peak=unmunsan][data-state=pending]")
        assert page.get_attribute("#progress g[data-peak=jaeyaksan]", "data-state") == "inactive"
        page.wait_for_selector("body[data-sse-state=open]")
        _assert_accessible(page)
        page.evaluate("window.__noReload = 1")

        # 5. a second tab: act as Ulju-gun in the review queue and approve the photo
        staff = page.context.new_page()
        staff.set_default_timeout(10_000)
        staff.on("console", page_checker._console)
        staff.on("pageerror", lambda exc: page_checker.page_errors.append(str(exc)))
        staff.goto(base + "/ui/review")
        staff.select_option("#act-as", "gyeongju")  # Unmunsan is not in Gyeongju-si's territory
        staff.wait_for_selector(".review-body[data-party=gyeongju]")
        assert staff.locator(f"article[data-photo='{waiting}']").count() == 0
        staff.select_option("#act-as", "ulju")
        staff.wait_for_selector(f".review-body[data-party=ulju] article[data-photo='{waiting}']")
        staff.wait_for_function(f"() => document.querySelector(\"article[data-photo='{waiting}'] img\").naturalWidth > 0")
        _assert_accessible(staff)
        screenshot(staff, "peaks-review-queue")
        staff.select_option(f"#f-review-{waiting}-decision", "approve")
        staff.fill(f"#f-review-{waiting}-reason", "The summit stone of Unmunsan is clearly visible.")
        staff.click(f"#review-{waiting} button[type=submit]")
        staff.wait_for_selector("#live-status:has-text('approved')")
        staff.wait_for_selector(".review-body[data-party=ulju][data-count='0']")

        # 6. the open progress page follows without a reload
        page.wait_for_selector("#progress tr[data-peak=unmunsan][data-state=done]")
        assert page.get_attribute("#progress g[data-peak=unmunsan]", "data-state") == "done"
        assert page.evaluate("window.__noReload") == 1
        assert "2 of 7 peaks done" in page.inner_text("#progress h2")
        screenshot(page, "peaks-progress")

        # 7. the gallery shows both approved photos (EXIF-free derivatives), and filters by peak
        close_streams(staff)
        staff.close()
        page.goto(base + "/ui/gallery")
        for pid in (waiting, approved):
            page.wait_for_selector(f"#gallery li[data-photo='{pid}']")
        page.wait_for_function("() => Array.from(document.querySelectorAll('#gallery img')).every(i => i.complete && i.naturalWidth > 0)")
        assert "Dana" in page.inner_text("#gallery")
        _assert_accessible(page)
        screenshot(page, "peaks-gallery")
        page.select_option("#gallery-peak", "unmunsan")
        page.click("form.filter button[type=submit]")
        page.wait_for_url("**/ui/gallery?peak=unmunsan")
        assert page.locator(f"#gallery li[data-photo='{waiting}']").count() == 1
        assert all("운문산" in t for t in page.locator("#gallery figcaption").all_inner_texts())

        # 8. statistics
        page.goto(base + "/ui/stats")
        assert page.locator("#stats svg").count() >= 3
        _assert_accessible(page)
        screenshot(page, "peaks-stats")

        # 9. a finished climber's certificate: QR code (inline SVG) and the PDF link
        number, cert_id = _finished_climber(base)
        page.goto(base + "/ui/certificates")
        page.click(f"text={number}")
        page.wait_for_selector(f"article.certificate[data-certificate='{number}']")
        assert page.locator("figure.qr svg.segno path").count() >= 1
        assert page.get_attribute("a.verify-url", "href") == f"{base}/v1/certificates/{cert_id}"
        text = page.inner_text("article.certificate")
        for m in reference.municipalities().values():
            assert m.name_en in text and m.name_ko in text
        pdf = page.request.get(base + page.get_attribute("a[data-pdf-link]", "href"))
        assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
        _assert_accessible(page)
        screenshot(page, "peaks-certificate")
        close_streams(page)
