"""Answers about residents, their consents and cases."""
from __future__ import annotations

from pydantic import Field

from shared.answers import Answer, Day, Timestamp, TraceEvent


# --------------------------------------------------------------------------- residents
class CaseRef(Answer):
    id: str
    status: str
    created_at: Timestamp


class PossibleDuplicate(Answer):
    id: str
    created_at: Timestamp
    why: str


class Resident(Answer):
    """A resident's personal data (every read of it is in the resident's access log)."""

    id: str = Field(examples=["res_01J9Z8X7W6V5T4S3R2Q1P0N9M8"])
    name: str = Field(examples=["홍길동"])
    birth_date: Day
    gender: str | None = None
    phone: str = Field(examples=["010-1234-5678"])
    address_district: str = Field(examples=["buk-gu"])
    pseudonym: str = Field(description="Stable pseudonym used in meetings and to agencies", examples=["R-B73779701022"])
    created_by: str
    created_at: Timestamp
    cases: list[CaseRef] = Field(default_factory=list, description="The resident's cases (on reads)")
    possible_duplicates: list[PossibleDuplicate] = Field(
        default_factory=list, description="Residents with the same name and birth date (on registration)")


class AccessLogEntry(Answer):
    at: Timestamp
    party: str
    via: str | None = None
    resource: str = Field(examples=["case:case_01J9Z8X7W6V5T4S3R2Q1P0N9M7"])
    fields: list[str]
    purpose: str


class AccessLog(Answer):
    resident_id: str
    items: list[AccessLogEntry]


class NoticeItem(Answer):
    code: str = Field(examples=["purpose"])
    text: str


class Consent(Answer):
    """A consent to give data to one agency, with the five PIPA Art. 17(2) items as shown."""

    id: str
    resident_id: str
    agency: str
    categories: list[str]
    sensitive_categories: list[str]
    sensitive_consent: bool
    purpose: str
    retention: str
    notice: list[NoticeItem]
    language: str
    policy_version: str
    taken_by: str
    taken_at: Timestamp
    withdrawn_at: Timestamp | None = None
    withdrawn_by: str | None = None
    superseded_at: Timestamp | None = None
    active: bool
    replaces: str | None = Field(default=None, description="The consent this one supersedes")


class WithdrawnConsent(Consent):
    access_revoked_referrals: list[str] = Field(description="Referrals whose data the agency may no longer read")
    cancelled_referrals: list[str] = Field(description="Unfinished referrals cancelled by the withdrawal")


class Consents(Answer):
    resident_id: str
    items: list[Consent]


# --------------------------------------------------------------------------- cases
class AssessmentFacts(Answer):
    household_size: int
    annual_income_krw: int
    debt_total_krw: int
    months_overdue: int
    credit_score: int | None = None
    employment_status: str
    disability_registered: bool
    career_interrupted: bool
    marriage_immigrant: bool
    caregiver: bool
    basic_livelihood: bool
    near_poor: bool
    crisis_flags: list[str]


class Vulnerability(Answer):
    score: int
    flags: list[str]
    urgent_flags: list[str]
    version: str
    reasons: list[str] = Field(default_factory=list, description="How the score was reached (on creation)")


class Case(Answer):
    id: str = Field(examples=["case_01J9Z8X7W6V5T4S3R2Q1P0N9M7"])
    resident_id: str
    status: str = Field(examples=["open"])
    age: int
    assessment: AssessmentFacts
    vulnerability: Vulnerability
    created_by: str
    created_at: Timestamp


class Source(Answer):
    id: str
    title: str
    url: str | None = None
    approximate: bool


class Recommendation(Answer):
    service_id: str
    service_key: str
    service_name: str
    agency: str
    agency_name: str
    status: str = Field(description="eligible, maybe or not_eligible", examples=["eligible"])
    reasons: list[str] = Field(examples=[["age 52 ≥ 40"]])
    max_amount_krw: int | None = None
    rules_version: str
    sources: list[Source]


class Recommendations(Answer):
    case_id: str
    rules_version: str
    rules_effective_date: Day
    recommendations: list[Recommendation]


class CaseTrace(Answer):
    case_id: str
    referral_ids: list[str]
    events: list[TraceEvent]
