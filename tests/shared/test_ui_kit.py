"""The UI kit: SVG renderers, the SSE hub and the kit's routes (the browser run is in test_ui_browser.py)."""
from __future__ import annotations

import asyncio
import dataclasses
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from shared import trace
from shared.auth import PUBLIC, Public
from shared.parties import Party, PartyRegistry
from shared.ui import NavItem, UIKit, svg_bar_chart, svg_line_chart, svg_sequence
from shared.ui.charts import nice_ticks
from shared.ui.sequence import sequence_figure, trace_table
from shared.ui.sse import EventHub, event_stream, format_event
from tests.shared.minisvc import app as mini

SVG = "{http://www.w3.org/2000/svg}"
XSS = "<script>alert(1)</script>"
PARTIES = PartyRegistry([Party("op", "Operator", "운영자", frozenset({"operator"})),
                         Party("alice", "Alice & Co", "앨리스", frozenset({"writer"})),
                         Party("bob", "Bob", "밥", frozenset({"reader"}))], operator="op")


def hop(seq: int, src: str, dst: str, kind: str = "note.created", **extra: Any) -> dict[str, Any]:
    return {"seq": seq, "channel": extra.pop("channel", "webhook"), "from": src, "to": dst, "kind": kind,
            "fields": extra.pop("fields", ["id", "text"]), "status": extra.pop("status", "delivered"),
            "at": f"2026-11-29T10:00:0{seq}+00:00", **extra}


# ---- SVG renderers ----------------------------------------------------------------------------------

def test_sequence_one_arrow_per_hop_in_registry_order():
    events = [hop(3, "bob", "op", "note.acked", channel="api", status="received"),
              hop(1, "alice", "bob"), hop(2, "bob", "bob", "note.read"), hop(4, "op", "stranger", status="dead")]
    svg = svg_sequence(events, PARTIES, title="Note trace")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    hops = root.findall(f".//{SVG}g[@class='hop']")
    assert [h.get("data-seq") for h in hops] == ["1", "2", "3", "4"]
    assert all(len(h.findall(".//*[@class='msg']")) == 1 for h in hops)
    lifelines = [g.get("data-party") for g in root.findall(f".//{SVG}g[@class='lifeline']")]
    assert lifelines == ["op", "alice", "bob", "stranger"]  # registry order, unknown parties last
    assert "Alice &amp; Co" in svg and 'lang="ko"' in svg
    assert svg == svg_sequence(list(reversed(events)), PARTIES, title="Note trace")  # deterministic


def test_sequence_text_is_escaped_and_inert():
    events = [hop(1, "alice", "bob", kind=f"x{XSS}", fields=[XSS, 'quote"d'], summary=XSS)]
    for markup in (svg_sequence(events, PARTIES, title=XSS), sequence_figure(events, PARTIES, title=XSS)):
        root = ET.fromstring(markup)
        assert not [el for el in root.iter() if el.tag.split("}")[-1].lower() == "script"]
        assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert ET.fromstring(trace_table(events, PARTIES)).find(".//caption") is not None


def test_sequence_without_events_is_valid():
    root = ET.fromstring(svg_sequence([], PARTIES))
    assert root.findall(f".//{SVG}g[@class='hop']") == []
    assert "No messages yet" in ET.tostring(root, encoding="unicode")


def test_bar_chart_bars_titles_and_table():
    markup = svg_bar_chart({"cats": 48, "water deer": 23, XSS: 2.5}, title="Species", unit="%")
    root = ET.fromstring(markup)
    bars = root.findall(f".//{SVG}g[@class='bar']")
    assert len(bars) == 3 and bars[0].find(f"{SVG}title").text == "cats: 48 %"
    assert len(root.findall(".//tbody/tr")) == 3
    assert "<script>" not in markup and not [el for el in root.iter() if el.tag.endswith("script")]
    assert ET.fromstring(svg_bar_chart([], title="empty")) is not None


def test_line_chart_points_and_table():
    series = {"2019": [("Jan", 10), ("Feb", 12)], f"2020 {XSS}": [("Jan", 14), ("Mar", 7.5)]}
    markup = svg_line_chart(series, title="Reports per month", unit="reports")
    root = ET.fromstring(markup)
    assert len(root.findall(f".//{SVG}circle")) == 4
    assert [tr.find("th").text for tr in root.findall(".//tbody/tr")] == ["Jan", "Feb", "Mar"]
    assert "<script>" not in markup
    assert nice_ticks(79_278)[-1] >= 79_278 and nice_ticks(0) == [0.0, 1.0]


# ---- SSE hub ----------------------------------------------------------------------------------------

def test_publish_from_a_thread_reaches_an_async_subscriber():
    hub = EventHub()

    async def main() -> list[Any]:
        stream = hub.subscribe(["notes"], heartbeat_s=5)
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.05)  # the subscription is registered once the generator starts
        assert hub.subscriber_count == 1
        t = threading.Thread(target=lambda: (hub.publish("other", 0), hub.publish("notes", {"id": 1})))
        t.start()
        t.join()
        got = [await asyncio.wait_for(first, 2)]
        await stream.aclose()
        return got

    got = asyncio.run(main())
    assert got[0].topic == "notes" and got[0].data == {"id": 1}
    assert hub.subscriber_count == 0  # closing the generator unsubscribes


