"""The handoff chain driven by hand through the agency API: states, actors, visibility, hazards, trace."""
from __future__ import annotations

import json

from sqlalchemy import select

from services.roadkill.domain import incident_states
from services.roadkill.flows import handoff
from shared import webhooks
from tests.roadkill.conftest import EXPRESSWAY, NATIONAL, auth, report_body
from tests.shared.webhook_schema import webhook_errors

SERVICE_NAME = "roadkill"
BOX = "126.0,35.9,127.8,37.1"


def _report(client, where=EXPRESSWAY, **kw) -> str:
    r = client.post("/v1/voice-reports", json=report_body(*where, **kw), headers=auth("tmap"))
    assert r.status_code == 201, r.text
    return r.json()["incident_id"]


def _step(client, party: str, inc: str, **body):
    return client.post(f"/v1/agency/incidents/{inc}/events", json=body, headers=auth(party))


def _to_assigned(client, inc: str) -> None:
    assert _step(client, "acrc", inc, type="complaint_registered", complaint_no="1AA-1").status_code == 200
    assert _step(client, "molit", inc, type="assigned").status_code == 200


def _outbox(platform, inc: str) -> list:
    o = platform.tables.outbox
    with platform.db.read_session() as s:
        return s.execute(select(o).where(o.c.subject_id == inc).order_by(o.c.created_at)).all()


def test_full_chain_by_hand(client, platform):
    inc = _report(client)
    r = _step(client, "acrc", inc, type="complaint_registered", complaint_no="1AA-2611-000001")
    assert r.status_code == 200 and r.json()["status"] == "filed" and r.json()["allowed_next"] == ["assigned"]
    assert _step(client, "molit", inc, type="assigned").json()["agency"] == "kec"
    for step in ("acknowledged", "dispatched"):
        assert _step(client, "kec", inc, type=step).json()["status"] == step
    r = _step(client, "kec", inc, type="closed", outcome="removed", species_confirmed="water_deer")
    assert r.json() == {"incident_id": inc, "status": "closed", "agency": "kec", "version": 6, "allowed_next": []}
    hops = [(m.to_party, m.kind) for m in _outbox(platform, inc)]
    assert hops == [("acrc", "complaint.filed"), ("molit", "complaint.forwarded"), ("kec", "incident.assigned"),
                    ("molit", "outcome.record"), ("me", "processing.record"), ("tmap", "incident.status")]
    doc = client.get("/openapi.json").json()  # every message as the OpenAPI `webhooks` entry of its kind
    sent = {m.kind: json.loads(webhooks.envelope(m.kind, m.created_at, m.payload)) for m in _outbox(platform, inc)}
    assert {k: webhook_errors(doc, k, e) for k, e in sent.items()} == {k: [] for k in sent}
    detail = client.get(f"/v1/incidents/{inc}", headers=auth("chungnam")).json()
    assert [h["type"] for h in detail["history"]] == ["received", "complaint_registered", "assigned",
                                                      "acknowledged", "dispatched", "closed"]
    assert detail["complaint_no"] == "1AA-2611-000001" and detail["outcome"] == "removed"
    assert detail["species_confirmed"] == "water_deer" and detail["cleared_at"]


def test_no_party_gets_a_field_it_should_not(client, platform):
    inc = _report(client)
    _to_assigned(client, inc)
    _step(client, "kec", inc, type="closed", outcome="removed", species_confirmed="water_deer")
    personal = {"reporter", "reporter_hash", "personal_hashes", "transcript", "speed_kmh"}
    for m in _outbox(platform, inc):
        flat = str(m.payload)
        assert not any(f"'{k}'" in flat for k in personal - ({"transcript"} if m.to_party == "acrc" else set())), m.kind
    me = next(m for m in _outbox(platform, inc) if m.to_party == "me").payload
    assert me["species_confirmed"] == "water_deer" and me["outcome"] == "removed" and me["time_to_clear_s"] >= 0
    assert "report_ids" not in me and "transcript" not in str(me)
    # What each party reads back through the API.
    for party, hashes, transcript in (("chungnam", True, True), ("acrc", False, True), ("kec", False, False),
                                      ("molit", False, False)):
        reports = client.get(f"/v1/incidents/{inc}", headers=auth(party)).json()["reports"]
        assert ("reporter_hash" in reports[0]) is hashes and ("transcript" in reports[0]) is transcript, party
    assert client.get(f"/v1/incidents/{inc}", headers=auth("me")).json()["reports"] == []


