"""Climbers: registration (token shown once), progress and certificate, medal shipping address."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.peaks.domain.errors import FlowError
from services.peaks.flows import certificates, climbers, progress
from services.peaks.routes.deps import Caller, ClimberOnly, ClimberOrOperator, problem_of
from services.peaks.schemas import (
    ClimberCreate,
    ClimberCreated,
    ProgressOut,
    ShippingAddressIn,
    ShippingAddressOut,
)
from shared.answers import binary_answer
from shared.auth import PUBLIC
from shared.deps import PlatformDep
from shared.errors import Problem

router = APIRouter(prefix="/v1", tags=["climbers"])


def _own(caller: Caller, climber_id: str, *, operator_ok: bool) -> None:
    if caller.owns(climber_id) or (operator_ok and caller.party == "ulju"):
        return
    raise Problem(403, "forbidden", "A climber may only see and change their own record.")


@router.post("/climbers", status_code=201, response_model=ClimberCreated, dependencies=[PUBLIC],
             responses={429: {"description": "Too many registrations from this client (see Retry-After)"}})
def register(platform: PlatformDep, body: ClimberCreate, request: Request) -> ClimberCreated:
    """Register: display name (public only with gallery consent), contact and birth year (private), gallery
    consent. The answer carries the bearer token for your own routes — it is shown only this once.
    Rate-limited per client address (429 with Retry-After)."""
    return climbers.register(platform, body, client=request.client.host if request.client else "")


@router.get("/climbers/{climber_id}/progress", response_model=ProgressOut,
            responses={403: {"description": "Not this climber (and not Ulju-gun)"}})
def get_progress(platform: PlatformDep, caller: ClimberOrOperator, climber_id: str,
                 season: str | None = None) -> ProgressOut:
    """Peaks done, waiting for review and remaining in the season (default: the current one), and the
    certificate once issued. The climber themself or Ulju-gun."""
    _own(caller, climber_id, operator_ok=True)
    try:
        return progress.of_climber(platform, climber_id, season)
    except FlowError as exc:
        raise problem_of(exc) from None


@router.put("/climbers/{climber_id}/shipping-address", response_model=ShippingAddressOut,
            responses={409: {"description": "No medal is due to this climber"}})
def put_shipping_address(platform: PlatformDep, caller: ClimberOnly, climber_id: str,
                         body: ShippingAddressIn) -> ShippingAddressOut:
    """Where to send the medal. Accepted only once a medal has been allocated to you (we collect an
    address only when we need it), until it is shipped."""
    _own(caller, climber_id, operator_ok=False)
    try:
        return climbers.set_shipping_address(platform, climber_id, body.address)
    except FlowError as exc:
        raise problem_of(exc) from None


@router.get("/climbers/{climber_id}/certificate.pdf", response_class=Response,
            responses={**binary_answer("application/pdf", "Your certificate"),
                       404: {"description": "No certificate (in that season)"}})
def own_certificate_pdf(platform: PlatformDep, caller: ClimberOnly, climber_id: str,
                        season: str | None = Query(default=None, max_length=16)) -> Response:
    """Your own copy of your certificate (the latest, or `season`'s) as a PDF with your name, even if you did
    not agree to show it publicly (the public PDF at `/v1/certificates/{id}.pdf` then withholds it)."""
    _own(caller, climber_id, operator_ok=False)
    try:
        number, data = certificates.own_pdf(platform, climber_id, season)
    except FlowError as exc:
        raise problem_of(exc) from None
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{number}.pdf"', "Cache-Control": "private, no-store"})
