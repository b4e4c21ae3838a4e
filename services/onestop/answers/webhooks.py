"""The signed webhooks the onestop hub and agencies exchange (OpenAPI 3.1 `webhooks`)."""
from __future__ import annotations

from pydantic import Field

from shared.answers import Answer, Timestamp
from shared.openapi import WebhookEvent


class ReferralRequested(Answer):
    """A referral with only the data categories the resident consented to give this agency."""

    referral_id: str
    service_id: str
    service_key: str
    agency: str
    resident_ref: str = Field(description="The resident's pseudonym")
    status: str
    version: int
    name: str | None = None
    birth_date: str | None = None
    phone: str | None = None
    address_district: str | None = None


class ReferralStatusChanged(Answer):
    referral_id: str
    case_id: str | None = None
    agency: str
    service_key: str
    previous_status: str
    status: str
    reason: str | None = None
    outcome: str | None = None
    amount_krw: int | None = None
    version: int
    changed_by: str
    changed_at: Timestamp


class AccessRevoked(Answer):
    referral_id: str
    reason: str = Field(examples=["consent-withdrawn"])
    instruction: str = Field(examples=["destroy the resident's data (PIPA Art. 37)"])


WEBHOOKS = [
    WebhookEvent("referral.requested", "the agency of the referred service", ReferralRequested,
                 "A new referral (consented data only)"),
    WebhookEvent("referral.status_changed", "the centre (bukgu-hub) and the agency", ReferralStatusChanged,
                 "A referral moved along the state table"),
    WebhookEvent("referral.cancelled", "the agency", ReferralStatusChanged, "The centre cancelled a referral"),
    WebhookEvent("referral.access_revoked", "the agency", AccessRevoked,
                 "The resident withdrew consent: destroy the data (PIPA Art. 37)"),
]
