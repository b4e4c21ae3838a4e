"""The FHIR view of a referral as an answer model (the resources' main members; FHIR allows more)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.answers import Answer

FHIR_ID = Field(pattern=r"^[A-Za-z0-9\-.]{1,64}$", description="A FHIR id: [A-Za-z0-9-.]{1,64}",
                examples=["task.ref-01J9Z8X7W6V5T4S3R2Q1P0N9M8"])


class FhirResource(Answer):
    resourceType: Literal["ServiceRequest", "Task"]
    id: str = FHIR_ID
    status: str = Field(description="ServiceRequest: active, on-hold, completed, revoked…; Task: our referral "
                                    "status (requested, accepted, in-progress, on-hold, completed, rejected…)")
    intent: Literal["order"]
    authoredOn: str = Field(json_schema_extra={"format": "date-time"})
    requester: dict[str, Any]
    identifier: list[dict[str, Any]] | None = None
    focus: dict[str, Any] | None = Field(default=None, description="Task: `ServiceRequest/<id>`")
    owner: dict[str, Any] | None = Field(default=None, description="Task: the agency")
    performer: list[dict[str, Any]] | None = Field(default=None, description="ServiceRequest: the agency")
    lastModified: str | None = Field(default=None, json_schema_extra={"format": "date-time"})


class FhirEntry(Answer):
    resource: FhirResource


class FhirBundle(Answer):
    """A FHIR R4 Bundle (`collection`): the referral's ServiceRequest, then its Task. No personal data."""

    resourceType: Literal["Bundle"]
    type: Literal["collection"]
    entry: list[FhirEntry]
