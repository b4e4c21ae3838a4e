"""`shared.deps`: PlatformDep is the app's platform, SessionDep commits before the answer is sent and a
failed commit answers problem+json (5xx), never a 2xx; ReadSessionDep never writes."""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.deps import PlatformDep, ReadSessionDep, SessionDep
from shared.errors import PROBLEM_JSON, Problem
from shared.platform import build_app
from tests.shared.minisvc import app as minisvc

note = minisvc.note
seen: dict[str, Any] = {}


def _routes() -> list[APIRouter]:
    r = APIRouter(prefix="/deps")

    @r.get("/platform")
    def which_platform(platform: PlatformDep) -> dict[str, Any]:
        seen["platform"] = platform
        return {"service": platform.spec.name}

    @r.post("/notes/{note_id}", status_code=201)
    def write(platform: PlatformDep, s: SessionDep, note_id: str, refuse: bool = False) -> dict[str, Any]:
        s.execute(insert(note).values(id=note_id, text="t", status="new", created_at=platform.clock()))
        if refuse:
            raise Problem(409, "conflict", "refused after the insert")
        return {"id": note_id}

    @r.get("/notes/count")
    def count(s: ReadSessionDep) -> dict[str, int]:
        s.execute(insert(note).values(id="read-only", text="t", status="new", created_at=utcnow()))
        return {"count": s.execute(select(func.count()).select_from(note)).scalar_one()}

    return [r, *minisvc.routers()]


SPEC = dataclasses.replace(minisvc.SPEC, routers=_routes)


@pytest.fixture
def client(make_settings):
    with TestClient(build_app(SPEC, make_settings()), raise_server_exceptions=False) as c:
        yield c


def _stored(client, note_id: str) -> bool:
    with client.app.state.platform.db.read_session() as s:
        return s.execute(select(note.c.id).where(note.c.id == note_id)).first() is not None


def test_platform_dep_is_the_apps_platform(client):
    r = client.get("/deps/platform")
    assert r.status_code == 200 and r.json() == {"service": "minisvc"}
    assert seen.pop("platform") is client.app.state.platform


def test_session_dep_has_committed_when_the_answer_arrives(client):
    r = client.post("/deps/notes/n1")
    assert r.status_code == 201
    # Read on another connection right after the answer: the row is already committed.
    assert _stored(client, "n1")


def test_session_dep_rolls_back_when_the_route_fails(client):
    r = client.post("/deps/notes/n2", params={"refuse": "true"})
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM_JSON)
    assert not _stored(client, "n2")


@pytest.mark.parametrize("error", [RuntimeError("disk full"),
                                   OperationalError("COMMIT", {}, Exception("connection lost"))])
def test_failed_commit_answers_problem_not_2xx(client, error):
    platform = client.app.state.platform

    def fail(session: Session) -> None:
        raise error

    event.listen(platform.db.Session, "before_commit", fail)
    try:
        r = client.post("/deps/notes/n3")
    finally:
        event.remove(platform.db.Session, "before_commit", fail)
    assert r.status_code >= 500, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["status"] == r.status_code
    assert not _stored(client, "n3")


def test_read_session_dep_never_writes(client):
    r = client.get("/deps/notes/count")
    assert r.status_code == 200 and r.json() == {"count": 1}  # its own insert, seen inside, then rolled back
    assert not _stored(client, "read-only")
