"""The platform tables every service database carries: keys, idempotency, outbox, inbox, trace."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db import SEQUENCE_ID, JSONType, UTCDateTime, new_metadata


@dataclass(frozen=True)
class PlatformTables:
    api_key: Table
    idempotency: Table
    outbox: Table
    attempt: Table
    inbox: Table
    trace: Table
    endpoint: Table


def service_metadata() -> tuple[MetaData, PlatformTables]:
    """Fresh metadata for one service's tables, already holding the platform tables."""
    metadata = new_metadata()
    return metadata, define_platform_tables(metadata)


def _exchange() -> list[Column[Any]]:
    """Who sent what to whom about which subject: the columns an outbox message and a trace event share."""
    return [
        Column("from_party", String(40), nullable=False),
        Column("to_party", String(40), nullable=False),
        Column("kind", String(80), nullable=False),
        Column("subject_type", String(40), nullable=False),
        Column("subject_id", String(64), nullable=False),
    ]


def define_platform_tables(metadata: MetaData) -> PlatformTables:
    """Adds the platform tables to a service's metadata (so its Alembic history owns them)."""
    api_key = Table(
        "api_key", metadata,
        Column("id", String(40), primary_key=True),
        # Short, random, shown by `cpa keys list`; `cpa keys revoke` names exactly one key by it.
        Column("public_id", String(16), nullable=False, unique=True),
        Column("key_hash", String(64), nullable=False, unique=True),
        Column("prefix", String(16), nullable=False),
        Column("party", String(40), nullable=False, index=True),
        Column("label", String(200), nullable=False, default=""),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("revoked_at", UTCDateTime(), nullable=True),
    )
    idempotency = Table(
        "idempotency_record", metadata,
        Column("id", SEQUENCE_ID, primary_key=True, autoincrement=True),
        Column("scope", String(64), nullable=False),
        Column("key", String(255), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("state", String(16), nullable=False),  # in_flight | done
        Column("response_status", Integer, nullable=True),
        Column("response_headers", JSONType, nullable=True),
        Column("response_body", LargeBinary, nullable=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("locked_until", UTCDateTime(), nullable=False),
        Column("expires_at", UTCDateTime(), nullable=False, index=True),
        UniqueConstraint("scope", "key"),
    )
    outbox = Table(
        "outbox_message", metadata,
        Column("id", String(40), primary_key=True),  # also the webhook-id
        *_exchange(),
        Column("payload", JSONType, nullable=False),
        Column("target_url", Text, nullable=True),
        Column("status", String(16), nullable=False),  # pending | delivering | delivered | dead
        Column("attempts", Integer, nullable=False, default=0),
        Column("next_attempt_at", UTCDateTime(), nullable=False),
        Column("locked_until", UTCDateTime(), nullable=True),
        Column("locked_by", String(64), nullable=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("delivered_at", UTCDateTime(), nullable=True),
        Column("last_error", Text, nullable=True),
        Column("last_status_code", Integer, nullable=True),
        Index("ix_outbox_message_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_message_subject", "subject_type", "subject_id"),
    )
    attempt = Table(
        "delivery_attempt", metadata,
        Column("id", SEQUENCE_ID, primary_key=True, autoincrement=True),
        Column("message_id", String(40), ForeignKey("outbox_message.id", ondelete="CASCADE"),
               nullable=False, index=True),
        Column("attempt_no", Integer, nullable=False),
        Column("worker", String(64), nullable=False),
        Column("url", Text, nullable=False),
        Column("started_at", UTCDateTime(), nullable=False),
        Column("latency_ms", Float, nullable=False),
        Column("status_code", Integer, nullable=True),
        Column("error", Text, nullable=True),
        Column("outcome", String(16), nullable=False),  # delivered | retry | dead
    )
    inbox = Table(
        "inbox_message", metadata,
        Column("id", SEQUENCE_ID, primary_key=True, autoincrement=True),
        Column("receiver", String(40), nullable=False),
        Column("webhook_id", String(64), nullable=False),
        Column("kind", String(80), nullable=False),
        Column("subject_id", String(64), nullable=True),
        Column("payload", JSONType, nullable=False),
        Column("received_at", UTCDateTime(), nullable=False),
        Column("due_at", UTCDateTime(), nullable=True),  # simulated parties: when the autopilot acts
        Column("processed_at", UTCDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("result", Text, nullable=True),
        UniqueConstraint("receiver", "webhook_id"),
        Index("ix_inbox_message_pending", "processed_at", "due_at"),
    )
    trace = Table(
        "trace_event", metadata,
        Column("seq", SEQUENCE_ID, primary_key=True, autoincrement=True),
        Column("message_id", String(40), nullable=True, index=True),
        Column("channel", String(16), nullable=False),  # webhook (hub → party) | api (party → hub)
        *_exchange(),
        Column("fields", JSONType, nullable=False),
        Column("summary", Text, nullable=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Index("ix_trace_event_subject", "subject_type", "subject_id", "seq"),
    )
    endpoint = Table(
        "party_endpoint", metadata,
        Column("party", String(40), primary_key=True),
        Column("url", Text, nullable=False),
        Column("enabled", Boolean, nullable=False, default=True),
        Column("secret_version", Integer, nullable=False, default=1),
        Column("updated_at", UTCDateTime(), nullable=False),
    )
    return PlatformTables(api_key, idempotency, outbox, attempt, inbox, trace, endpoint)
