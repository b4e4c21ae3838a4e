"""Helpers the flows share: the hub's party code, pseudonyms, look-ups that 404, and the access log."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from services.onestop.domain import eligibility
from services.onestop.models import AccessLog, Case, Consent, Resident
from shared.auth import Principal
from shared.errors import Problem
from shared.ids import keyed_hash

HUB = "bukgu-hub"
KST = timezone(timedelta(hours=9))
SYSTEM = Principal(HUB, frozenset({"operator"}), "system")


def today_kst(now: datetime) -> date:
    """The day in Korea at `now` (the service clock's time: `platform.clock()`)."""
    return now.astimezone(KST).date()


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


def resident_data(resident: Resident, case: Case | None, *, today: date) -> dict[str, Any]:
    """The resident's fields as named in consent.json, plus derived age (on `today`) and income share of median."""
    data: dict[str, Any] = {
        "name": resident.name, "birth_date": resident.birth_date.isoformat(), "gender": resident.gender,
        "phone": resident.phone, "address_district": resident.address_district,
    }
    if case is not None:
        data.update({k: v for k, v in case.assessment.items() if k != "crisis_flags"})
    facts = eligibility.derive_facts(eligibility.rules(), data, reference_date=today)
    return {k: v for k, v in {**data, **facts}.items() if v is not None}


def log_access(session: Session, *, resident_id: str, who: Principal, resource: str, fields: Iterable[str],
               purpose: str, at: datetime) -> None:
    """Records one read of a resident's personal data (who, when — the service clock's `at` —, what, why)."""
    session.add(AccessLog(resident_id=resident_id, party=who.party, via=who.via, resource=resource,
                          fields=sorted(set(fields)), purpose=purpose[:300], at=at))


def iso(value: datetime | None) -> str | None:
    """Times are stored in UTC and shown in Korean time, with the offset."""
    return value.astimezone(KST).isoformat() if value else None


# ---------------------------------------------------------------- times for lists, without datetime objects
# A list of 50 referrals has 250 times; `iso()` costs ~1.7 µs each (astimezone + isoformat with an
# offset), more than the query. For lists, the database gives each time as UTC text
# 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLite stores exactly that; PostgreSQL formats it with to_char)
# and `iso_from_utc_text` turns it into the same string `iso()` makes: Korea has a fixed +09:00
# offset, so only the date and hour change, looked up once per distinct UTC hour.

_UTC_TEXT_FORMAT_PG = "YYYY-MM-DD HH24:MI:SS.US"
_KST_HOURS: dict[str, str] = {}


def utc_text(column: ColumnElement, dialect: str) -> ColumnElement:
    """SQL for a UTC time column as 'YYYY-MM-DD HH:MM:SS.ffffff' text (other databases: the datetime)."""
    if dialect == "sqlite":
        return type_coerce(column, String)  # the text SQLAlchemy's DateTime stored, unparsed
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), _UTC_TEXT_FORMAT_PG)
    return column


def _kst_hour(head: str) -> str:
    """'YYYY-MM-DD HH' in UTC -> 'YYYY-MM-DDTHH' in Korean time."""
    prefix = datetime.fromisoformat(head + ":00:00").replace(tzinfo=UTC).astimezone(KST).isoformat()[:13]
    if len(_KST_HOURS) >= 100_000:  # ~11 years of distinct hours; never grows without bound
        _KST_HOURS.clear()
    _KST_HOURS[head] = prefix
    return prefix


def _utc_datetime(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_ISO_TEXTS: dict[str | datetime, str] = {}
_ISO_TEXTS_MAX = 65_536  # ~10 MB at most: the times of the pages agencies keep polling


def iso_from_utc_text(value: str | datetime | None) -> str | None:
    """What `iso()` gives for the time `utc_text` selected (text, or a datetime on other databases).

    Remembered per value: agencies poll the same first pages, so most times were formatted before.
    """
    if value is None:
        return None
    out = _ISO_TEXTS.get(value)
    if out is None:
        if len(_ISO_TEXTS) >= _ISO_TEXTS_MAX:
            _ISO_TEXTS.clear()
        out = _ISO_TEXTS[value] = _iso_from_utc_text(value)
    return out


def _iso_from_utc_text(value: str | datetime) -> str:
    if type(value) is str and len(value) == 26 and value[10] == " " and value[19] == ".":
        head = value[:13]
        prefix = _KST_HOURS.get(head) or _kst_hour(head)
        tail = value[13:]  # ':MM:SS.ffffff': a whole-hour offset leaves it as it is
        # isoformat() leaves out a zero fraction
        return prefix + (tail[:-7] if tail.endswith(".000000") else tail) + "+09:00"
    return iso(_utc_datetime(value))


def utc_isoformat(value: str | datetime) -> str:
    """`datetime.isoformat()` of the aware UTC time `utc_text` selected (what keyset cursors hold)."""
    if type(value) is str and len(value) == 26 and value[10] == " " and value[19] == ".":
        body = value[:-7] if value.endswith(".000000") else value
        return body[:10] + "T" + body[11:] + "+00:00"
    return _utc_datetime(value).isoformat()


def active_consent(session: Session, *, resident_id: str, agency: str) -> Consent | None:
    """The resident's current consent to give data to `agency`, or None (never given, withdrawn)."""
    return session.scalars(select(Consent).where(
        Consent.resident_id == resident_id, Consent.agency == agency, Consent.withdrawn_at.is_(None),
        Consent.superseded_at.is_(None)).order_by(Consent.taken_at.desc()).limit(1)).first()
