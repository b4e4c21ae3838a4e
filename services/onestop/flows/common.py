"""Helpers the flows share: the hub's party code, pseudonyms, look-ups that 404, and the access log."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from services.onestop import eligibility
from services.onestop.models import AccessLog, Case, Resident
from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Problem
from shared.ids import keyed_hash

HUB = "bukgu-hub"
KST = timezone(timedelta(hours=9))
SYSTEM = Principal(HUB, frozenset({"operator"}), "system")


def today_kst() -> date:
    return utcnow().astimezone(KST).date()


def pseudonym(secret: str, resident_id: str) -> str:
    """The reference shown at meetings and sent to agencies instead of a name (keyed, one-way)."""
    return "R-" + keyed_hash(secret, "resident-pseudonym", resident_id)[:12].upper()


def name_key(name: str) -> str:
    return "".join(name.split()).casefold()


def get_or_404(session: Session, model: type, obj_id: str, what: str) -> Any:
    row = session.get(model, obj_id)
    if row is None:
        raise Problem(404, "not-found", f"No {what} {obj_id!r}.")
    return row


def resident_data(resident: Resident, case: Case | None) -> dict[str, Any]:
    """The resident's fields as named in consent.json, plus derived age and income share of median."""
    data: dict[str, Any] = {
        "name": resident.name, "birth_date": resident.birth_date.isoformat(), "gender": resident.gender,
        "phone": resident.phone, "address_district": resident.address_district,
    }
    if case is not None:
        data.update({k: v for k, v in case.assessment.items() if k != "crisis_flags"})
    facts = eligibility.derive_facts(eligibility.rules(), data, reference_date=today_kst())
    return {k: v for k, v in {**data, **facts}.items() if v is not None}


def log_access(session: Session, *, resident_id: str, who: Principal, resource: str, fields: Iterable[str],
               purpose: str, at: datetime | None = None) -> None:
    """Records one read of a resident's personal data (who, when, what, why)."""
    session.add(AccessLog(resident_id=resident_id, party=who.party, via=who.via, resource=resource,
                          fields=sorted(set(fields)), purpose=purpose[:300], at=at or utcnow()))


def iso(value: datetime | None) -> str | None:
    """Times are stored in UTC and shown in Korean time, with the offset."""
    return value.astimezone(KST).isoformat() if value else None


def active_consent(session: Session, *, resident_id: str, agency: str):
    """The resident's current consent to give data to `agency`, or None (never given, withdrawn)."""
    from sqlalchemy import select

    from services.onestop.models import Consent

    return session.scalars(select(Consent).where(
        Consent.resident_id == resident_id, Consent.agency == agency, Consent.withdrawn_at.is_(None),
        Consent.superseded_at.is_(None)).order_by(Consent.taken_at.desc()).limit(1)).first()
