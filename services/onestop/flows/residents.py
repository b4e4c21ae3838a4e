"""Residents: registration with duplicate candidates (never merged), audited reads, the access log."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.onestop.flows.common import get_or_404, iso, log_access, name_key, pseudonym, today_kst
from services.onestop.models import AccessLog, Case, Resident
from services.onestop.parts import OnestopPlatform
from services.onestop.schemas import EARLIEST_BIRTH, ResidentCreate
from shared.auth import Principal
from shared.errors import field_problem
from shared.ids import new_id

PERSONAL_FIELDS = ["name", "birth_date", "gender", "phone", "address_district"]


def create(platform: OnestopPlatform, *, body: ResidentCreate, who: Principal) -> dict[str, Any]:
    """Registers a resident; same name + birth date is reported for the counsellor to confirm, not merged."""
    with platform.db.session() as s:
        return register(s, secret=platform.settings.secret_key.get_secret_value(), body=body, who=who,
                        now=platform.clock())


def check_birth_date(born: date, now: datetime) -> None:
    """A birth date between 1900-01-01 and today in Korea (the service clock's day): else 422 naming it."""
    today = today_kst(now)
    if not EARLIEST_BIRTH <= born <= today:
        raise field_problem("birth_date", f"must be between {EARLIEST_BIRTH.isoformat()} and today "
                                          f"({today.isoformat()}, Korea time); got {born.isoformat()}")


def register(session: Session, *, secret: str, body: ResidentCreate, who: Principal,
             now: datetime) -> dict[str, Any]:
    """`create` inside the caller's transaction (the start-up seed); `now` is the service clock's time."""
    check_birth_date(body.birth_date, now)
    key = name_key(body.name)
    dupes = session.execute(select(Resident.id, Resident.created_at)
                            .where(Resident.name_key == key, Resident.birth_date == body.birth_date)
                            .order_by(Resident.created_at)).all()
    rid = new_id("res")
    resident = Resident(id=rid, name=body.name, name_key=key, birth_date=body.birth_date, gender=body.gender,
                        phone=body.phone, address_district=body.address_district,
                        pseudonym=pseudonym(secret, rid), created_by=who.party, created_at=now)
    session.add(resident)
    session.flush()
    out = public(resident)
    out["possible_duplicates"] = [
        {"id": d.id, "created_at": iso(d.created_at),
         "why": "same name and birth date: confirm with the resident whether this is the same person"}
        for d in dupes]
    return out


def any_registered(session: Session) -> bool:
    """Whether any resident is registered (the start-up seed adds its demo residents only to none)."""
    return session.scalar(select(Resident.id).limit(1)) is not None


def public(r: Resident) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "birth_date": r.birth_date.isoformat(), "gender": r.gender,
            "phone": r.phone, "address_district": r.address_district, "pseudonym": r.pseudonym,
            "created_by": r.created_by, "created_at": iso(r.created_at)}


def read(platform: OnestopPlatform, *, resident_id: str, who: Principal, purpose: str) -> dict[str, Any]:
    """A resident's personal data and cases; the read goes into the resident's access log."""
    with platform.db.session() as session:
        resident = get_or_404(session, Resident, resident_id, "resident")
        log_access(session, resident_id=resident_id, who=who, resource=f"resident:{resident_id}",
                   fields=PERSONAL_FIELDS, purpose=purpose, at=platform.clock())
        out = public(resident)
        out["cases"] = [{"id": c.id, "status": c.status, "created_at": iso(c.created_at)}
                        for c in session.scalars(select(Case).where(Case.resident_id == resident_id)
                                                 .order_by(Case.created_at))]
        return out


def access_log(platform: OnestopPlatform, *, resident_id: str) -> dict[str, Any]:
    """Who read the resident's data, when, which fields and why."""
    with platform.db.read_session() as session:
        return access_log_in(session, resident_id=resident_id)


def access_log_in(session: Session, *, resident_id: str) -> dict[str, Any]:
    """`access_log` inside the caller's transaction (the trainer's page reads more with it)."""
    get_or_404(session, Resident, resident_id, "resident")
    rows = session.scalars(select(AccessLog).where(AccessLog.resident_id == resident_id)
                           .order_by(AccessLog.at, AccessLog.id)).all()
    return {"resident_id": resident_id, "items": [
        {"at": iso(r.at), "party": r.party, "via": r.via, "resource": r.resource, "fields": r.fields,
         "purpose": r.purpose} for r in rows]}
