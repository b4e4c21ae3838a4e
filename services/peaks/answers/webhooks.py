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


class CertificateIssued(Answer):
    event: str = Field(examples=["certificate.issued"])
    number: str
    season: str
    rank: int
    first_place: bool
    medal: bool
    issued_at: Timestamp
    display_name: str | None = None
    municipalities: list[str]


WEBHOOKS = [
    WebhookEvent("photo.approved", "municipalities subscribed to it (`POST /open/v1/webhooks`), optionally only "
                 "for peaks in their territory", PhotoApproved, "A summit photo was approved"),
    WebhookEvent("certificate.issued", "municipalities subscribed to it", CertificateIssued,
                 "A climber completed the season"),
]
