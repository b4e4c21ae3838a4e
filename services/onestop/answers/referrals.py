"""Answers about referrals (the centre's and the agencies' views) and their state machine."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.answers import Answer, CursorPage, Timestamp, TraceEvent

REFERRAL_EXAMPLE = {
    "id": "ref_01J9Z8X7W6V5T4S3R2Q1P0N9M8", "case_id": "case_01J9Z8X7W6V5T4S3R2Q1P0N9M7", "agency": "ccrs",
    "service_key": "ccrs-debt-adjustment", "service_id": "ddb0be61-d0d2-5573-8146-23cf54cba222",
    "status": "requested", "version": 1, "reason": None, "outcome": None, "amount_krw": None,
    "access_revoked": False, "agenda_item_id": None, "created_at": "2026-05-04T10:15:00.123456+09:00",
    "status_changed_at": "2026-05-04T10:15:00.123456+09:00", "sent_at": "2026-05-04T10:15:00.123456+09:00",
    "accepted_at": None, "completed_at": None}


# --------------------------------------------------------------------------- referrals
class ReferralCore(Answer):
    """A referral's status and times, as both sides see them (never personal data)."""

    id: str
    agency: str
    service_key: str
    service_id: str = Field(description="HSDS service id")
    status: str
    version: int = Field(description="Send it back as If-Match (or `version`) when changing the status")
    reason: str | None = None
    outcome: str | None = None
    amount_krw: int | None = None
    access_revoked: bool
    created_at: Timestamp
    status_changed_at: Timestamp
    sent_at: Timestamp
    accepted_at: Timestamp | None = None
    completed_at: Timestamp | None = None


class Referral(ReferralCore):
    """A referral as the centre sees it (`version` is its ETag: send it back as If-Match)."""

    model_config = {"json_schema_extra": {"examples": [REFERRAL_EXAMPLE]}}

    case_id: str
    agenda_item_id: str | None = None


class SentReferral(Referral):
    shared_fields: list[str] = Field(description="The consented data fields the agency received")


class HistoryEntry(Answer):
    at: Timestamp
    party: str
    via: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: str
    reason: str | None = None
    outcome: str | None = None
    amount_krw: int | None = None
    note: str | None = None
    version: int


class ReferralDetail(Referral):
    note: str | None = Field(default=None, description="The counsellor's note (never sent to the agency)")
    history: list[HistoryEntry]
    allowed_next: list[str] = Field(description="Statuses the centre may move it to now")


class ReferralPage(CursorPage[Referral]):
    """Referrals, newest first."""


class CaseReferrals(Answer):
    items: list[Referral]


class ReferralTrace(Answer):
    referral_id: str
    events: list[TraceEvent]


class AgencyReferralView(ReferralCore):
    """One referral with only the resident data the consent covers (the read is logged)."""

    resident_ref: str | None = None
    data: dict[str, Any] | None = Field(default=None, description="The consented fields only (by category)")
    allowed_next: list[str] | None = None


class Transition(Answer):
    from_: str = Field(alias="from", examples=["requested"])
    to: str = Field(examples=["accepted"])
    actors: list[str] = Field(description="Who may make the move: hub, agency", examples=[["agency"]])
    reason_required: bool
    reasons: list[str] = Field(description="The reason codes accepted for it")


class ReferralStates(Answer):
    """The referral state machine as data (the same table the API and the autopilot use)."""

    version: str
    initial_state: str
    states: dict[str, dict[str, Any]] = Field(description="Each state by code: label, terminal, …")
    transitions: list[Transition]
    outcome_codes: dict[str, str] = Field(description="Outcome code → label")
    completion_outcomes: dict[str, dict[str, bool]] = Field(description="Outcomes of `completed`, and "
                                                                        "whether they need `amount_krw`")
