"""Certificates: public verification, the PDF with its QR code, and Ulju-gun's medal shipping list."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from services.peaks import certificates_pdf
from services.peaks.certificates_pdf import NUMBER_PATTERN
from services.peaks.models import Certificate, Climber
from services.peaks.reference import KST
from services.peaks.routes.deps import platform_of
from shared.auth import PUBLIC, Principal, RequireParty
from shared.errors import Problem

router = APIRouter(prefix="/v1", tags=["certificates"])

Operator = Annotated[Principal, Depends(RequireParty("ulju"))]
Number = Annotated[str, Path(max_length=40, description="Certificate number, e.g. YA-2026-000123")]
CSV_BATCH = 500


def load_view(request: Request, number: str) -> certificates_pdf.CertificateView:
    if not re.match(NUMBER_PATTERN, number):
        raise Problem(404, "not-found", f"No certificate {number!r}: numbers look like YA-2026-000123.")
    with platform_of(request).db.read_session() as s:
        view = certificates_pdf.load(s, number)
    if view is None:
        raise Problem(404, "not-found", f"No certificate {number}: it was not issued by this programme.")
    return view


def verification(request: Request, number: str) -> dict:
    view = load_view(request, number)
    return certificates_pdf.public_document(view, platform_of(request).settings.base_url)


# The .pdf route first: `{number}` alone would also match "YA-2026-000001.pdf".
@router.get("/certificates/{number}.pdf", dependencies=[PUBLIC], response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "No such certificate"}})
def certificate_pdf(request: Request, number: Number) -> Response:
    """The certificate as a PDF: name, season, rank, date, the five municipalities' names (Korean and
    English) and a QR code that opens the public verification page."""
    view = load_view(request, number)
    p = platform_of(request)
    url = p.settings.base_url + certificates_pdf.verification_path(number)
    data = certificates_pdf.pdf_cache_of(p).get(view, url)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{view.number}.pdf"', "Cache-Control": "public, max-age=3600"})


@router.get("/certificates/{number}", dependencies=[PUBLIC],
            responses={404: {"description": "No such certificate"}})
def verify_certificate(request: Request, number: Number) -> dict:
    """Public verification of a certificate number: display name, season, rank, completion date and the
    five municipalities. No other personal data."""
    return verification(request, number)


_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    """Neutralises spreadsheet formulas in user-supplied text (CSV injection)."""
    text = value or ""
    return "'" + text if text.startswith(_DANGEROUS) else text


def _csv_rows(platform, season: str | None, unshipped_only: bool) -> Iterator[bytes]:
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


@router.get("/medals/shipments.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}},
                             "description": "certificate_number, season, rank, display_name, shipping_address, "
                                            "medal, issued_on, shipped_at (UTF-8 with BOM)"}})
def medal_shipments(request: Request, who: Operator, season: str | None = Query(default=None, max_length=16),
                    unshipped_only: bool = False) -> StreamingResponse:
    """Ulju-gun's medal shipping list: every certificate with a medal, its display name and shipping
    address (empty until the climber gave one), streamed as CSV in rank order."""
    p = platform_of(request)
    return StreamingResponse(_csv_rows(p, season, unshipped_only), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="medal-shipments.csv"',
                                      "Cache-Control": "no-store"})
