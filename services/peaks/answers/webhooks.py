"""The signed webhooks the peaks hub sends to subscribed municipalities (OpenAPI 3.1 `webhooks`)."""
from __future__ import annotations

from pydantic import Field

from shared.answers import Answer, Timestamp
from shared.openapi import WebhookEvent


class PhotoApproved(Answer):
    event: str = Field(examples=["photo.approved"])
    id: str
    peak: str
    season: str
    approved_at: Timestamp
    display_name: str | None = None


class CertificateFacts(Answer):
    """A certificate and the state of its award; the display name only if the climber agreed to show it."""

    number: str = Field(examples=["YA-2026-000001"])
    id: str = Field(description="The certificate's random id (its address in the API and the QR code)")
    season: str
    rank: int
    first_place: bool
    medal: bool
    award: str = Field(description="none (nothing due), granted, held (for Ulju-gun's review) or refused",
                       examples=["granted"])
    display_name: str | None = None


class CertificateIssued(CertificateFacts):
    event: str = Field(examples=["certificate.issued"])
    issued_at: Timestamp
    municipalities: list[str]


class CertificateAwardChanged(CertificateFacts):
    event: str = Field(examples=["certificate.award_changed"])
    changed_at: Timestamp


WEBHOOKS = [
    WebhookEvent("photo.approved", "municipalities subscribed to it (`POST /open/v1/webhooks`), optionally only "
                 "for peaks in their territory", PhotoApproved, "A summit photo was approved"),
    WebhookEvent("certificate.issued", "municipalities subscribed to it", CertificateIssued,
                 "A climber completed the season"),
    WebhookEvent("certificate.award_changed", "municipalities subscribed to it", CertificateAwardChanged,
                 "Ulju-gun granted or refused a held award, or a refused first place passed to this certificate"),
]
