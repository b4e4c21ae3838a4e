"""Certificates: the public verification document, the PDF, and Ulju-gun's medal shipping list (CSV)."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from services.peaks.domain import certificate_pdf
from services.peaks.domain.certificate_pdf import NUMBER_PATTERN, CertificateView
from services.peaks.domain.errors import FlowError
from services.peaks.domain.reference import KST
from services.peaks.models import Certificate, Climber

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

CSV_BATCH = 500
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def view(platform: PeaksPlatform, number: str) -> CertificateView:
    """The certificate as the public sees it; FlowError 404 for a malformed or unknown number."""
    if not re.match(NUMBER_PATTERN, number):
        raise FlowError(404, "not-found", f"No certificate {number!r}: numbers look like YA-2026-000123.")
    with platform.db.read_session() as s:
        row = s.execute(select(Certificate.number, Certificate.season_id, Certificate.rank,
                               Certificate.first_place, Certificate.issued_at, Climber.display_name)
                        .join(Climber, Climber.id == Certificate.climber_id)
                        .where(Certificate.number == number)).first()
    if row is None:
        raise FlowError(404, "not-found", f"No certificate {number}: it was not issued by this programme.")
    return CertificateView(number=row.number, display_name=row.display_name, season=row.season_id, rank=row.rank,
                           first_place=row.first_place, issued_at=row.issued_at)


def verification_document(platform: PeaksPlatform, number: str) -> dict[str, Any]:
    """The public verification of a certificate number (FlowError 404 if there is none)."""
    return certificate_pdf.public_document(view(platform, number), platform.settings.base_url)


def pdf(platform: PeaksPlatform, number: str) -> tuple[str, bytes]:
    """(number, PDF bytes) of a certificate, its QR code pointing at the verification URL (cached)."""
    found = view(platform, number)
    url = platform.settings.base_url + certificate_pdf.verification_path(found.number)
    return found.number, platform.parts.certificate_pdfs.get(found, url)


def _cell(value: str | None) -> str:
    """Neutralises spreadsheet formulas in user-supplied text (CSV injection)."""
    text = value or ""
    return "'" + text if text.startswith(_DANGEROUS) else text


def medal_shipments_csv(platform: PeaksPlatform, season: str | None, unshipped_only: bool) -> Iterator[bytes]:
    """Every certificate with a medal in rank order, as CSV chunks (UTF-8 with BOM), read in batches."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    buf.write("\ufeff")  # BOM: spreadsheet programs then read the UTF-8 (Hangul addresses) correctly
    out.writerow(["certificate_number", "season", "rank", "display_name", "shipping_address", "medal",
                  "issued_on", "shipped_at"])
    q = (select(Certificate.number, Certificate.season_id, Certificate.rank, Certificate.issued_at,
                Certificate.shipped_at, Climber.display_name, Climber.shipping_address)
         .join(Climber, Climber.id == Certificate.climber_id)
         .where(Certificate.medal.is_(True)).order_by(Certificate.season_id, Certificate.rank))
    if season:
        q = q.where(Certificate.season_id == season)
    if unshipped_only:
        q = q.where(Certificate.shipped_at.is_(None))
    with platform.db.read_session() as s:
        for n, r in enumerate(s.execute(q.execution_options(yield_per=CSV_BATCH)), 1):
            out.writerow([r.number, r.season_id, r.rank, _cell(r.display_name), _cell(r.shipping_address), "yes",
                          r.issued_at.astimezone(KST).date().isoformat(),
                          r.shipped_at.astimezone(KST).isoformat() if r.shipped_at else ""])
            if n % CSV_BATCH == 0:
                yield buf.getvalue().encode()
                buf.seek(0)
                buf.truncate()
    yield buf.getvalue().encode()
