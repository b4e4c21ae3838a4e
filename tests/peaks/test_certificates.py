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


def _finish(c, name: str, seeds, *, consent: bool = True) -> tuple[str, dict, dict]:
    """A climber completes the season; Ulju-gun grants the award held for review (synthetic photos)."""
    cid, auth = register(c, name, birth_year=1985, consent=consent)
    for i, code in enumerate(ACTIVE):
        body = upload(c, auth, code, photo(code, seed=next(seeds), month=month_of(i))).json()
        assert body["verdict"] == "approved", body["checks"]
    prog = c.get(f"/v1/climbers/{cid}/progress", headers=auth).json()
    assert prog["complete"] and prog["certificate"]
    if prog["certificate"]["award_status"] == "held":
        assert c.post(f"/v1/certificates/{prog['certificate']['id']}/award", headers=staff("ulju"),
                      json={"decision": "approve", "reason": "Originals checked"}).status_code == 200
    return cid, auth, prog["certificate"]


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
    cid, auth, cert = _finish(c, "김등산 Kim", seeds)
    number, cert_id = cert["number"], cert["id"]

    # Public verification by the certificate's random id: display name (the climber consented), season,
    # rank, date, the five municipalities; nothing personal.
    r = c.get(f"/v1/certificates/{cert_id}")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["id"] == cert_id and doc["number"] == number and doc["valid"] and doc["display_name"] == "김등산 Kim"
    assert doc["season"] == "2026" and doc["rank"] == 1 and doc["first_place"] and doc["completed_on"] == "2026-11-29"
    assert [m["name_en"] for m in doc["municipalities"]] == list(FIVE_EN)
    assert [m["name_ko"] for m in doc["municipalities"]] == list(FIVE_KO)
    assert doc["verification_url"] == f"{settings.base_url}/v1/certificates/{cert_id}"
    for private in ("kim@example.org", "1985", cid, "contact", "birth", "address", "medal"):
        assert private not in r.text, private
    opened = c.get(f"/open/v1/certificates/{cert_id}", headers=staff("cheongdo"))
    assert opened.status_code == 200 and opened.json() == doc and "x-ratelimit-remaining" in opened.headers
    # The number is printed on the certificate but is no address: it would let anyone walk through them all.
    for bad in (number, "YA-2026-999999", "nonsense", "crt_AAAAAAAAAAAAAAAAAAAAAA", cert_id[:-1]):
        assert c.get(f"/v1/certificates/{bad}").status_code == 404
        assert c.get(f"/v1/certificates/{bad}.pdf").status_code == 404

    # The PDF opens, names the five municipalities, and its QR code decodes to the verification URL.
    pdf = c.get(f"/v1/certificates/{cert_id}.pdf")
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


