"""The signed webhooks the roadkill hub sends (OpenAPI 3.1 `webhooks`): each event, who gets it, its `data`."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.answers import Answer, Timestamp
from shared.openapi import WebhookEvent


class Position(Answer):
    lat: float
    lon: float
    road_id: str | None = None
    road_name: str | None = None


class IncidentRef(Answer):
    subject_id: str = Field(description="The incident (also `incident_id`)")
    incident_id: str


class ComplaintFiled(IncidentRef):
    category: str
    complaint: dict[str, Any] = Field(description="The civil complaint's text and species (no reporter identity)")
    location: dict[str, Any]
    proposed_agency: str


class ComplaintForwarded(IncidentRef):
    complaint_no: str
    species: str
    location: dict[str, Any]
    version: int
    routing: dict[str, Any] = Field(description="agency, agency_name, explanation")


class IncidentAssigned(IncidentRef):
    complaint_no: str | None = None
    version: int
    species: str
    location: dict[str, Any]
    lane: str | None = None
    side: str | None = None
    report_count: int
    first_reported_at: Timestamp
    explanation: str
    transfer: dict[str, Any] | None = Field(default=None, description="from, reason: when transferred")


class ClosedIncident(IncidentRef):
    """What was done where, by whom and how fast, once an incident closes: nothing personal and nothing the
    drivers said (MLIT's outcome record; the Ministry of Environment's processing record adds the taxon)."""

    species_confirmed: str | None = None
    event_date: Timestamp
    cleared_at: Timestamp | None = None
    outcome: str
    lat: float
    lon: float
    road_id: str | None = None
    road_class: str | None = None
    segment_no: int | None = None
    agency: str
    municipality: str | None = None
    report_count: int
    time_to_clear_s: int | None = None


class OutcomeRecord(ClosedIncident):
    """What MLIT accumulates when an incident closes (handbook Table 3), with the ACRC complaint number."""

    complaint_no: str | None = None


class ProcessingRecord(ClosedIncident):
    """What the Ministry of Environment gets when an incident closes, for prevention: no personal data."""

    species_reported: str
    taxon: dict[str, Any]
    coordinate_uncertainty_m: float | None = None


class IncidentStatus(IncidentRef):
    report_ids: list[str] = Field(description="The partner's reports this incident answers")
    status: str
    open311_status: str
    outcome: str | None = None
    cleared_at: Timestamp | None = None


WEBHOOKS = [
    WebhookEvent("complaint.filed", "ACRC (acrc)", ComplaintFiled, "A civil complaint to register"),
    WebhookEvent("complaint.forwarded", "MOLIT (molit)", ComplaintForwarded, "A registered complaint to assign"),
    WebhookEvent("incident.assigned", "the road agency in charge", IncidentAssigned, "An incident to clear"),
    WebhookEvent("outcome.record", "MOLIT (molit)", OutcomeRecord, "A closed incident's outcome for the road data"),
    WebhookEvent("processing.record", "Ministry of Environment (me)", ProcessingRecord, "A closed incident's record"),
    WebhookEvent("incident.status", "the reporting navigation partner (tmap)", IncidentStatus,
                 "The outcome, for the drivers who reported"),
]
