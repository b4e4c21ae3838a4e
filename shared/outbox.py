"""Transactional outbox: messages to parties written in the same transaction as the change."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared import trace
from shared.db import insert_row, utcnow
from shared.errors import Problem
from shared.ids import new_id


def enqueue(session: Session, tables, *, from_party: str, to_party: str, kind: str, subject_type: str,
            subject_id: str, payload: Mapping[str, Any], fields: Iterable[str] | None = None,
            summary: str | None = None, delay_s: float = 0.0, target_url: str | None = None) -> str:
    """Queues a signed webhook to `to_party` and appends the hop to the trace.

    Nothing is sent here: the relay delivers after the caller's transaction commits, so
    the message exists if and only if the business change does.
    """
    now = utcnow()
    msg_id = new_id("msg")
    insert_row(session, tables.outbox, dict(
        id=msg_id, from_party=from_party, to_party=to_party, kind=kind, subject_type=subject_type,
        subject_id=subject_id, payload=dict(payload), target_url=target_url, status="pending", attempts=0,
        next_attempt_at=now + timedelta(seconds=delay_s), created_at=now, locked_until=None, locked_by=None,
        delivered_at=None, last_error=None, last_status_code=None))
    trace.record(session, tables, channel="webhook", from_party=from_party, to_party=to_party, kind=kind,
                 subject_type=subject_type, subject_id=subject_id,
                 fields=fields if fields is not None else trace.flatten_fields(payload),
                 summary=summary, message_id=msg_id)
    session.info["outbox_enqueued"] = True
    return msg_id


def list_messages(session: Session, tables, *, status: str | None = None, party: str | None = None,
                  limit: int = 100) -> list[dict[str, Any]]:
    o = tables.outbox
    q = select(o).order_by(o.c.created_at.desc()).limit(limit)
    if status:
        q = q.where(o.c.status == status)
    if party:
        q = q.where(o.c.to_party == party)
    return [_public(r) for r in session.execute(q).all()]


def attempts(session: Session, tables, message_id: str) -> list[dict[str, Any]]:
    a = tables.attempt
    rows = session.execute(select(a).where(a.c.message_id == message_id).order_by(a.c.attempt_no)).all()
    return [{"attempt_no": r.attempt_no, "worker": r.worker, "url": r.url,
             "started_at": r.started_at.isoformat(), "latency_ms": round(r.latency_ms, 2),
             "status_code": r.status_code, "error": r.error, "outcome": r.outcome} for r in rows]


def redrive(session: Session, tables, message_id: str) -> dict[str, Any]:
    """Puts a dead-lettered message back in the queue with a fresh attempt budget."""
    o = tables.outbox
    row = session.execute(select(o).where(o.c.id == message_id)).first()
    if row is None:
        raise Problem(404, "not-found", f"No outbox message {message_id}.")
    if row.status != "dead":
        raise Problem(409, "not-dead-lettered",
                      f"Message {message_id} is '{row.status}'; only dead-lettered messages can be re-driven.")
    session.execute(update(o).where(o.c.id == message_id).values(
        status="pending", attempts=0, next_attempt_at=utcnow(), locked_until=None, locked_by=None))
    session.info["outbox_enqueued"] = True
    return {"id": message_id, "status": "pending"}


def counts(session: Session, tables) -> dict[str, int]:
    o = tables.outbox
    return {s: n for s, n in session.execute(select(o.c.status, func.count()).group_by(o.c.status)).all()}


def _public(r) -> dict[str, Any]:
    return {"id": r.id, "from": r.from_party, "to": r.to_party, "kind": r.kind, "subject_type": r.subject_type,
            "subject_id": r.subject_id, "status": r.status, "attempts": r.attempts,
            "next_attempt_at": r.next_attempt_at.isoformat(), "created_at": r.created_at.isoformat(),
            "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
            "last_error": r.last_error, "last_status_code": r.last_status_code}