def test_illegal_steps_wrong_actor_and_stale_version(client):
    inc = _report(client)
    r = _step(client, "kec", inc, type="acknowledged")
    assert r.status_code == 409 and r.json()["allowed"] == ["complaint_registered"]
    assert _step(client, "molit", inc, type="complaint_registered", complaint_no="x").status_code == 403
    r = _step(client, "acrc", inc, type="complaint_registered")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "complaint_no"
    assert _step(client, "acrc", inc, type="complaint_registered", complaint_no="1", version=7).status_code == 409
    assert _step(client, "acrc", inc, type="complaint_registered", complaint_no="1", version=1).status_code == 200
    assert _step(client, "molit", inc, type="assigned", agency="me").status_code == 422
    assert _step(client, "molit", inc, type="assigned").status_code == 200
    # Another agency's incident: the 404 of a missing one (tests/roadkill/test_incident_authz.py has the matrix).
    assert _step(client, "daejeon-rolm", inc, type="acknowledged").status_code == 404
    assert _step(client, "tmap", inc, type="acknowledged").status_code == 403
    r = _step(client, "kec", inc, type="closed")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "outcome"
    assert _step(client, "kec", inc, type="closed", outcome="eaten").status_code == 422
    assert _step(client, "kec", inc, type="closed", outcome="not_found").status_code == 200
    r = _step(client, "kec", inc, type="dispatched")
    assert r.status_code == 409 and r.json()["allowed"] == []
    assert _step(client, "kec", "inc_nope", type="acknowledged").status_code == 404


def test_wrong_agency_transfers_without_re_reporting(client, platform):
    inc = _report(client, NATIONAL, heading_deg=270.0)
    _to_assigned(client, inc)
    assert _step(client, "daejeon-rolm", inc, type="acknowledged").status_code == 200
    r = _step(client, "daejeon-rolm", inc, type="transferred", to_agency="asan")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = _step(client, "daejeon-rolm", inc, type="transferred", to_agency="asan", reason="urban section of Asan")
    assert r.json()["status"] == "assigned" and r.json()["agency"] == "asan"
    assert _step(client, "daejeon-rolm", inc, type="acknowledged").status_code == 403
    assert [i["id"] for i in client.get("/v1/agency/inbox", headers=auth("asan")).json()["items"]] == [inc]
    assert client.get("/v1/agency/inbox", headers=auth("daejeon-rolm")).json()["items"] == []
    assert _step(client, "asan", inc, type="closed", outcome="removed").status_code == 200
    last = _outbox(platform, inc)
    assigned = [m for m in last if m.kind == "incident.assigned"]
    assert [m.to_party for m in assigned] == ["daejeon-rolm", "asan"]
    assert assigned[1].payload["transfer"] == {"from": "daejeon-rolm", "reason": "urban section of Asan"}
    # The former agency still sees the incident it handled; an uninvolved one does not.
    assert client.get(f"/v1/incidents/{inc}", headers=auth("daejeon-rolm")).status_code == 200
    assert client.get(f"/v1/incidents/{inc}", headers=auth("kec")).status_code == 404


def test_hazards_show_an_incident_until_it_is_cleared(client):
    inc = _report(client)
    items = client.get("/v1/hazards", params={"bbox": BOX}, headers=auth("tmap")).json()["items"]
    assert [h["incident_id"] for h in items] == [inc]
    h = items[0]
    assert h["road_name"] == "Gyeongbu Expressway" and h["species"] == "water_deer" and h["age_s"] >= 0
    assert h["carriageway"] == "forward" and 90 < h["direction_deg"] < 270
    assert client.get("/v1/hazards", params={"bbox": "126.0,35.9,126.5,36.0"}, headers=auth("tmap")).json()["items"] == []
    _to_assigned(client, inc)
    assert len(client.get("/v1/hazards", params={"bbox": BOX}, headers=auth("tmap")).json()["items"]) == 1
    _step(client, "kec", inc, type="closed", outcome="removed")
    assert client.get("/v1/hazards", params={"bbox": BOX}, headers=auth("tmap")).json()["items"] == []
    assert client.get("/v1/hazards", params={"bbox": "1,2,3"}, headers=auth("tmap")).status_code == 422
    assert client.get("/v1/hazards", params={"bbox": BOX}, headers=auth("kec")).status_code == 403


