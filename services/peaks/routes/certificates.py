"""Certificates: public verification, the PDF with its QR code, and Ulju-gun's medal shipping list."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response, StreamingResponse

from services.peaks.domain.errors import FlowError
from services.peaks.flows import certificates
from services.peaks.routes.deps import problem_of
from shared.auth import PUBLIC, Principal, RequireParty
from shared.deps import PlatformDep

router = APIRouter(prefix="/v1", tags=["certificates"])

Operator = Annotated[Principal, Depends(RequireParty("ulju"))]
Number = Annotated[str, Path(max_length=40, description="Certificate number, e.g. YA-2026-000123")]


# The .pdf route first: `{number}` alone would also match "YA-2026-000001.pdf".
@router.get("/certificates/{number}.pdf", dependencies=[PUBLIC], response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "No such certificate"}})
def certificate_pdf(platform: PlatformDep, number: Number) -> Response:
    """The certificate as a PDF: name, season, rank, date, the five municipalities' names (Korean and
    English) and a QR code that opens the public verification page."""
    try:
        name, data = certificates.pdf(platform, number)
    except FlowError as exc:
        raise problem_of(exc) from None
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}.pdf"', "Cache-Control": "public, max-age=3600"})


@router.get("/certificates/{number}", dependencies=[PUBLIC],
            responses={404: {"description": "No such certificate"}})
def verify_certificate(platform: PlatformDep, number: Number) -> dict:
    """Public verification of a certificate number: display name, season, rank, completion date and the
    five municipalities. No other personal data."""
    try:
        return certificates.verification_document(platform, number)
    except FlowError as exc:
        raise problem_of(exc) from None


@router.get("/medals/shipments.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}},
                             "description": "certificate_number, season, rank, display_name, shipping_address, "
                                            "medal, issued_on, shipped_at (UTF-8 with BOM)"}})
def medal_shipments(platform: PlatformDep, who: Operator, season: str | None = Query(default=None, max_length=16),
                    unshipped_only: bool = False) -> StreamingResponse:
    """Ulju-gun's medal shipping list: every certificate with a medal, its display name and shipping
    address (empty until the climber gave one), streamed as CSV in rank order."""
    return StreamingResponse(certificates.medal_shipments_csv(platform, season, unshipped_only),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="medal-shipments.csv"',
                                      "Cache-Control": "no-store"})
