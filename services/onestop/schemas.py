"""Request and response models of the onestop API (Pydantic v2; inputs refuse unknown fields)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.onestop.domain.consent_policy import consent_policy
from shared.pii_guard import RRNGuarded
from shared.problems import FieldInvalid

EmploymentStatus = Literal["employed", "self-employed", "unemployed", "not-in-labour-force"]
Gender = Literal["female", "male", "other"]
Category = Literal["identity", "contact", "finance", "employment", "welfare", "health"]
CrisisFlag = Literal["eviction-risk", "utilities-cut", "food-insecurity", "medical-emergency",
                     "domestic-violence", "suicide-risk", "homelessness"]
Status = Literal["requested", "accepted", "in-progress", "on-hold", "rejected", "completed", "failed",
                 "cancelled", "entered-in-error"]
ReasonCode = Literal["got-help", "not-eligible", "no-capacity", "could-not-contact", "no-longer-interested",
                     "out-of-area", "duplicate", "consent-withdrawn", "referred-elsewhere",
                     "awaiting-documents", "resident-request"]
OutcomeCode = Literal["debt-adjusted", "loan-granted", "job-placed", "benefit-granted", "training-enrolled",
                      "counselling-provided", "got-help"]
EARLIEST_BIRTH = date(1900, 1, 1)


class Input(RRNGuarded):
    """Base of every request body: unknown fields refused, and no resident registration number anywhere
    (checked on the raw body, before any field is parsed, so an RRN in any field — known or not, nested
    or not — is refused with its path and never reaches storage or logs)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------------------- residents
class ResidentCreate(Input):
    model_config = {"json_schema_extra": {"examples": [{"name": "홍길동", "birth_date": "1974-05-05", "gender": "male", "phone": "010-1234-5678", "address_district": "buk-gu"}]}}

    name: str = Field(min_length=1, max_length=100, description="Full name as the resident gives it")
    birth_date: date = Field(description="YYYY-MM-DD, from 1900-01-01 to today (Korea time); age is computed from it")
    gender: Gender | None = None
    phone: str = Field(min_length=7, max_length=20, pattern=r"^\+?[0-9][0-9 \-]{5,18}[0-9]$",
                       description="Digits, spaces or hyphens, e.g. 010-1234-5678")
    address_district: str = Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9-]*$",
                                  description="District code, e.g. buk-gu")
    # birth_date between EARLIEST_BIRTH and today in Korea: checked by the flow against the service clock.


# --------------------------------------------------------------------------- cases
class Assessment(Input):
    """The one structured assessment a counsellor makes (fields named as in the eligibility rules)."""

    household_size: int = Field(ge=1, le=20)
    monthly_income_krw: int | None = Field(default=None, ge=0, le=1_000_000_000,
                                           description="Household's monthly income; annual = 12 × monthly")
    annual_income_krw: int | None = Field(default=None, ge=0, le=12_000_000_000)
    debt_total_krw: int = Field(default=0, ge=0, le=100_000_000_000)
    months_overdue: int = Field(default=0, ge=0, le=1200)
    credit_score: int | None = Field(default=None, ge=0, le=1000, description="NICE score 0–1000")
    employment_status: EmploymentStatus
    disability_registered: bool = False
    career_interrupted: bool = False
    marriage_immigrant: bool = False
    caregiver: bool = False
    basic_livelihood: bool = False
    near_poor: bool = False
    crisis_flags: list[CrisisFlag] = Field(default_factory=list, max_length=7,
                                           description="Urgent crises the counsellor saw")

    @model_validator(mode="after")
    def _one_income(self) -> Assessment:
        if self.monthly_income_krw is None and self.annual_income_krw is None:
            raise FieldInvalid("monthly_income_krw", "give monthly_income_krw or annual_income_krw (0 for no income)")
        if (self.monthly_income_krw is not None and self.annual_income_krw is not None
                and self.annual_income_krw != 12 * self.monthly_income_krw):
            raise FieldInvalid("annual_income_krw", "monthly_income_krw and annual_income_krw disagree; give only one")
        return self

    def facts(self) -> dict[str, Any]:
        out = self.model_dump(exclude={"monthly_income_krw", "crisis_flags"})
        if out["annual_income_krw"] is None:
            out["annual_income_krw"] = 12 * (self.monthly_income_krw or 0)
        return out


class CaseCreate(Input):
    model_config = {"json_schema_extra": {"examples": [{"resident_id": "res_01J9Z8X7W6V5T4S3R2Q1P0N9M8", "assessment": {"household_size": 1, "monthly_income_krw": 900000, "debt_total_krw": 32000000, "months_overdue": 14, "credit_score": 520, "employment_status": "unemployed", "crisis_flags": ["utilities-cut"]}}]}}

    resident_id: str = Field(min_length=1, max_length=40)
    assessment: Assessment


