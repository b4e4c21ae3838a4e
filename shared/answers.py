"""Building blocks of typed API answers (response models) shared by every service.

Flows return plain data; a route declares one of these models as its answer so that the OpenAPI
document says what a client gets. Timestamps stay the strings the flows wrote (ISO 8601 with offset):
`Timestamp` documents them as `date-time` without parsing and re-printing them.
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"},
                                 examples=["2026-05-04T10:15:00.123456+09:00"])]
Day = Annotated[str, Field(json_schema_extra={"format": "date"}, examples=["2026-05-04"])]


class Answer(BaseModel):
    """Base of every answer: the documented fields; a field a flow adds later is passed on, not dropped."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


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
