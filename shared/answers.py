"""Building blocks of typed API answers (response models) shared by every service.

Flows return plain data; a route declares one of these models as its answer so that the OpenAPI
document says what a client gets. Timestamps stay the strings the flows wrote (ISO 8601 with offset):
`Timestamp` documents them as `date-time` without parsing and re-printing them.
"""
from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"},
                                 examples=["2026-05-04T10:15:00.123456+09:00"])]
Day = Annotated[str, Field(json_schema_extra={"format": "date"}, examples=["2026-05-04"])]


class Answer(BaseModel):
    """Base of every answer: the documented fields, as the flow gave them.

    A field the flow left out stays out (an optional field is absent, not null: who may see what is
    decided by the flows), and a field a flow adds later is passed on, not dropped.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    @model_serializer(mode="wrap")
    def _as_given(self, handler: SerializerFunctionWrapHandler):  # no return type: the schema stays the model's
        data = handler(self)
        if not isinstance(data, dict):
            return data
        unset = {f.serialization_alias or f.alias or name for name, f in type(self).model_fields.items()
                 if name not in self.model_fields_set} | {name for name in type(self).model_fields
                                                          if name not in self.model_fields_set}
        return {k: v for k, v in data.items() if k not in unset}


ItemT = TypeVar("ItemT")


class CursorPage(Answer, Generic[ItemT]):
    """One page of a list read with cursors. Name a page per item type (`class IncidentPage(CursorPage[X])`),
    so the document calls it that."""

    items: list[ItemT]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page; absent or null on the last")


class TraceEvent(Answer):
    """One message across a party boundary, with the fields that left the hub."""

    seq: int
    channel: str = Field(description="`api` (party → hub call) or `webhook` (hub → party)", examples=["webhook"])
    from_: str = Field(alias="from", description="Sending party", examples=["chungnam"])
    to: str = Field(description="Receiving party", examples=["acrc"])
    kind: str = Field(examples=["complaint.filed"])
    subject_type: str
    subject_id: str
    fields: list[str] = Field(description="Fields of the message (personal ones included by name only)")
    summary: str | None = None
    message_id: str | None = None
    status: str | None = Field(default=None, description="Delivery status of a webhook")
    attempts: int | None = None
    at: Timestamp
    delivered_at: Timestamp | None = None


class Trace(Answer):
    """Every cross-party message about one subject (`?format=mermaid` gives a sequence diagram)."""

    subject_type: str
    subject_id: str
    events: list[TraceEvent]


class Party(Answer):
    code: str = Field(examples=["acrc"])
    name: str
    name_ko: str | None = None
    roles: list[str]
    description: str | None = None


# Answers that are not JSON: a route lists them in `responses=` so the document names their media type.
def text_answer(media_type: str, description: str) -> dict[Any, Any]:
    return {200: {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}}


def binary_answer(media_type: str, description: str) -> dict[Any, Any]:
    return {200: {"description": description,
                  "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}


# A trace: JSON by default, a Mermaid sequence diagram with `format=mermaid`.
MERMAID = text_answer("text/vnd.mermaid", "The trace as JSON, or with `format=mermaid` a Mermaid sequence diagram")


class Geometry(Answer):
    type: str = Field(examples=["Point"])
    coordinates: list[Any] = Field(description="GeoJSON coordinates (longitude first)", examples=[[126.9, 36.6]])


class Feature(Answer):
    type: str = Field(examples=["Feature"])
    geometry: Geometry | None = None
    properties: dict[str, Any] | None = None


class FeatureCollection(Answer):
    """A GeoJSON FeatureCollection (RFC 7946), served as application/geo+json."""

    type: str = Field(examples=["FeatureCollection"])
    features: list[Feature]


def geojson_answer(description: str) -> dict[Any, Any]:
    schema = {"$ref": "#/components/schemas/FeatureCollection"}
    return {200: {"description": description, "content": {"application/geo+json": {"schema": schema}}}}


# -- the platform's own operations (shared.ops) ----------------------------------------------
class OutboxMessage(Answer):
    id: str
    from_: str = Field(alias="from")
    to: str
    kind: str = Field(examples=["incident.assigned"])
    subject_type: str
    subject_id: str
    status: str = Field(examples=["dead"])
    attempts: int
    next_attempt_at: Timestamp | None = None
    created_at: Timestamp
    delivered_at: Timestamp | None = None
    last_error: str | None = None
    last_status_code: int | None = None


class OutboxPage(Answer):
    items: list[OutboxMessage]
    counts: dict[str, int] = Field(description="Messages by status")


class Attempt(Answer):
    attempt_no: int
    worker: str | None = None
    url: str | None = None
    started_at: Timestamp
    latency_ms: float | None = None
    status_code: int | None = None
    error: str | None = None
    outcome: str | None = None


class Redriven(Answer):
    id: str
    status: str = Field(examples=["pending"])


class EndpointSet(Answer):
    """The party's external endpoint, with the secret its receiver verifies signatures with."""

    party: str
    url: str
    enabled: bool
    secret_version: int
    updated_at: Timestamp
    signing_secret: str = Field(description="Standard Webhooks secret (whsec_…); shown here only")


class Readiness(Answer):
    status: str = Field(examples=["ready"])
    database: str = Field(examples=["reachable"])
    migrations_at_head: bool
    revision: list[str]
    head: list[str]