# --------------------------------------------------------------------------- consent
class ConsentCreate(Input):
    model_config = {"json_schema_extra": {"examples": [{"agency": "ccrs", "categories": ["identity", "contact", "finance"], "sensitive_consent": False, "language": "ko", "taken_by": "counsellor 7", "notice_shown": True}]}}

    agency: str = Field(min_length=2, max_length=40, description="Party code of the receiving agency")
    categories: list[Category] = Field(min_length=1, max_length=6)
    sensitive_consent: bool = Field(
        default=False, description="Separate consent for sensitive categories (health, PIPA Art. 23)")
    language: Literal["en", "ko"] = "ko"
    taken_by: str = Field(min_length=1, max_length=100, description="The counsellor who took the consent")
    notice_shown: Literal[True] = Field(description="The five items were read out or shown to the resident")

    @model_validator(mode="after")
    def _sensitive_needs_separate(self) -> ConsentCreate:
        policy = consent_policy()
        sensitive = [c for c in self.categories if policy.categories[c].sensitive]
        if sensitive and not self.sensitive_consent:
            raise FieldInvalid("sensitive_consent", f"{', '.join(sensitive)} is sensitive (PIPA Art. 23): it "
                               "needs a separate consent; set sensitive_consent=true after asking for it separately")
        return self


class ConsentWithdraw(Input):
    model_config = {"json_schema_extra": {"examples": [{"withdrawn_by": "counsellor 7"}]}}

    withdrawn_by: str = Field(min_length=1, max_length=100)


# --------------------------------------------------------------------------- referrals
class ReferralCreate(Input):
    model_config = {"json_schema_extra": {"examples": [{"service": "ccrs-debt-adjustment", "note": "prefers a morning call"}]}}

    service: str = Field(min_length=1, max_length=80, description="Service key or HSDS service id")
    note: str | None = Field(default=None, max_length=1000,
                             description="Kept at the hub; never sent to the agency")


class StatusChange(Input):
    model_config = {"json_schema_extra": {"examples": [{"status": "completed", "outcome": "debt-adjusted", "version": 3}]}}

    status: Status
    reason: ReasonCode | None = None
    outcome: OutcomeCode | None = None
    amount_krw: int | None = Field(default=None, gt=0, le=100_000_000_000)
    note: str | None = Field(default=None, max_length=1000)
    version: int | None = Field(default=None, ge=1, description="Last version you read (or send If-Match)")


class AgencyReferral(BaseModel):
    """One referral in an agency's list: status and times only, never personal data."""

    id: str
    agency: str = Field(description="Party code of the agency (the caller)")
    service_key: str
    service_id: str = Field(description="HSDS service id")
    status: Status
    version: int = Field(description="Send it back as If-Match (or `version`) when changing the status")
    reason: str | None = Field(description="Reason code of a rejected, cancelled, on-hold or failed referral")
    outcome: str | None = Field(description="Outcome code of a completed referral")
    amount_krw: int | None
    access_revoked: bool = Field(description="The resident withdrew consent: the data may no longer be read")
    created_at: datetime = Field(description="Korean time with offset, e.g. 2026-05-04T10:15:00.123456+09:00")
    status_changed_at: datetime
    sent_at: datetime
    accepted_at: datetime | None
    completed_at: datetime | None


class AgencyReferralPage(BaseModel):
    items: list[AgencyReferral]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class CancelReferral(Input):
    model_config = {"json_schema_extra": {"examples": [{"reason": "resident-request", "note": "the resident found a job", "version": 2}]}}

    reason: ReasonCode
    note: str | None = Field(default=None, max_length=1000)
    version: int | None = Field(default=None, ge=1)


# --------------------------------------------------------------------------- meetings
class MeetingCreate(Input):
    model_config = {"json_schema_extra": {"examples": [{"title": "Monthly case meeting", "held_on": "2026-05-28"}]}}

    title: str = Field(min_length=1, max_length=200)
    held_on: date = Field(description="YYYY-MM-DD, within a year (366 days) of today, Korea time")
    stalled_days: dict[Literal["requested", "accepted", "in-progress", "on-hold"],
                       Annotated[int, Field(ge=0, le=365)]] | None = Field(
        default=None, description="Override the days (0–365) after which a referral counts as stalled")
    # held_on within a year of today in Korea: checked by the flow against the service clock.


class TaskIn(Input):
    title: str = Field(min_length=1, max_length=200)
    assignee: str = Field(min_length=1, max_length=40)
    due_date: date | None = None


class Decision(Input):
    model_config = {"json_schema_extra": {"examples": [{"action": "task", "task": {"title": "call the resident about the debt adjustment", "assignee": "counsellor 7", "due_date": "2026-06-04"}, "note": "agreed at the meeting"}]}}

    action: Literal["refer", "task", "monitor", "close"]
    service: str | None = Field(default=None, max_length=80, description="For action=refer")
    task: TaskIn | None = Field(default=None, description="For action=task")
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _needs(self) -> Decision:
        if self.action == "refer" and not self.service:
            raise FieldInvalid("service", "action 'refer' needs `service`")
        if self.action == "task" and self.task is None:
            raise FieldInvalid("task", "action 'task' needs `task`")
        return self
