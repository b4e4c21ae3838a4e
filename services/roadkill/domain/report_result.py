"""What intake answers for one stored report (the voice-report and Open311 routes shape it)."""
from __future__ import annotations

from dataclasses import dataclass

from services.roadkill.domain import routing


@dataclass(frozen=True, slots=True)
class IntakeResult:
    report_id: str
    incident_id: str
    merged: bool
    report_count: int
    species: str
    species_confidence: float
    lane: str | None
    side: str | None
    decision: routing.JurisdictionDecision
    status: str = "received"
    matched: str | None = None
    merge_reason: str = ""
