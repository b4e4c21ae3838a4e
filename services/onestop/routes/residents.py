"""Residents, their consents and their access log (counsellors only)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.onestop.flows import consents, residents
from services.onestop.routes.deps import DEFAULT_PURPOSE, Counsellor, Purpose, platform_of
from services.onestop.schemas import ConsentCreate, ConsentWithdraw, ResidentCreate

router = APIRouter(prefix="/v1", tags=["residents"])


@router.post("/residents", status_code=201)
def create_resident(request: Request, who: Counsellor, body: ResidentCreate) -> dict[str, Any]:
    """Registers a resident (never a resident registration number); same name + birth date is reported."""
    p = platform_of(request)
    with p.db.session() as s:
        return residents.create(s, secret=p.settings.secret_key, body=body, who=who)


@router.get("/residents/{resident_id}")
def get_resident(request: Request, who: Counsellor, resident_id: str,
                 purpose: Purpose = DEFAULT_PURPOSE) -> dict[str, Any]:
    """A resident's personal data (the read is logged in the access log)."""
    with platform_of(request).db.session() as s:
        return residents.read(s, resident_id=resident_id, who=who, purpose=purpose)


@router.get("/residents/{resident_id}/access-log")
def get_access_log(request: Request, who: Counsellor, resident_id: str) -> dict[str, Any]:
    """Who read this resident's data, when, which fields and why (the resident's right to know)."""
    with platform_of(request).db.read_session() as s:
        return residents.access_log(s, resident_id=resident_id)


@router.post("/residents/{resident_id}/consents", status_code=201)
def give_consent(request: Request, who: Counsellor, resident_id: str, body: ConsentCreate) -> dict[str, Any]:
    """Records consent to give data to one agency, with the five PIPA Art. 17(2) items as shown."""
    p = platform_of(request)
    with p.db.session() as s:
        return consents.give(s, tables=p.tables, resident_id=resident_id, body=body, who=who)


@router.get("/residents/{resident_id}/consents")
def list_consents(request: Request, who: Counsellor, resident_id: str) -> dict[str, Any]:
    """Every consent of the resident, active, superseded and withdrawn."""
    with platform_of(request).db.read_session() as s:
        return consents.list_for(s, resident_id=resident_id)


@router.post("/consents/{consent_id}/withdraw")
def withdraw_consent(request: Request, who: Counsellor, consent_id: str, body: ConsentWithdraw) -> dict[str, Any]:
    """Withdraws consent: no more sharing with the agency; its access on unfinished referrals ends."""
    p = platform_of(request)
    with p.db.session() as s:
        return consents.withdraw(s, tables=p.tables, consent_id=consent_id, body=body, who=who)
