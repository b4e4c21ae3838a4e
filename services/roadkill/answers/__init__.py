"""The roadkill API's answers (response models): what each operation returns, for the OpenAPI document."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.answers import Answer, CursorPage, Timestamp, TraceEvent


class IncidentSummary(Answer):
    """An incident without report content (lists)."""

    id: str = Field(examples=["inc_01J9Z8X7W6V5T4S3R2Q1P0N9M8"])
    status: str = Field(examples=["assigned"])
    open311_status: str = Field(examples=["open"])
    species: str = Field(examples=["water_deer"])
    species_confirmed: str | None = None
    road_id: str | None = None
    road_name: str | None = None
    road_class: str | None = None
    carriageway: str | None = None
    direction_deg: float | None = None
    segment_no: int | None = None
    lat: float
    lon: float
    accuracy_m: float | None = None
    agency: str
    routed_agency: str | None = None
    municipality: str | None = None
    report_count: int
    complaint_no: str | None = None
    outcome: str | None = None
    outcome_note: str | None = None
    first_reported_at: Timestamp
    last_reported_at: Timestamp
    cleared_at: Timestamp | None = None
    created_at: Timestamp
    updated_at: Timestamp
    version: int = Field(description="Send it back as `version` with the next step")


class IncidentPage(CursorPage[IncidentSummary]):
    """Incidents, newest first."""


class Decision(Answer):
    """Which road and which agency, with the reason in words (Road Act table)."""

    road_id: str | None = None
    road_name: str | None = None
    road_name_ko: str | None = None
    road_class: str | None = None
    agency: str
    agency_name: str
    agency_name_ko: str | None = None
    distance_m: float | None = None
    measure_m: float | None = None
    snapped_lat: float | None = None
    snapped_lon: float | None = None
    road_bearing_deg: float | None = None
    carriageway: str | None = None
    divided: bool | None = None
    municipality: str | None = None
    urban: bool | None = None
    explanation: str
    explanation_ko: str | None = None


class ReportView(Answer):
    """A report as the caller may see it (personal fields only for the parties that need them)."""

    id: str
    source: str
    partner: str | None = None
    merged: bool
    species: str | None = None
    species_confidence: float | None = None
    lane: str | None = None
    side: str | None = None
    lat: float
    lon: float
    accuracy_m: float | None = None
    heading_deg: float | None = None
    speed_kmh: float | None = None
    road_name: str | None = None
    reported_at: Timestamp
    received_at: Timestamp
    transcript: str | None = None
    description: str | None = None
    reporter_hash: str | None = None
    personal_hashes: dict[str, Any] | None = None


class HistoryEntry(Answer):
    at: Timestamp
    actor: str
    type: str = Field(examples=["acknowledged"])
    from_status: str | None = None
    to_status: str
    detail: dict[str, Any] | None = None


class IncidentDetail(IncidentSummary):
    decision: Decision | None = None
    allowed_next: list[str] = Field(description="Steps the caller may record now")
    reports: list[ReportView]
    history: list[HistoryEntry]


class IncidentTrace(Answer):
    incident_id: str
    events: list[TraceEvent]


class Hazard(Answer):
    incident_id: str
    lat: float
    lon: float
    road_id: str | None = None
    road_name: str | None = None
    road_class: str | None = None
    carriageway: str | None = None
    direction_deg: float | None = None
    species: str
    status: str
    report_count: int
    first_reported_at: Timestamp
    age_s: int = Field(description="Seconds since the first report")


class Hazards(Answer):
    items: list[Hazard]
    generated_at: Timestamp


class InboxItem(Answer):
    id: str
    status: str
    version: int
    allowed_next: list[str]
    complaint_no: str | None = None
    species: str
    road_id: str | None = None
    road_name: str | None = None
    road_class: str | None = None
    carriageway: str | None = None
    measure_m: float | None = None
    lat: float
    lon: float
    accuracy_m: float | None = None
    agency: str
    municipality: str | None = None
    report_count: int
    first_reported_at: Timestamp
    explanation: str | None = None


class Inbox(Answer):
    items: list[InboxItem]
    next_cursor: str | None = None


class StateInfo(Answer):
    code: str
    label: str
    terminal: bool
    label_ko: str | None = None
    open311: str | None = None
    description: str | None = None


class Step(Answer):
    event: str
    from_: list[str] = Field(alias="from")
    to: str
    actor: str
    requires: list[str]
    notifies: list[str]
    description: str | None = None


class IncidentStates(Answer):
    """The incident state machine as data."""

    version: str
    initial: str
    states: list[StateInfo]
    outcomes: list[str]
    transitions: list[Step]


class SpeciesCount(Answer):
    species: str
    name_en: str | None = None
    name_ko: str | None = None
    scientific_name: str | None = None
    protected: bool | None = None
    count: int


class MonthCount(Answer):
    month: str = Field(examples=["2026-05"])
    count: int


class RoadClassCount(Answer):
    road_class: str
    count: int


class TimeToClear(Answer):
    count: int
    p50_minutes: float | None = None
    p90_minutes: float | None = None


class AgencyCount(Answer):
    agency: str
    name_en: str | None = None
    name_ko: str | None = None
    count: int
    closed: int
    outcomes: dict[str, int]
    time_to_clear: TimeToClear


class Summary(Answer):
    """Counts by species, month, road class and agency (duplicates excluded)."""

    filters: dict[str, Any]
    total: int
    by_species: list[SpeciesCount]
    by_month: list[MonthCount]
    by_road_class: list[RoadClassCount]
    by_agency: list[AgencyCount]
    notes: dict[str, str]
