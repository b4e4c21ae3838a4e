"""Answers about case-management meetings and linkage statistics."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.answers import Answer, Day, Timestamp


# --------------------------------------------------------------------------- meetings
class MeetingSummary(Answer):
    id: str
    title: str
    held_on: Day
    created_at: Timestamp


class Meetings(Answer):
    items: list[MeetingSummary]


class ReferralBrief(Answer):
    id: str
    agency: str
    service_key: str
    status: str
    reason: str | None = None
    status_changed_at: Timestamp | None = None


class CaseBrief(Answer):
    id: str
    resident_ref: str
    age_band: str
    vulnerability_score: int
    urgent_flags: list[str]
    groups: list[str]
    referrals: list[ReferralBrief]


class ItemDecision(Answer):
    action: str
    note: str | None = None
    decided_by: str
    decided_at: Timestamp
    referral_id: str | None = None
    task_id: str | None = None


class AgendaItem(Answer):
    id: str
    position: int
    kind: str = Field(examples=["stalled-referral"])
    reason: str
    case: CaseBrief
    referral: ReferralBrief | None = None
    decision: ItemDecision | None = None


class Task(Answer):
    id: str
    case_id: str
    title: str
    assignee: str
    due_date: Day | None = None
    status: str


class Meeting(MeetingSummary):
    config: dict[str, Any] = Field(description="The thresholds the agenda was generated with")
    created_by: str
    items: list[AgendaItem]
    tasks: list[Task]


class DecisionAnswer(Answer):
    item_id: str
    action: str
    referral_id: str | None = None
    task_id: str | None = None
    decided_at: Timestamp


# --------------------------------------------------------------------------- stats
class AgencyFigures(Answer):
    agency: str
    field: str
    sent: int
    accepted: int
    completed: int
    rejected: int
    rejected_by_reason: dict[str, int]
    median_days_to_accept: float | None = None
    median_days_to_complete: float | None = None


class GroupFigures(Answer):
    group: str
    cases: int | None = Field(description="null when under 5 (suppressed)")
    suppressed: bool


class Linkage(Answer):
    since: Day | None = None
    until: Day | None = None
    agencies: list[AgencyFigures]
    vulnerable_groups: list[GroupFigures]
    suppression: str
