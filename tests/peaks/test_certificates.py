"""Certificates: public verification without personal data, a real PDF whose QR code decodes to the
verification URL, and the medal shipping list for Ulju-gun only."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
from PIL import Image
from pypdf import PdfReader
from pyzbar.pyzbar import decode

from services.peaks.domain import certificate_pdf

from .support import ACTIVE, SAFE_SEEDS, month_of, photo, register, staff, upload

SERVICE_NAME = "peaks"


@pytest.fixture
def peaks_settings(peaks_settings):
    """No demo climbers (their photos cost ~1 s of start-up per app); these tests make their own data."""
    return peaks_settings.model_copy(update={"seed_on_start": False})
FIVE_EN = ("Ulju-gun", "Miryang-si", "Yangsan-si", "Gyeongju-si", "Cheongdo-gun")
FIVE_KO = ("울주군", "밀양시", "양산시", "경주시", "청도군")


def _finish(c, name: str, seeds) -> tuple[str, dict, str]:
    cid, auth = register(c, name, birth_year=1985)
    for i, code in enumerate(ACTIVE):
        body = upload(c, auth, code, photo(code, seed=next(seeds), month=month_of(i))).json()
        assert body["verdict"] == "approved", body["checks"]
    prog = c.get(f"/v1/climbers/{cid}/progress", headers=auth).json()
    assert prog["complete"] and prog["certificate"]
    return cid, auth, prog["certificate"]["number"]


def qr_codes_in(pdf: bytes, tmp_path) -> list[str]:
    """Renders page 1 with poppler's pdftoppm and decodes every QR code on it (zbar); falls back to the
    images embedded in the PDF when poppler is not installed."""
    if shutil.which("pdftoppm"):
        src = tmp_path / "cert.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", "-f", "1", "-l", "1", str(src),
                        str(tmp_path / "page")], check=True, timeout=60)
        images = [Image.open(tmp_path / "page.png")]
    else:
        images = [Image.open(io.BytesIO(im.data)) for im in PdfReader(io.BytesIO(pdf)).pages[0].images]
    return [d.data.decode() for img in images for d in decode(img.convert("L"))]


def test_certificate_verification_pdf_and_shipping_list(peaks_client, peaks_app, tmp_path):
    c = peaks_client
    settings = peaks_app.state.platform.settings
    seeds = iter(SAFE_SEEDS)
    cid, auth, number = _finish(c, "김등산 Kim", seeds)

    # Public verification: display name, season, rank, date, the five municipalities; nothing personal.
    r = c.get(f"/v1/certificates/{number}")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["number"] == number and doc["valid"] and doc["display_name"] == "김등산 Kim"
    assert doc["season"] == "2026" and doc["rank"] == 1 and doc["first_place"] and doc["completed_on"] == "2026-11-29"
    assert [m["name_en"] for m in doc["municipalities"]] == list(FIVE_EN)
    assert [m["name_ko"] for m in doc["municipalities"]] == list(FIVE_KO)
    assert doc["verification_url"] == f"{settings.base_url}/v1/certificates/{number}"
    for private in ("kim@example.org", "1985", cid, "contact", "birth", "address", "medal"):
        assert private not in r.text, private
    opened = c.get(f"/open/v1/certificates/{number}", headers=staff("cheongdo"))
    assert opened.status_code == 200 and opened.json() == doc and "x-ratelimit-remaining" in opened.headers
    for bad in ("YA-2026-999999", "nonsense", "YA-2026-000001x"):
        assert c.get(f"/v1/certificates/{bad}").status_code == 404
        assert c.get(f"/v1/certificates/{bad}.pdf").status_code == 404

    # The PDF opens, names the five municipalities, and its QR code decodes to the verification URL.
    pdf = c.get(f"/v1/certificates/{number}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert number in text and "Kim" in text
    for name in FIVE_EN:
        assert name in text, name
    if certificate_pdf.korean_font() is not None:
        for name in FIVE_KO:
            assert name in text, name
        assert "김등산" in text
    assert qr_codes_in(pdf.content, tmp_path) == [doc["verification_url"]]

    # Medal shipping list: Ulju-gun only, with the address the climber gave (formulas neutralised).
    assert c.put(f"/v1/climbers/{cid}/shipping-address", headers=auth,
                 json={"address": '=HYPERLINK("x") 울산광역시 울주군 상북면, "101호"'}).status_code == 200
    sheet = c.get("/v1/medals/shipments.csv", headers=staff("ulju"))
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["certificate_number"] == number and row["display_name"] == "김등산 Kim" and row["medal"] == "yes"
    assert row["shipping_address"] == '\'=HYPERLINK("x") 울산광역시 울주군 상북면, "101호"'
    for party in ("miryang", "yangsan", "gyeongju", "cheongdo"):
        assert c.get("/v1/medals/shipments.csv", headers=staff(party)).status_code == 403
    assert c.get("/v1/medals/shipments.csv").status_code == 401
    assert c.get("/v1/medals/shipments.csv", headers=auth).status_code == 401  # a climber token is no key
    assert list(csv.reader(io.StringIO(c.get("/v1/medals/shipments.csv", params={"season": "2019"},
                                             headers=staff("ulju")).content.decode("utf-8-sig")))) == [
        ["certificate_number", "season", "rank", "display_name", "shipping_address", "medal", "issued_on",
         "shipped_at"]]


def test_pdf_without_a_korean_font_falls_back_to_romanised_names(monkeypatch, tmp_path):
    from datetime import UTC, datetime

    monkeypatch.setattr(certificate_pdf, "korean_font", lambda: None)
    view = certificate_pdf.CertificateView("YA-2026-000042", "박지민", "2026", 42, False,
                                            datetime(2026, 6, 1, 3, tzinfo=UTC))
    url = "https://peaks.example/v1/certificates/YA-2026-000042"
    pdf = certificate_pdf.render_pdf(view, url)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for name in FIVE_EN:
        assert name in text
    assert qr_codes_in(pdf, tmp_path) == [url]
