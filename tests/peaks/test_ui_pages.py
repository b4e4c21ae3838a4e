"""The peaks trainer pages, server-side: every page renders with data, carries the CSP, names no outside host,
and the regions with personal data answer only to the climber's token or a reviewer's key."""
from __future__ import annotations

import io
import re

import pytest
import segno
from PIL import Image

from services.peaks.domain import reference
from tests.peaks.support import ACTIVE, month_of, photo, register, staff, upload

SERVICE_NAME = "peaks"
HTML = "text/html"
URL_RE = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)""", re.I)
LOCAL = ("//testserver", "//127.0.0.1", "//localhost")


@pytest.fixture
def world(peaks_client):
    """Climber Ana: one approved summit photo and one without GPS (waiting); Bo: every active peak (certified);
    Cy: an approved photo but no gallery consent."""
    c = peaks_client
    ana, ana_h = register(c, "Ana")
    ok = upload(c, ana_h, "gajisan", photo("gajisan", seed=1))
    assert ok.status_code == 201 and ok.json()["verdict"] == "approved", ok.text
    waiting = upload(c, ana_h, "unmunsan", photo("unmunsan", seed=3, gps=False))
    assert waiting.json()["verdict"] == "needs_review", waiting.text
    bo, bo_h = register(c, "Bo")
    for i, peak in enumerate(ACTIVE):
        r = upload(c, bo_h, peak, photo(peak, seed=5 + 2 * i, month=month_of(i)))
        assert r.json()["verdict"] == "approved", r.text
    progress = c.get(f"/v1/climbers/{bo}/progress", headers=bo_h).json()
    assert progress["complete"], progress
    cy, cy_h = register(c, "Cy", consent=False)
    assert upload(c, cy_h, "sinbulsan", photo("sinbulsan", seed=41)).json()["verdict"] == "approved"
    return {"c": c, "ana": ana, "ana_h": ana_h, "ok": ok.json(), "waiting": waiting.json(), "bo": bo, "bo_h": bo_h,
            "cy_h": cy_h, "cert": progress["certificate"]["id"],
            "cert_number": progress["certificate"]["number"]}


def page(c, url: str, **kw) -> str:
    r = c.get(url, **kw)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith(HTML)
    csp = r.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "default-src 'self'" in csp, (url, csp)
    outside = [u for u in URL_RE.findall(r.text) if not u.split(":", 1)[-1].startswith(LOCAL)]
    assert outside == [], (url, outside)
    assert "<script>" not in r.text and "onclick=" not in r.text.lower()  # no inline script (CSP)
    return r.text


def test_every_page_renders_with_data(world):
    c = world["c"]
    landing = page(c, "/ui/")
    for href in ("/ui/climb", "/ui/progress", "/ui/gallery", "/ui/stats", "/ui/review", "/ui/certificates"):
        assert f'href="{href}"' in landing

    climb = page(c, "/ui/climb")
    season = reference.season("2026")
    for code in season.peaks:  # the active peaks, Korean names beside English
        p = reference.peaks()[code]
        assert f'value="{code}"' in climb and p.name_ko in climb
    assert "jaeyaksan" not in climb  # not in the 2026 season
    assert 'type="file"' in climb and 'data-upload="/v1/photos"' in climb and "peaks.js" in climb

    prog = page(c, "/ui/progress")
    assert all(p.name_ko in prog for p in reference.peaks().values())

    gallery = page(c, "/ui/gallery")
    assert "Ana" in gallery and "Bo" in gallery and "Cy" not in gallery  # Cy did not consent
    assert world["ok"]["id"] in gallery and world["waiting"]["id"] not in gallery
    assert "가지산" in gallery

    stats = page(c, "/ui/stats")
    participants = int(re.search(r'data-stat="participants">([\d,]+)<', stats).group(1).replace(",", ""))
    assert participants >= 3 and 'data-stat="completions">1<' in stats  # (+ the demo climbers)
    assert stats.count("<svg") >= 3 and "가지산" in stats

    review = page(c, "/ui/review")
    assert 'id="act-as"' in review and "/ui/partials/review?party={party}" in review

    certs = page(c, "/ui/certificates")
    assert world["cert_number"] in certs and f'href="/ui/certificates/{world["cert"]}"' in certs

    cert = page(c, f"/ui/certificates/{world['cert']}")
    for m in reference.municipalities().values():
        assert m.name_en in cert and m.name_ko in cert
    assert f'href="/v1/certificates/{world["cert"]}.pdf" data-pdf-link>Download the PDF' in cert
    assert '<svg viewBox="0 0' in cert and 'class="segno"' in cert
    url = f"http://testserver/v1/certificates/{world['cert']}"
    assert url in cert
    # the QR code is exactly the one for the verification URL
    qr = re.search(r'<svg viewBox="0 0 \d+ \d+" class="segno">.*?</svg>', cert, re.S).group(0)
    expected = segno.make(url, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff",
                                                      omitsize=True, title=f"QR code: {url}")
    assert qr == expected
    assert c.get(f"/v1/certificates/{world['cert']}.pdf").headers["content-type"] == "application/pdf"
    assert "Bo" in cert and "example.org" not in cert  # display name only, never the contact
    assert c.get("/ui/certificates/YA-2026-999999").status_code == 404
    assert c.get(f"/ui/certificates/{world['cert_number']}").status_code == 404  # numbers are no addresses


def test_gallery_filter_images_and_views(world):
    c = world["c"]
    before = c.get("/ui/partials/stats").text
    views = int(re.search(r'data-stat="views-today">(\d+)<', before).group(1))
    html = page(c, "/ui/gallery?peak=gajisan")
    assert world["ok"]["id"] in html and "Bo" in html
    only_sinbulsan = page(c, "/ui/partials/gallery?peak=unmunsan")
    assert world["ok"]["id"] not in only_sinbulsan
    after = c.get("/ui/partials/stats").text
    assert f'data-stat="views-today">{views + 1}<' in after  # the page view counted, the partial not
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert srcs
    for src in srcs:
        r = c.get(src)
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert b"Exif" not in r.content[:4096]
        img = Image.open(io.BytesIO(r.content))
        assert not img.getexif() and max(img.size) <= 320
    assert c.get("/ui/gallery?peak=nowhere").status_code == 422


def test_verdict_region_only_for_its_climber_and_reviewers(world):
    c = world["c"]
    pid = world["ok"]["id"]
    html = c.get(f"/ui/partials/photos/{pid}", headers=world["ana_h"]).text
    for check in world["ok"]["checks"]:  # every check with its reason
        assert f'data-check="{check["code"]}"' in html
        assert check["reason"].replace("'", "&#39;").replace('"', "&#34;").split("&")[0] in html
    assert "Approved" in html and f"<strong data-score>{world['ok']['score']}</strong>" in html
    assert c.get(f"/ui/partials/photos/{pid}", headers=world["bo_h"]).status_code == 404
    assert c.get(f"/ui/partials/photos/{pid}").status_code == 401
    assert c.get(f"/ui/partials/photos/{pid}", headers=staff("ulju")).status_code == 200
    assert c.get(f"/ui/partials/photos/{pid}", headers=staff("gyeongju")).status_code == 404  # not its peak


def test_progress_region(world):
    c = world["c"]
    ana = world["ana"]
    html = c.get(f"/ui/partials/progress/{ana}", headers=world["ana_h"]).text
    assert 'data-peak="gajisan" data-state="done"' in html
    assert 'data-peak="unmunsan" data-state="pending"' in html
    assert 'data-peak="jaeyaksan" data-state="inactive"' in html
    assert 'data-peak="sinbulsan" data-state="remaining"' in html
    assert "Ana — 1 of 7 peaks done" in html and "가지산" in html
    assert c.get(f"/ui/partials/progress/{ana}", headers=staff("ulju")).status_code == 200
    assert c.get(f"/ui/partials/progress/{ana}", headers=staff("miryang")).status_code == 403
    assert c.get(f"/ui/partials/progress/{ana}", headers=world["bo_h"]).status_code == 403
    done = c.get(f"/ui/partials/progress/{world['bo']}", headers=world["bo_h"]).text
    assert f'href="/ui/certificates/{world["cert"]}"' in done and 'data-complete="true"' in done


def test_review_queue_by_territory_and_decision(world):
    c = world["c"]
    pid = world["waiting"]["id"]  # Unmunsan: Miryang-si and Cheongdo-gun
    for party, sees in (("ulju", True), ("miryang", True), ("cheongdo", True), ("gyeongju", False)):
        html = c.get("/ui/partials/review", params={"party": party}, headers=staff(party)).text
        assert (pid in html) is sees, party
    assert c.get("/ui/partials/review").status_code == 401
    assert c.get("/ui/partials/review", headers=world["ana_h"]).status_code == 401
    html = c.get("/ui/partials/review", headers=staff("miryang")).text
    assert f'data-api="/v1/photos/{pid}/review"' in html and 'name="decision"' in html and 'name="reason"' in html
    r = c.post(f"/v1/photos/{pid}/review", json={"decision": "approve", "reason": "Summit stone visible."},
               headers=staff("miryang"))
    assert r.status_code == 200
    assert pid not in c.get("/ui/partials/review", headers=staff("ulju")).text
    prog = c.get(f"/ui/partials/progress/{world['ana']}", headers=world["ana_h"]).text
    assert 'data-peak="unmunsan" data-state="done"' in prog
    verdict = c.get(f"/ui/partials/photos/{pid}", headers=world["ana_h"]).text
    assert "Summit stone visible." in verdict and "miryang" in verdict


def test_photos_version_moves_on_upload_and_review(world):
    from services.peaks.flows import queries

    p = world["c"].app.state.platform
    v0 = queries.photos_version(p)
    r = world["c"].post(f"/v1/photos/{world['waiting']['id']}/review",
                        json={"decision": "reject", "reason": "No summit stone."}, headers=staff("ulju"))
    assert r.status_code == 200
    assert queries.photos_version(p) != v0
