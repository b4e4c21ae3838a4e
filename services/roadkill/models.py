"""Database tables of the roadkill service (plus the shared platform tables).

An `incident` is one carcass on the road; each driver's `report` of it is a row of its own
(merged reports point at the same incident). `incident_event` is the state history.
Personal data lives only in `report` (reporter hash, personal hashes, transcript) and is cut
per party when it is sent or read.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import SEQUENCE_ID, JSONType, UTCDateTime
from shared.tables import service_metadata

metadata, platform_tables = service_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Incident(Base):
    """One carcass at one place on one carriageway, with its handling state."""

    __tablename__ = "incident"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # inc_<ULID>
    status: Mapped[str] = mapped_column(String(16))  # data/incident_states.json
    species: Mapped[str] = mapped_column(String(32))  # as parsed from the first report
    species_confirmed: Mapped[str | None] = mapped_column(String(32), nullable=True)  # by the crew at close
    road_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    road_class: Mapped[str] = mapped_column(String(16))  # expressway|national|provincial|local|off_network
    road_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    carriageway: Mapped[str | None] = mapped_column(String(16), nullable=True)  # forward|backward
    measure_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    segment_no: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 500 m Malo segment
    cell: Mapped[int] = mapped_column(BigInteger)  # dedup.cell_key of (lat, lon)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    heading_deg: Mapped[float | None] = mapped_column(Float, nullable=True)  # of the first report
    agency: Mapped[str] = mapped_column(String(40))  # party code of the agency currently responsible
    routed_agency: Mapped[str] = mapped_column(String(40))  # what routing decided at intake
    municipality: Mapped[str | None] = mapped_column(String(40), nullable=True)
    decision: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the JurisdictionDecision at intake
    report_count: Mapped[int] = mapped_column(Integer, default=1)
    first_reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    complaint_no: Mapped[str | None] = mapped_column(String(40), nullable=True)  # ACRC's number
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)  # removed|not_found|duplicate
    outcome_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Written once for analytics.py, so the summary groups plain columns instead of computing per row:
    # YYYYMM of first_reported_at in Korean time (set at intake), and first report → cleared_at in
    # minutes, exact (set when the incident is closed).
    report_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    clear_minutes: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency for agency events

    __table_args__ = (
        # Duplicate lookup at intake: one road (or none), ≤ 16 grid cells, the merge window; the
        # window bound is the last key column, so old incidents of a busy cell are never read.
        Index("ix_incident_dedup", "road_id", "cell", "last_reported_at"),
        Index("ix_incident_agency_status", "agency", "status"),
        Index("ix_incident_created_at_id", "created_at", "id"),
        Index("ix_incident_road_id_segment_no", "road_id", "segment_no"),
        # Analytics for ME (analytics.py), read from these narrow indexes, never from the wide rows:
        # time to clear per agency walks `outcome = 'removed'` in clear_minutes order per agency (exact
        # percentiles, no sort) and Malo subtracts `outcome = 'duplicate'` per segment;
        Index("ix_incident_outcome_analytics", "outcome", "agency", "clear_minutes", "road_id", "segment_no",
              "first_reported_at"),
        # the summary is ONE grouped index-only scan in this column order (SQLite streams the groups unsorted);
        # clear_minutes only for count(clear_minutes), the number of timed removals per agency.
        Index("ix_incident_summary", "outcome", "agency", "road_class", "species_confirmed", "species",
              "report_month", "clear_minutes"),
    )


class Report(Base):
    """One driver's report (voice via the navigation partner, or Open311)."""

    __tablename__ = "report"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # rpt_<ULID>
    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # voice | open311
    partner: Mapped[str] = mapped_column(String(40))  # party code that sent it
    reporter_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # keyed hash, never the id
    personal_hashes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    transcript: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    species: Mapped[str] = mapped_column(String(32))
    species_confidence: Mapped[float] = mapped_column(Float)
    lane: Mapped[str | None] = mapped_column(String(32), nullable=True)
    side: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    heading_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    speed_kmh: Mapped[float | None] = mapped_column(Float, nullable=True)
    road_name: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the partner's hint
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    token: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)  # Open311 token
    merged: Mapped[bool] = mapped_column(Boolean, default=False)


class IncidentEvent(Base):
    """Append-only state history of an incident (who moved it, from what to what, with which details)."""

    __tablename__ = "incident_event"

    id: Mapped[int] = mapped_column(SEQUENCE_ID, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(40))  # party code
    type: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    # A road agency's list includes incidents it once handled (transferred away): found by actor.
    __table_args__ = (Index("ix_incident_event_actor_incident_id", "actor", "incident_id"),)


incident = Incident.__table__
report = Report.__table__
incident_event = IncidentEvent.__table__
