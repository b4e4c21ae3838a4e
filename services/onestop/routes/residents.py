"""Residents, their consents and their access log (counsellors only)."""
from __future__ import annotations

from fastapi import APIRouter

from services.onestop.answers import AccessLog, Consent, Consents, Resident, WithdrawnConsent
from services.onestop.flows import consents, residents
from services.onestop.routes.deps import DEFAULT_PURPOSE, Counsellor, PlatformDep, Purpose
from services.onestop.schemas import ConsentCreate, ConsentWithdraw, ResidentCreate

router = APIRouter(prefix="/v1", tags=["residents"])


@router.post("/residents", status_code=201)
def create_resident(p: PlatformDep, who: Counsellor, body: ResidentCreate) -> Resident:
    """Registers a resident (never a resident registration number); same name + birth date is reported."""
    return residents.create(p, body=body, who=who)


@router.get("/residents/{resident_id}")
def get_resident(p: PlatformDep, who: Counsellor, resident_id: str,
                 purpose: Purpose = DEFAULT_PURPOSE) -> Resident:
    """A resident's personal data (the read is logged in the access log)."""
    return residents.read(p, resident_id=resident_id, who=who, purpose=purpose)


@router.get("/residents/{resident_id}/access-log")
def get_access_log(p: PlatformDep, who: Counsellor, resident_id: str) -> AccessLog:
    """Who read this resident's data, when, which fields and why (the resident's right to know)."""
    return residents.access_log(p, resident_id=resident_id)


@router.post("/residents/{resident_id}/consents", status_code=201)
def give_consent(p: PlatformDep, who: Counsellor, resident_id: str, body: ConsentCreate) -> Consent:
    """Records consent to give data to one agency, with the five PIPA Art. 17(2) items as shown."""
    return consents.give(p, resident_id=resident_id, body=body, who=who)


@router.get("/residents/{resident_id}/consents")
def list_consents(p: PlatformDep, who: Counsellor, resident_id: str) -> Consents:
    """Every consent of the resident, active, superseded and withdrawn."""
    return consents.list_for(p, resident_id=resident_id)


@router.post("/consents/{consent_id}/withdraw")
def withdraw_consent(p: PlatformDep, who: Counsellor, consent_id: str, body: ConsentWithdraw) -> WithdrawnConsent:
    """Withdraws consent: no more sharing with the agency; its access to every referral of the resident
    ends (completed ones too: 410), open ones are cancelled, and the personal fields of what it was sent
    are erased from the hub's copies; the referrals' non-personal record stays for statistics."""
    return consents.withdraw(p, consent_id=consent_id, body=body, who=who)