def test_without_consent_the_verification_shows_no_name(peaks_client, tmp_path):
    c = peaks_client
    seeds = iter(SAFE_SEEDS)
    _cid, _auth, shown = _finish(c, "Shown Climber", seeds)
    hidden_cid, auth, hidden = _finish(c, "Hidden Climber", seeds, consent=False)
    assert shown["id"] != hidden["id"] and all(len(x["id"]) == 26 for x in (shown, hidden))

    doc = c.get(f"/v1/certificates/{hidden['id']}").json()
    assert doc["display_name"] is None and doc["name_shown"] is False and doc["number"] == hidden["number"]
    page = c.get(f"/ui/certificates/{hidden['id']}")
    assert page.status_code == 200 and "data-name-withheld" in page.text
    text = PdfReader(io.BytesIO(c.get(f"/v1/certificates/{hidden['id']}.pdf").content)).pages[0].extract_text()
    assert "withheld" in text and hidden["number"] in text
    listing = c.get("/ui/certificates").text
    assert shown["number"] in listing and f'/ui/certificates/{shown["id"]}' in listing
    assert hidden["number"] not in listing and hidden["id"] not in listing
    for where in (doc, page.text, text, listing):
        assert "Hidden Climber" not in str(where)
    # The climber still sees their own certificate (and its address) in their progress, and gets their own
    # copy of the PDF with their name; nobody else gets that copy.
    assert c.get(f"/v1/climbers/{hidden_cid}/progress", headers=auth).json()["certificate"]["id"] == hidden["id"]
    own = c.get(f"/v1/climbers/{hidden_cid}/certificate.pdf", headers=auth)
    assert own.status_code == 200 and own.headers["cache-control"] == "private, no-store"
    own_text = PdfReader(io.BytesIO(own.content)).pages[0].extract_text()
    assert "Hidden Climber" in own_text and "withheld" not in own_text
    assert qr_codes_in(own.content, tmp_path) == [doc["verification_url"]]
    assert c.get(f"/v1/climbers/{hidden_cid}/certificate.pdf", headers=staff("ulju")).status_code == 403
    assert c.get(f"/v1/climbers/{hidden_cid}/certificate.pdf").status_code == 401
    assert c.get(f"/v1/climbers/{hidden_cid}/certificate.pdf", params={"season": "2019"},
                 headers=auth).status_code == 404
    # The public PDF, fetched again after the named copy, still withholds the name (separate cache entries).
    again = c.get(f"/v1/certificates/{hidden['id']}.pdf").content
    assert "Hidden Climber" not in PdfReader(io.BytesIO(again)).pages[0].extract_text()


def test_migration_gives_existing_certificates_random_ids_and_medal_inscriptions(tmp_path):
    """A database at the revision before certificate ids, with two certificates, upgraded to the head."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from services.peaks.app import SPEC, Settings
    from services.peaks.domain.programme import is_certificate_id
    from shared import migrations, testing
    from shared.platform import Platform

    overrides = testing.database_overrides(tmp_path, "peaks")
    platform = Platform(SPEC, Settings(**overrides))
    try:
        migrations.upgrade(platform.db, SPEC.migrations_dir, "7dd5eb54b8e9")
        now = datetime(2026, 6, 1, 3, tzinfo=UTC)
        meta = sa.MetaData(schema=platform.db.schema)
        climber = sa.Table("climber", meta, autoload_with=platform.db.engine)
        cert = sa.Table("certificate", meta, autoload_with=platform.db.engine)
        with platform.db.engine.begin() as conn:
            conn.execute(climber.insert(), [{"id": "clm_1", "display_name": "Old", "contact": "o@example.org",
                                             "birth_year": 1980, "gallery_consent": True, "token_hash": "a" * 64,
                                             "created_at": now, "updated_at": now}])
            conn.execute(cert.insert(), [
                {"number": "YA-2026-000001", "climber_id": "clm_1", "season_id": "2026", "rank": 1,
                 "first_place": True, "medal": True, "issued_at": now},
                {"number": "YA-2025-000007", "climber_id": "clm_1", "season_id": "2025", "rank": 7,
                 "first_place": False, "medal": False, "issued_at": now}])
        migrations.upgrade(platform.db, SPEC.migrations_dir)
        cert = sa.Table("certificate", sa.MetaData(schema=platform.db.schema), autoload_with=platform.db.engine)
        with platform.db.engine.connect() as conn:
            rows = {r.number: r for r in conn.execute(sa.select(cert))}
    finally:
        platform.db.dispose()
        testing.drop_schema(overrides.get("db_schema"))
    first, other = rows["YA-2026-000001"], rows["YA-2025-000007"]
    assert is_certificate_id(first.id) and is_certificate_id(other.id) and first.id != other.id
    assert first.award_status == "granted" and sorted(first.award_due) == ["first_place", "medal"]
    assert [m["name_en"] for m in first.medal_inscription] == list(FIVE_EN)
    assert [m["name_ko"] for m in first.medal_inscription] == list(FIVE_KO)
    assert other.award_status == "none" and other.medal_inscription is None and other.award_due is None
