"""`shared.deps`: PlatformDep is the app's platform; with the transaction owned by the flow a route calls,
the row is committed when the answer arrives, an error rolls it back, and a failed commit answers
problem+json (5xx), never a 2xx."""
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
from shared.deps import PlatformDep
from shared.errors import PROBLEM_JSON, Problem
from shared.platform import build_app
from shared.ui.sse import EventHub
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
    def write(platform: PlatformDep, note_id: str, refuse: bool = False) -> dict[str, Any]:
        return add_note(platform, note_id, refuse)

    @r.get("/notes/count")
    def count(platform: PlatformDep) -> dict[str, int]:
        return count_notes(platform)

    return [r, *minisvc.routers()]


def add_note(platform, note_id: str, refuse: bool) -> dict[str, Any]:
    """A flow as the plan has them: it owns its transaction."""
    with platform.db.session() as s:
        s.execute(insert(note).values(id=note_id, text="t", status="new", created_at=platform.clock()))
        if refuse:
            raise Problem(409, "conflict", "refused after the insert")
    return {"id": note_id}


def count_notes(platform) -> dict[str, int]:
    with platform.db.read_session() as s:
        s.execute(insert(note).values(id="read-only", text="t", status="new", created_at=utcnow()))
        return {"count": s.execute(select(func.count()).select_from(note)).scalar_one()}


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


def test_flow_has_committed_when_the_answer_arrives(client):
    r = client.post("/deps/notes/n1")
    assert r.status_code == 201
    # Read on another connection right after the answer: the row is already committed.
    assert _stored(client, "n1")


def test_flow_rolls_back_when_it_fails(client):
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


def test_read_session_never_writes(client):
    r = client.get("/deps/notes/count")
    assert r.status_code == 200 and r.json() == {"count": 1}  # its own insert, seen inside, then rolled back
    assert not _stored(client, "read-only")


# -- typed platform parts ------------------------------------------------------------------------------

def _service_app(name: str, db_overrides: dict[str, Any]):
    import importlib

    module = importlib.import_module(f"services.{name}.app")
    config = importlib.import_module(f"services.{name}.config")
    settings = config.Settings(**{**db_overrides, "relay_enabled": False, "autopilot_enabled": False})
    return module.create_app(settings)


@pytest.mark.parametrize(("service", "parts_type"), [("roadkill", "services.roadkill.parts:RoadkillParts"),
                                                     ("onestop", "services.onestop.parts:OnestopParts"),
                                                     ("peaks", "services.peaks.parts:PeaksParts")])
def test_service_parts_are_built_with_the_platform(db_overrides, service, parts_type):
    import importlib

    module, name = parts_type.split(":")
    app = _service_app(service, db_overrides)
    platform = app.state.platform
    # Built with the app, before start-up or any request; one set per platform.
    assert isinstance(platform.parts, getattr(importlib.import_module(module), name))
    if service == "peaks":  # the peaks service clock, set at start-up
        from services.peaks.domain.service_clock import ServiceClock

        assert isinstance(platform.clock, ServiceClock)
    else:
        assert platform.clock is utcnow
    assert isinstance(platform.ui_hub, EventHub)


@pytest.mark.parametrize(("service", "paths"), [
    ("roadkill", ["/v1/jurisdiction?lat=36.6&lon=126.8", "/ui/map", "/ui/incidents"]),
    ("onestop", ["/ui/board", "/hsds/services"])])
def test_roadkill_and_onestop_keep_nothing_in_a_free_form_dict(db_overrides, service, paths):
    app = _service_app(service, db_overrides)
    with TestClient(app) as c:
        for path in paths:
            assert c.get(path).status_code == 200, (service, path)
    platform = app.state.platform
    assert not hasattr(platform, "state")
    if service == "roadkill":
        # Costly parts are built once, on first use, then kept.
        assert platform.parts.map_base is platform.parts.map_base
        assert platform.parts.network is platform.parts.network
