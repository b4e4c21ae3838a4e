"""A minimal service built on `shared`, used to test the platform on its own."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Column, String, Table, insert, select, update

from shared import outbox, pagination, trace
from shared.auth import Principal, RequireParty
from shared.db import UTCDateTime, new_metadata, utcnow
from shared.errors import Problem
from shared.ids import new_id
from shared.parties import Party, PartyRegistry
from shared.platform import ServiceSpec, build_app
from shared.settings import ServiceSettings
from shared.sim import Action, AutopilotPolicy, InboxItem
from shared.tables import define_platform_tables

metadata = new_metadata()
tables = define_platform_tables(metadata)
note = Table("note", metadata,
             Column("id", String(40), primary_key=True),
             Column("text", String(200), nullable=False),
             Column("status", String(16), nullable=False),
             Column("created_at", UTCDateTime(), nullable=False))

PARTIES = PartyRegistry([Party("op", "Operator", roles=frozenset({"operator"})),
                         Party("alice", "Alice", roles=frozenset({"writer"})),
                         Party("bob", "Bob", roles=frozenset({"reader"}))], operator="op")


Writer = Annotated[Principal, Depends(RequireParty(roles=("writer",)))]
Reader = Annotated[Principal, Depends(RequireParty("bob", "op"))]


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=200)
    notify: bool = True
    # Test hook: hold the transaction open so concurrent duplicates overlap in time.
    slow_s: float = Field(default=0.0, ge=0.0, le=5.0)


class MiniSettings(ServiceSettings):
    service: str = "minisvc"
    port: int = 8099


class Policy(AutopilotPolicy):
    def delay_s(self, party, kind, payload):
        return 0.0

    def actions(self, item: InboxItem) -> list[Action]:
        if item.kind == "note.created":
            return [Action("POST", f"/v1/notes/{item.payload['id']}/ack")]
        return []


def routers():
    r = APIRouter(prefix="/v1", tags=["notes"])

    @r.post("/notes", status_code=201)
    def create_note(request: Request, who: Writer, body: NoteIn) -> dict[str, Any]:
        p = request.app.state.platform
        nid = new_id("note")
        if body.slow_s:
            # Slow work before the transaction (SQLite would otherwise serialise everything
            # behind this request's write lock and the duplicate could never overlap it).
            time.sleep(body.slow_s)
        with p.db.session() as s:
            s.execute(insert(note).values(id=nid, text=body.text, status="new", created_at=utcnow()))
            if body.notify:
                outbox.enqueue(s, p.tables, from_party=who.party, to_party="bob", kind="note.created",
                               subject_type="note", subject_id=nid, payload={"id": nid, "text": body.text})
        return {"id": nid, "status": "new"}

    @r.get("/notes")
    def list_notes(request: Request, who: Reader, cursor: str | None = None,
                   limit: int = Query(default=20, ge=1, le=100)) -> dict[str, Any]:
        p = request.app.state.platform
        q = pagination.keyset(select(note), [note.c.created_at, note.c.id], cursor, limit)
        with p.db.read_session() as s:
            rows = s.execute(q).all()
        items, nxt = pagination.page(rows, limit, key=lambda r: (r.created_at.isoformat(), r.id))
        return {"items": [{"id": r.id, "text": r.text} for r in items], "next_cursor": nxt}

    @r.post("/notes/{note_id}/copy")
    def copy_note(request: Request, who: Writer, note_id: str, body: NoteIn) -> None:
        # Test hook: an unhandled database error (duplicate primary key) whose SQL
        # parameters carry the request body, to check nothing of it reaches the logs.
        p = request.app.state.platform
        with p.db.session() as s:
            for _ in range(2):
                s.execute(insert(note).values(id=note_id, text=body.text, status="new", created_at=utcnow()))

    @r.get("/notes/{note_id}")
    def get_note(request: Request, who: Reader, note_id: str) -> dict[str, Any]:
        p = request.app.state.platform
        with p.db.read_session() as s:
            row = s.execute(select(note).where(note.c.id == note_id)).first()
        if row is None:
            raise Problem(404, "not-found", f"No note {note_id}.")
        return {"id": row.id, "text": row.text, "status": row.status}

    @r.post("/notes/{note_id}/ack")
    def ack(request: Request, who: Reader, note_id: str) -> dict[str, Any]:
        p = request.app.state.platform
        with p.db.session() as s:
            n = s.execute(update(note).where(note.c.id == note_id, note.c.status == "new")
                          .values(status="acked")).rowcount
            if n == 0:
                raise Problem(409, "conflict", "Note already acknowledged or missing.")
            trace.record(s, p.tables, channel="api", from_party=who.party, to_party="op", kind="note.acked",
                         subject_type="note", subject_id=note_id, fields=["status"])
        return {"id": note_id, "status": "acked"}

    @r.get("/boom")
    def boom(who: Reader) -> None:
        raise RuntimeError("kaboom")

    return [r]


SPEC = ServiceSpec(name="minisvc", title="Mini", description="test service", version="0",
                   parties=PARTIES, metadata=metadata, tables=tables,
                   migrations_dir=Path(__file__).parent / "migrations", routers=routers,
                   about={"name": "mini"}, autopilot_policy=Policy())


def create_app(settings: MiniSettings | None = None):
    return build_app(SPEC, settings or MiniSettings())