def test_incident_list_filters_and_pagination(client):
    ids = [_report(client, (EXPRESSWAY[0] - 0.01 * n, EXPRESSWAY[1] + 0.003 * n), reporter=f"d{n}")
           for n in range(3)]
    ids.append(_report(client, NATIONAL, heading_deg=270.0, transcript="a cat on the road"))
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/incidents", params=params, headers=auth("chungnam")).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]
    get = lambda **p: [i["id"] for i in client.get("/v1/incidents", params=p, headers=auth("molit")).json()["items"]]  # noqa: E731
    assert get(agency="daejeon-rolm") == [ids[3]]
    assert get(species="cat") == [ids[3]]
    assert get(status="received", bbox="126.8,36.8,127.0,36.9") == [ids[3]]
    assert get(status="closed") == []
    assert get(since="2999-01-01T00:00:00+09:00") == []
    assert client.get("/v1/incidents", params={"status": "zombie"}, headers=auth("me")).status_code == 422
    assert client.get("/v1/incidents", params={"cursor": "!!"}, headers=auth("me")).status_code == 400
    assert client.get("/v1/incidents", headers=auth("tmap")).status_code == 403
    # A road agency lists only its own incidents.
    assert [i["id"] for i in client.get("/v1/incidents", headers=auth("kec")).json()["items"]] == ids[2::-1]


def test_agency_inbox_is_per_party_and_paginated(client):
    ids = [_report(client, (EXPRESSWAY[0] - 0.01 * n, EXPRESSWAY[1] + 0.003 * n), reporter=f"d{n}")
           for n in range(3)]
    page = client.get("/v1/agency/inbox", params={"limit": 2}, headers=auth("acrc")).json()
    assert [i["id"] for i in page["items"]] == ids[:2] and page["next_cursor"]
    rest = client.get("/v1/agency/inbox", params={"limit": 2, "cursor": page["next_cursor"]},
                      headers=auth("acrc")).json()
    assert [i["id"] for i in rest["items"]] == ids[2:] and rest["next_cursor"] is None
    assert "reporter_hash" not in str(page) and "transcript" not in str(page)
    assert client.get("/v1/agency/inbox", headers=auth("molit")).json()["items"] == []
    _step(client, "acrc", ids[0], type="complaint_registered", complaint_no="1")
    assert [i["id"] for i in client.get("/v1/agency/inbox", headers=auth("molit")).json()["items"]] == [ids[0]]
    assert client.get("/v1/agency/inbox", headers=auth("me")).status_code == 403


def test_trace_json_and_mermaid(client):
    inc = _report(client)
    _to_assigned(client, inc)
    events = client.get(f"/v1/incidents/{inc}/trace", headers=auth("chungnam")).json()["events"]
    assert [(e["from"], e["to"], e["kind"]) for e in events] == [
        ("chungnam", "acrc", "complaint.filed"), ("acrc", "chungnam", "incident.complaint_registered"),
        ("acrc", "molit", "complaint.forwarded"), ("molit", "chungnam", "incident.assigned"),
        ("chungnam", "kec", "incident.assigned")]
    assert "complaint.transcript" in events[0]["fields"] and "location.lat" in events[4]["fields"]
    r = client.get(f"/v1/incidents/{inc}/trace", params={"format": "mermaid"}, headers=auth("molit"))
    assert r.headers["content-type"].startswith("text/vnd.mermaid") and r.text.startswith("sequenceDiagram")
    assert "chungnam->>acrc" in r.text


def test_state_table_is_published_as_data(client):
    body = client.get("/v1/incident-states").json()
    assert [s["code"] for s in body["states"]] == list(incident_states.machine().codes)
    assert {t["event"] for t in body["transitions"]} == {"complaint_registered", "assigned", "acknowledged",
                                                         "dispatched", "closed", "transferred"}


def test_handler_table_names_only_events_of_the_state_machine():
    """The state machine decides which steps exist; the handler table only adds what some of them write
    and send. A handler under a name the machine lacks would never run."""
    events = set(incident_states.machine().transitions)
    assert set(handoff.HANDLERS) <= events
    assert {"complaint_registered", "assigned", "transferred", "closed"} <= set(handoff.HANDLERS)
