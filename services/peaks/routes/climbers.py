"""Climbers: registration (token shown once), progress and certificate, medal shipping address."""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from services.peaks import photos, reference
from services.peaks.auth import Caller, hash_token, new_token
from services.peaks.models import Certificate, Climber
from services.peaks.routes.deps import ClimberOnly, ClimberOrOperator, platform_of
from services.peaks.schemas import (
    ClimberCreate,
    ClimberCreated,
    ProgressOut,
    ShippingAddressIn,
    ShippingAddressOut,
)
from shared.auth import PUBLIC
from shared.db import utcnow
from shared.errors import Problem
from shared.ids import new_id

router = APIRouter(prefix="/v1", tags=["climbers"])


def _own(caller: Caller, climber_id: str, *, operator_ok: bool) -> None:
    if caller.owns(climber_id) or (operator_ok and caller.party == "ulju"):
        return
    raise Problem(403, "forbidden", "A climber may only see and change their own record.")


@router.post("/climbers", status_code=201, response_model=ClimberCreated, dependencies=[PUBLIC])
def register(request: Request, body: ClimberCreate) -> ClimberCreated:
    """Register: display name (public), contact and birth year (private), gallery consent.
    The answer carries the bearer token for your own routes — it is shown only this once."""
    p = platform_of(request)
    token = new_token()
    now = utcnow()
    climber = Climber(id=new_id("clm"), display_name=body.display_name, contact=body.contact,
                      birth_year=body.birth_year, gallery_consent=body.gallery_consent,
                      token_hash=hash_token(token), created_at=now, updated_at=now)
    with p.db.session() as s:
        s.add(climber)
    return ClimberCreated(id=climber.id, display_name=climber.display_name,
                          gallery_consent=climber.gallery_consent, token=token)


def _progress(s, climber: Climber, season: reference.Season) -> ProgressOut:
    data = photos.progress(s, climber.id, season)
    cert = data["certificate"]
    return ProgressOut(climber_id=climber.id, **data, medal_due=bool(cert and cert["medal"]),
                       shipping_address_set=climber.shipping_address is not None)


@router.get("/climbers/{climber_id}/progress", response_model=ProgressOut,
            responses={403: {"description": "Not this climber (and not Ulju-gun)"}})
def get_progress(request: Request, caller: ClimberOrOperator, climber_id: str,
                 season: str | None = None) -> ProgressOut:
    """Peaks done, waiting for review and remaining in the season (default: the current one), and the
    certificate once issued. The climber themself or Ulju-gun."""
    _own(caller, climber_id, operator_ok=True)
    p = platform_of(request)
    try:
        se = reference.season(season) if season else reference.current_season(photos.now_of(p))
    except KeyError:
        raise Problem(404, "not-found", f"No season {season!r}.") from None
    if se is None:
        raise Problem(404, "no-season", "No season is open today; pass ?season=<year>.")
    with p.db.read_session() as s:
        climber = s.get(Climber, climber_id)
        if climber is None:
            raise Problem(404, "not-found", f"No climber {climber_id}.")
        return _progress(s, climber, se)


@router.put("/climbers/{climber_id}/shipping-address", response_model=ShippingAddressOut,
            responses={409: {"description": "No medal is due to this climber"}})
def put_shipping_address(request: Request, caller: ClimberOnly, climber_id: str,
                         body: ShippingAddressIn) -> ShippingAddressOut:
    """Where to send the medal. Accepted only once a medal has been allocated to you (we collect an
    address only when we need it), until it is shipped."""
    _own(caller, climber_id, operator_ok=False)
    p = platform_of(request)
    with p.db.session() as s:
        cert = s.execute(select(Certificate).where(Certificate.climber_id == climber_id,
                                                   Certificate.medal.is_(True),
                                                   Certificate.shipped_at.is_(None))
                         .order_by(Certificate.issued_at.desc())).scalars().first()
        if cert is None:
            raise Problem(409, "no-medal-due", "No medal is due to you (yet), so no shipping address is needed.")
        climber = s.get(Climber, climber_id)
        assert climber is not None
        climber.shipping_address = body.address.strip()
        climber.updated_at = utcnow()
    return ShippingAddressOut(climber_id=climber_id, certificate=cert.number, shipping_address_set=True)
