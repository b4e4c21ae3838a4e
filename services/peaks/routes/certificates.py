"""Certificates: public verification, the PDF with its QR code, and Ulju-gun's medal shipping list."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response, StreamingResponse

from services.peaks.answers import CertificateVerification
from services.peaks.domain.errors import FlowError
from services.peaks.flows import certificates
from services.peaks.routes.deps import problem_of
from shared.answers import binary_answer
from shared.auth import PUBLIC, Principal, RequireParty
from shared.deps import PlatformDep

router = APIRouter(prefix="/v1", tags=["certificates"])

Operator = Annotated[Principal, Depends(RequireParty("ulju"))]
CertificateId = Annotated[str, Path(max_length=40, description="The certificate's id (crt_…, from its QR code "
                                                                 "or the climber's progress), not its number")]


# The .pdf route first: `{certificate_id}` alone would also match "crt_….pdf".
@router.get("/certificates/{certificate_id}.pdf", dependencies=[PUBLIC], response_class=Response,
            responses={**binary_answer("application/pdf", "The certificate"), 404: {"description": "No such certificate"}})
def certificate_pdf(platform: PlatformDep, certificate_id: CertificateId) -> Response:
    """The certificate as a PDF: name (if the climber agreed to show it), season, rank, date, the five
    municipalities' names (Korean and English) and a QR code that opens the public verification page."""
    try:
        name, data = certificates.pdf(platform, certificate_id)
    except FlowError as exc:
        raise problem_of(exc) from None
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}.pdf"', "Cache-Control": "public, max-age=3600"})


@router.get("/certificates/{certificate_id}", dependencies=[PUBLIC],
            responses={404: {"description": "No such certificate"}})
def verify_certificate(platform: PlatformDep, certificate_id: CertificateId) -> CertificateVerification:
    """Public verification of a certificate by its id: number, season, rank, completion date, the five
    municipalities, and the display name only if the climber agreed to show it. No other personal data."""
    try:
        return certificates.verification_document(platform, certificate_id)
    except FlowError as exc:
        raise problem_of(exc) from None


@router.get("/medals/shipments.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
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
