"""Database tables of the onestop service (plus the shared platform tables).

Personal data lives in `resident` (and the assessment in `case`); everything that leaves the
hub is cut down by `minimisation` at the moment it is sent or read, never stored pre-cut.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import SEQUENCE_ID, JSONType, UTCDateTime
from shared.tables import service_metadata

metadata, platform_tables = service_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Resident(Base):
    __tablename__ = "resident"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # casefolded name without spaces: duplicate candidates are found by (name_key, birth_date)
    name_key: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str | None] = mapped_column(String(16), nullable=True)
    phone: Mapped[str] = mapped_column(String(32))
    address_district: Mapped[str] = mapped_column(String(40))
    # Keyed hash shown at meetings and sent to agencies instead of a name (never reversible).
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_resident_name_key_birth_date", "name_key", "birth_date"),)


class Case(Base):
    __tablename__ = "case"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("resident.id"), index=True)
    assessment: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Typed copies of assessment facts the meeting agenda and the statistics query on.
    age: Mapped[int] = mapped_column(Integer)
    employment_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    debt_total_krw: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    annual_income_krw: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    groups: Mapped[list[str]] = mapped_column(JSONType)  # vulnerable-group codes for the statistics
    vulnerability_score: Mapped[int] = mapped_column(Integer)
    flags: Mapped[list[str]] = mapped_column(JSONType)
    urgent_flags: Mapped[list[str]] = mapped_column(JSONType)
    urgent_flag_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_case_status_created_at", "status", "created_at"),
        Index("ix_case_risk", "urgent_flag_count", "vulnerability_score"),
    )


class Consent(Base):
    """One resident's consent to give data to one agency (PIPA Art. 17(2)), with the notice as shown."""

    __tablename__ = "consent"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("resident.id"))
    agency: Mapped[str] = mapped_column(String(40))
    categories: Mapped[list[str]] = mapped_column(JSONType)
    # Art. 23: sensitive categories (health) need a consent apart from the general one.
    sensitive_categories: Mapped[list[str]] = mapped_column(JSONType)
    sensitive_consent: Mapped[bool] = mapped_column(Boolean)
    purpose: Mapped[str] = mapped_column(Text)
    retention: Mapped[str] = mapped_column(String(200))
    notice_recipient: Mapped[str] = mapped_column(Text)
    notice_purpose: Mapped[str] = mapped_column(Text)
    notice_items: Mapped[str] = mapped_column(Text)
    notice_retention: Mapped[str] = mapped_column(Text)
    notice_refusal: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    policy_version: Mapped[str] = mapped_column(String(20))
    taken_by: Mapped[str] = mapped_column(String(100))  # the counsellor who took it
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(100), nullable=True)

    __table_args__ = (Index("ix_consent_resident_id_agency", "resident_id", "agency"),)


class Referral(Base):
    __tablename__ = "referral"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"))
    resident_id: Mapped[str] = mapped_column(ForeignKey("resident.id"))
    agency: Mapped[str] = mapped_column(String(40))
    service_key: Mapped[str] = mapped_column(String(80))
    service_id: Mapped[str] = mapped_column(String(36))
    consent_id: Mapped[str] = mapped_column(ForeignKey("consent.id"))
    status: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer)  # optimistic locking (If-Match)
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(40), nullable=True)
    amount_krw: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    agenda_item_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # meeting follow-up
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    access_revoked: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        # The agency API lists its own referrals newest first, optionally by status (keyset on created_at, id).
        Index("ix_referral_agency_created_at_id", "agency", "created_at", "id"),
        Index("ix_referral_agency_status_created_at_id", "agency", "status", "created_at", "id"),
        Index("ix_referral_case_id", "case_id"),
        Index("ix_referral_resident_id_service_key", "resident_id", "service_key"),
        Index("ix_referral_status_status_changed_at", "status", "status_changed_at"),
    )
    # The ORM adds `AND version = :read_version` to every UPDATE and bumps it: of two concurrent
    # status changes one wins, the other gets StaleDataError (answered 409).
    __mapper_args__ = {"version_id_col": version}


class ReferralEvent(Base):
    """History of a referral: who changed what, when (append-only)."""

    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(SEQUENCE_ID, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id"), index=True)
    party: Mapped[str] = mapped_column(String(40))
    via: Mapped[str] = mapped_column(String(16))  # key | demo | autopilot | system
    from_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(40), nullable=True)
    amount_krw: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccessLog(Base):
    """Every read of a resident's personal data: the resident's right to know who saw what."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(SEQUENCE_ID, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(String(40))
    party: Mapped[str] = mapped_column(String(40))
    via: Mapped[str] = mapped_column(String(16))
    resource: Mapped[str] = mapped_column(String(120))
    fields: Mapped[list[str]] = mapped_column(JSONType)
    purpose: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_access_log_resident_id_at", "resident_id", "at"),)


class Meeting(Base):
    __tablename__ = "meeting"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType)  # agenda thresholds used
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgendaItem(Base):
    __tablename__ = "agenda_item"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meeting.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"))
    referral_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)  # refer | task | monitor | close
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(40), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    follow_up_referral_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    follow_up_task_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Task(Base):
    __tablename__ = "task"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case.id"), index=True)
    meeting_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    agenda_item_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    assignee: Mapped[str] = mapped_column(String(40))
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # open | done
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