def test_disconnect_cleans_up_and_heartbeats_flow():
    hub = EventHub()

    async def main() -> list[str]:
        frames: list[str] = []

        async def consume() -> None:
            async for frame in event_stream(hub, ["a"], heartbeat_s=0.05):
                frames.append(frame)

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.2)
        assert hub.subscriber_count == 1
        task.cancel()  # what Starlette does when the client goes away
        with pytest.raises(asyncio.CancelledError):
            await task
        return frames

    frames = asyncio.run(main())
    assert frames[0].startswith("retry: ") and ": ping\n\n" in frames
    assert hub.subscriber_count == 0
    assert hub.publish("a", 1) == 0  # publishing with nobody listening is a no-op


def test_version_polling_reaches_subscribers_of_other_processes_changes():
    hub = EventHub()
    version = {"v": 1}

    async def main() -> Any:
        stream = hub.subscribe(["trace"], versions={"trace": lambda: version["v"]}, poll_s=0.02)
        nxt = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0.1)
        version["v"] = 2  # e.g. the relay worker in another process recorded a delivery
        event = await asyncio.wait_for(nxt, 2)
        await stream.aclose()
        return event

    event = asyncio.run(main())
    assert event.topic == "trace" and event.data == {"version": 2, "source": "poll"}
    assert format_event(event).startswith(f"id: {event.id}\nevent: trace\ndata: ")


def test_publish_after_commit_only_on_commit():
    hub = EventHub()
    seen: list[str] = []
    hub.publish = lambda topic, data=None: seen.append(topic) or 1  # type: ignore[method-assign]
    engine = create_engine("sqlite://")
    with Session(engine) as s:
        hub.publish_after_commit(s, "rolled")
        s.execute(select(1))
        s.rollback()
        s.execute(select(1))
        s.commit()
    with Session(engine) as s:
        hub.publish_after_commit(s, "committed")
        s.execute(select(1))
        assert seen == []
        s.commit()
    assert seen == ["committed"]


# ---- the kit's routes ------------------------------------------------------------------------------

def _ours(text: str) -> dict[str, str]:
    return {"text": text, "by": "assumption"}


# A case account (shared.case_account) with most considerations left empty: they read "not stated".
ABOUT = {"version": "1", "service": "minisvc", "case": "Notes between parties", "case_ko": "메모 협업",
         "handbook": "none: a test fixture", "purpose": [_ours("Shows a note travelling from a writer to a reader.")],
         "contents": [], "system_flow": [], "results": [], "figures": [],
         "roles": [{"name": "Alice", "party": "alice", "does": [_ours("Writes notes")]}],
         "considerations": {"diversity_of_participants": [_ours("public and private")],
                            "service_fields": {"kind": _ours("software"), "fields": []},
                            "policy_effects": [], "targets": [], "sustainability": [],
                            "resource_sharing": {r: {"level": "not stated", "fact": _ours("notes only")}
                                                 for r in ("budget", "people", "information", "technology")},
                            "innovation": {"applied": [], "applicability": []}},
         "model_fit": {"model": "social-innovation", "why": []}, "source": "test fixture"}


def kit_app(settings: Any, templates_dir: Path | None = None):
    """The minimal service with the UI kit, a notes page and a notes fragment."""
    kit = UIKit(pages=[NavItem("Notes", "/ui/notes", "Write and read notes")],
                templates_dirs=[templates_dir] if templates_dir else [])
    pages = APIRouter(prefix="/ui", include_in_schema=False)

    @pages.get("/notes", dependencies=[PUBLIC])
    def notes_page(request: Request):
        p = request.app.state.platform
        notes = _notes(request)
        with p.db.read_session() as s:
            hops = trace.read(s, p.tables, subject_type="note", subject_ids=[n.id for n in notes])
        return kit.render(request, "notes.html", {"notes": notes, "hops": hops, "registry": PARTIES},
                          act_as=True, page_title="Notes")

    @pages.get("/notes/list", dependencies=[PUBLIC])
    def notes_list(request: Request):
        return kit.render(request, "notes_list.html", {"notes": _notes(request)})

    spec = dataclasses.replace(mini.SPEC, parties=PARTIES, about=ABOUT,
                               routers=lambda: [*mini.routers(), kit.router, pages])
    return mini.build_app(spec, settings), kit


def _notes(request: Request) -> list[Any]:
    p = request.app.state.platform
    with p.db.read_session() as s:
        return s.execute(select(mini.note).order_by(mini.note.c.created_at)).all()


def test_landing_static_and_routes_are_public(make_settings):
    app, kit = kit_app(make_settings())
    with TestClient(app) as c:
        r = c.get("/ui/")
        assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
        page = r.text
        assert '<html lang="en">' in page and '<span lang="ko" class="ko">메모 협업</span>' in page
        assert "Writes notes" in page and '<span lang="ko" class="ko">앨리스</span>' in page
        assert page.count('<th scope="row">') >= 6 + 3  # six considerations + three parties
        assert "not stated" in page and "<script>" not in page.split("</head>")[1]
        css = c.get("/ui/static/ui.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert c.get("/ui/static/ui.css", headers={"If-None-Match": css.headers["etag"]}).status_code == 304
        assert c.get("/ui/static/%2E%2E/kit.py").status_code == 404
        assert c.get("/ui/events", params={"topic": "bad topic"}).status_code == 422
    # Every kit route carries PUBLIC itself (the authorization-matrix test reads route dependencies).
    assert {r.path for r in kit.router.routes} >= {"/ui/", "/ui/events", "/ui/static/{name:path}"}
    for route in kit.router.routes:
        assert any(isinstance(d.dependency, Public) for d in route.dependencies), route.path
