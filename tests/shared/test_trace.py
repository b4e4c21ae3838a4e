"""The trace of one subject: every hop in order, as JSON and as a Mermaid sequence diagram."""
from __future__ import annotations

import re

ALICE = {"authorization": "Bearer demo-alice"}
BOB = {"authorization": "Bearer demo-bob"}
OP = {"authorization": "Bearer demo-op"}


def test_trace_json_and_mermaid(client):
    nid = client.post("/v1/notes", json={"text": "secret text"}, headers=ALICE).json()["id"]
    assert client.post(f"/v1/notes/{nid}/ack", headers=BOB).status_code == 200
    params = {"subject_type": "note", "subject_id": nid}

    events = client.get("/v1/ops/trace", params=params, headers=OP).json()["events"]
    assert [(e["channel"], e["from"], e["to"], e["kind"]) for e in events] == [
        ("webhook", "alice", "bob", "note.created"), ("api", "bob", "op", "note.acked")]
    assert events[0]["seq"] < events[1]["seq"]
    for e in events:
        assert {"seq", "channel", "from", "to", "kind", "subject_type", "subject_id", "fields", "summary",
                "message_id", "status", "attempts", "at", "delivered_at"} <= set(e)
        assert e["subject_id"] == nid and e["at"].endswith("+00:00")
    assert events[0]["fields"] == ["id", "text"] and events[0]["status"] == "pending"
    assert events[0]["message_id"].startswith("msg_") and events[0]["attempts"] == 0
    assert events[1]["fields"] == ["status"] and events[1]["status"] == "received"
    assert "secret text" not in str(events), "the trace records field names, never values"

    r = client.get("/v1/ops/trace", params={**params, "format": "mermaid"}, headers=OP)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/vnd.mermaid")
    text = r.text
    assert text.startswith("sequenceDiagram\n")
    arrows = [ln for ln in text.splitlines() if re.search(r"\w(->>|-\))\w", ln)]
    assert len(arrows) == len(events) == 2
    assert "alice->>bob: note.created" in arrows[0] and "bob-)op: note.acked" in arrows[1]
    assert "participant alice as Alice" in text

    empty = client.get("/v1/ops/trace", params={"subject_type": "note", "subject_id": "none"}, headers=OP)
    assert empty.json()["events"] == []
    assert client.get("/v1/ops/trace", params=params, headers=BOB).status_code == 403


def test_mermaid_escapes_text():
    from shared.parties import Party, PartyRegistry
    from shared.trace import to_mermaid

    reg = PartyRegistry([Party("a-b", "A; B#1")], operator="a-b")
    out = to_mermaid([{"from": "a-b", "to": "x", "channel": "api", "kind": "k;\nz", "fields": [], "status": None}],
                     reg, title="t")
    assert out.startswith("sequenceDiagram") and "a_b-)x: k, z" in out and "A, B1" in out
