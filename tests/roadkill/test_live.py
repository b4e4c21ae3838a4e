"""End to end under a real server: the autopilot plays the whole chain; concurrent duplicate reports."""
from __future__ import annotations

import threading

import httpx
from sqlalchemy import select

from services.roadkill.models import incident
from shared import trace
from shared.testing import free_port, live_server, wait_until
from tests.roadkill.conftest import EXPRESSWAY, auth, report_body

SERVICE_NAME = "roadkill"
PERSONAL_FIELDS = {"reporter", "reporter_hash", "personal_hashes", "transcript", "description", "email", "phone",
                   "first_name", "last_name", "device_id", "report_ids", "speed_kmh", "heading_deg"}


def _live_app(make_settings, **overrides):
    from services.roadkill.app import create_app

    port = free_port()
    settings = make_settings(public_base_url=f"http://127.0.0.1:{port}", **overrides)
    return create_app(settings), port


def test_autopilot_runs_the_whole_chain_to_me(make_settings):
    app, port = _live_app(make_settings, relay_enabled=True, autopilot_enabled=True, autopilot_speed=1000.0,
                          autopilot_poll_interval_s=0.02, relay_poll_interval_s=0.02)
    p = app.state.platform
    with live_server(app, port) as server:
        r = httpx.post(f"{server.url}/v1/voice-reports", json=report_body(), headers=auth("tmap"))
        assert r.status_code == 201, r.text
        inc = r.json()["incident_id"]
        inbox = p.tables.inbox

        def delivered_to_tmap():
            with p.db.read_session() as s:
                return s.execute(select(inbox).where(inbox.c.receiver == "tmap", inbox.c.subject_id == inc)).first()

        wait_until(delivered_to_tmap, timeout=30)

        def settled():
            # The relay records a delivery just after the receiver answers: wait for the records too.
            evs = httpx.get(f"{server.url}/v1/incidents/{inc}/trace", headers=auth("chungnam")).json()["events"]
            return evs if all(e["status"] in ("delivered", "received") for e in evs[:-1]) else None

        events = wait_until(settled, timeout=30)
        with p.db.read_session() as s:
            me = s.execute(select(inbox.c.payload).where(inbox.c.receiver == "me")).scalar_one()
            row = s.execute(select(incident).where(incident.c.id == inc)).one()
    assert [(e["from"], e["to"], e["kind"]) for e in events] == [
        ("chungnam", "acrc", "complaint.filed"),
        ("acrc", "chungnam", "incident.complaint_registered"),
        ("acrc", "molit", "complaint.forwarded"),  # ACRC shares the complaint (handbook, Table 3)
        ("molit", "chungnam", "incident.assigned"),
        ("chungnam", "kec", "incident.assigned"),
        ("kec", "chungnam", "incident.acknowledged"),
        ("kec", "chungnam", "incident.dispatched"),
        ("kec", "chungnam", "incident.closed"),
        ("chungnam", "molit", "outcome.record"),  # MLIT accumulates the data
        ("chungnam", "me", "processing.record"),
        ("chungnam", "tmap", "incident.status"),
    ]
    assert all(e["fields"] for e in events)
    assert all(e["status"] in ("delivered", "received") for e in events[:-1])
    assert "complaint_no" in events[2]["fields"] and "outcome" in events[9]["fields"]
    # The Ministry of Environment's record carries no personal data at all.
    assert not PERSONAL_FIELDS & set(trace.flatten_fields(me)), me
    body = report_body()
    assert body["reporter"] not in str(me) and body["transcript"] not in str(me)
    assert me["incident_id"] == inc and me["outcome"] in ("removed", "not_found") and me["road_class"] == "expressway"
    assert row.status == "closed" and row.complaint_no.startswith("1AA-") and row.cleared_at is not None


def test_five_drivers_same_carcass_concurrently_make_one_incident(make_settings):
    app, port = _live_app(make_settings)
    p = app.state.platform
    with live_server(app, port) as server:
        gate = threading.Barrier(7)
        results: list[httpx.Response] = []

        def send(n: int, heading: float) -> None:
            body = report_body(EXPRESSWAY[0] + 0.0002 * (n % 3), EXPRESSWAY[1], reporter=f"driver-{n}",
                               heading_deg=heading)
            with httpx.Client(base_url=server.url, timeout=30) as c:
                gate.wait()
                results.append(c.post("/v1/voice-reports", json=body, headers=auth("tmap")))

        # Five drivers heading south (all at the same instant) and two heading north: the opposite carriageway.
        threads = [threading.Thread(target=send, args=(n, 185.0)) for n in range(5)]
        threads += [threading.Thread(target=send, args=(n, 5.0)) for n in range(5, 7)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(r.status_code for r in results) == [201] * 7, [r.text for r in results]
        with p.db.read_session() as s:
            rows = s.execute(select(incident.c.carriageway, incident.c.report_count)
                             .order_by(incident.c.report_count.desc())).all()
    assert [(r.carriageway, r.report_count) for r in rows] == [("forward", 5), ("backward", 2)]
    assert sum(not r.json()["merged"] for r in results) == 2


def test_autopilot_wrong_agency_transfers_and_the_right_one_closes(make_settings):
    from tests.roadkill.conftest import NATIONAL

    app, port = _live_app(make_settings, relay_enabled=True, autopilot_enabled=True, autopilot_speed=1000.0,
                          autopilot_poll_interval_s=0.02, relay_poll_interval_s=0.02)
    p = app.state.platform
    with live_server(app, port) as server:
        r = httpx.post(f"{server.url}/v1/voice-reports", json=report_body(*NATIONAL, heading_deg=270.0),
                       headers=auth("tmap"))
        inc = r.json()["incident_id"]
        assert r.json()["decision"]["agency"] == "daejeon-rolm"

        def closed():
            with p.db.read_session() as s:
                return s.execute(select(incident).where(incident.c.id == inc, incident.c.status == "closed")).first()

        row = wait_until(closed, timeout=30)
        detail = httpx.get(f"{server.url}/v1/incidents/{inc}", headers=auth("chungnam")).json()
    assert (row.routed_agency, row.agency, row.report_count) == ("daejeon-rolm", "asan", 1)
    steps = [(h["actor"], h["type"]) for h in detail["history"]]
    assert steps[:4] == [("chungnam", "received"), ("acrc", "complaint_registered"), ("molit", "assigned"),
                         ("daejeon-rolm", "transferred")]
    assert steps[-1] == ("asan", "closed") and "urban boundary" in detail["history"][3]["detail"]["reason"]
