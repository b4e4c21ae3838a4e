"""Append-only trace of every message crossing a party boundary; JSON and Mermaid views."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import insert_row, utcnow
from shared.parties import PartyRegistry


def flatten_fields(payload: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of every leaf field in a payload: what a party actually received."""
    out: list[str] = []
    for key, value in payload.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.extend(flatten_fields(value, name + "."))
        else:
            out.append(name)
    return sorted(out)


def record(session: Session, tables, *, channel: str, from_party: str, to_party: str, kind: str,
           subject_type: str, subject_id: str, fields: Iterable[str], summary: str | None = None,
           message_id: str | None = None) -> None:
    """Appends one hop; rows are never updated (delivery status is read from the outbox)."""
    insert_row(session, tables.trace, dict(
        message_id=message_id, channel=channel, from_party=from_party, to_party=to_party, kind=kind,
        subject_type=subject_type, subject_id=subject_id, fields=sorted(set(fields)), summary=summary,
        created_at=utcnow()))


def read(session: Session, tables, *, subject_type: str, subject_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The hops for one subject (or several linked ones), in order, with delivery status."""
    t, o = tables.trace, tables.outbox
    rows = session.execute(
        select(t, o.c.status.label("delivery_status"), o.c.attempts, o.c.delivered_at)
        .select_from(t.outerjoin(o, o.c.id == t.c.message_id))
        .where(t.c.subject_type == subject_type, t.c.subject_id.in_(list(subject_ids)))
        .order_by(t.c.seq)).all()
    out = []
    for r in rows:
        status = r.delivery_status if r.message_id else "received"
        out.append({
            "seq": r.seq, "channel": r.channel, "from": r.from_party, "to": r.to_party, "kind": r.kind,
            "subject_type": r.subject_type, "subject_id": r.subject_id, "fields": list(r.fields or []),
            "summary": r.summary, "message_id": r.message_id, "status": status,
            "attempts": r.attempts if r.message_id else None,
            "at": r.created_at.isoformat(), "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
        })
    return out


def _mermaid_text(value: str) -> str:
    # Mermaid treats ';' and '#' specially and a newline ends a message.
    return value.replace(";", ",").replace("#", "").replace("\n", " ")[:200]


def to_mermaid(events: Sequence[Mapping[str, Any]], parties: PartyRegistry, title: str = "") -> str:
    """A Mermaid `sequenceDiagram` of the hops: who sent what to whom, with the fields."""
    used: list[str] = []
    for e in events:
        for p in (e["from"], e["to"]):
            if p not in used:
                used.append(p)
    order = [c for c in parties.codes() if c in used] + [c for c in used if c not in parties]
    lines = ["sequenceDiagram"]
    if title:
        lines.append(f"    title {_mermaid_text(title)}")
    for code in order:
        label = parties.get(code).name if code in parties else code
        lines.append(f"    participant {code.replace('-', '_')} as {_mermaid_text(label)}")
    for e in events:
        arrow = "->>" if e["channel"] == "webhook" else "-)"
        fields = ", ".join(e["fields"][:12]) + (" …" if len(e["fields"]) > 12 else "")
        status = f" [{e['status']}]" if e.get("status") else ""
        lines.append(f"    {e['from'].replace('-', '_')}{arrow}{e['to'].replace('-', '_')}: "
                     f"{_mermaid_text(e['kind'])}{status}")
        if fields:
            lines.append(f"    Note over {e['to'].replace('-', '_')}: {_mermaid_text(fields)}")
    return "\n".join(lines) + "\n"
