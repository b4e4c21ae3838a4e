"""Certificates: the public verification document, the PDF, and Ulju-gun's medal shipping list (CSV)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from services.peaks.domain import certificate_pdf
from services.peaks.domain.certificate_pdf import CertificateView
from services.peaks.domain.errors import FlowError
from services.peaks.domain.programme import is_certificate_id
from services.peaks.domain.reference import KST
from services.peaks.models import Certificate, Climber

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

CSV_BATCH = 500
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def view(platform: PeaksPlatform, certificate_id: str) -> CertificateView:
    """The certificate as the public sees it (the name only with the climber's consent); FlowError 404 for
    a malformed or unknown id. Numbers (YA-2026-000123) are not addresses: they would be guessable."""
    if not is_certificate_id(certificate_id):
        raise FlowError(404, "not-found", f"No certificate {certificate_id!r}: certificate addresses look like "
                                          "crt_ followed by 22 letters, digits, '-' or '_' (see its QR code).")
    with platform.db.read_session() as s:
        row = s.execute(_VIEW.where(Certificate.id == certificate_id)).first()
    if row is None:
        raise FlowError(404, "not-found", f"No certificate {certificate_id}: it was not issued by this programme.")
    return _view_of(row, named=row.gallery_consent)


_VIEW = (select(Certificate.id, Certificate.number, Certificate.season_id, Certificate.rank, Certificate.first_place,
                Certificate.issued_at, Climber.display_name, Climber.gallery_consent)
         .join(Climber, Climber.id == Certificate.climber_id))


def _view_of(row: Any, *, named: bool) -> CertificateView:
    return CertificateView(number=row.number, display_name=row.display_name if named else None, season=row.season_id,
                           rank=row.rank, first_place=row.first_place, issued_at=row.issued_at, id=row.id)


def verification_document(platform: PeaksPlatform, certificate_id: str) -> dict[str, Any]:
    """The public verification of a certificate (FlowError 404 if there is none)."""
    return certificate_pdf.public_document(view(platform, certificate_id), platform.settings.base_url)


def pdf(platform: PeaksPlatform, certificate_id: str) -> tuple[str, bytes]:
    """(number, PDF bytes) of a certificate, its QR code pointing at the verification URL (cached)."""
    found = view(platform, certificate_id)
    url = platform.settings.base_url + certificate_pdf.verification_path(found.id)
    return found.number, platform.parts.certificate_pdfs.get(found, url)


def own_pdf(platform: PeaksPlatform, climber_id: str, season: str | None) -> tuple[str, bytes]:
    """The climber's own copy of their certificate (the latest, or the season's) as a PDF, always with their
    name whatever they chose for the public; FlowError 404 if they have none."""
    q = _VIEW.where(Certificate.climber_id == climber_id)
    if season:
        q = q.where(Certificate.season_id == season)
    with platform.db.read_session() as s:
        row = s.execute(q.order_by(Certificate.issued_at.desc()).limit(1)).first()
    if row is None:
        raise FlowError(404, "not-found", "You have no certificate" + (f" for the {season} season." if season else "."))
    found = _view_of(row, named=True)
    url = platform.settings.base_url + certificate_pdf.verification_path(found.id)
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
