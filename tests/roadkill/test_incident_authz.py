"""Existence leaks in the agency API (issue 14, L3): every party × every incident × every kind of step.

A party that may not see an incident (a road agency that is not and never was in charge of it) gets,
for a step on it, exactly the answer of an incident that does not exist — 404, same type, same text —
whatever the step, the state or the body: not a 409 showing the state, not a 403 naming the agency in
charge. The parties that may see it (ACRC, MOLIT, the agency in charge, an agency that handled it before
a transfer) get the real answer (200, 403, 409, 422). Reads (`GET /v1/incidents/{id}` and its trace)
answer alike.
"""
from __future__ import annotations

import itertools

from services.roadkill.app import SPEC
from services.roadkill.flows import queries
from tests.roadkill.conftest import OFF_ROAD, auth, report_body

_PLACES = itertools.count(1)
MISSING = "inc_01J00000000000000000000000"
STEPS = [{"type": "complaint_registered", "complaint_no": "1AA-9"},  # illegal once assigned → 409
         {"type": "closed"},  # outcome missing → 422 for the agency in charge
         {"type": "acknowledged"}]  # legal for the agency in charge → 200 (tried last)


def _incident_for(client, agency: str) -> str:
    """A new incident (each ~1 km from the others, so none merges) assigned by MOLIT to `agency`."""
    where = report_body(OFF_ROAD[0] + 0.01 * next(_PLACES), OFF_ROAD[1])
    r = client.post("/v1/voice-reports", json=where, headers=auth("tmap"))
    assert r.status_code == 201 and not r.json()["merged"], r.text
    inc = r.json()["incident_id"]
    step = f"/v1/agency/incidents/{inc}/events"
    assert client.post(step, json={"type": "complaint_registered", "complaint_no": "1AA-1"},
                       headers=auth("acrc")).status_code == 200
    assert client.post(step, json={"type": "assigned", "agency": agency}, headers=auth("molit")).status_code == 200
    return inc


def _answers(client, party: str, inc: str) -> list[tuple[int, dict]]:
    out = []
    for body in STEPS:
        r = client.post(f"/v1/agency/incidents/{inc}/events", json=body, headers=auth(party))
        out.append((r.status_code, r.json()))
    for path in (f"/v1/incidents/{inc}", f"/v1/incidents/{inc}/trace"):
        r = client.get(path, headers=auth(party))
        out.append((r.status_code, r.json() if r.status_code >= 400 else {}))
    return out


def _as_missing(answers: list[tuple[int, dict]], inc: str) -> list[tuple[int, str]]:
    return [(status, repr(body).replace(inc, MISSING)) for status, body in answers]


def test_every_party_on_every_agency_incident(client):
    parties = SPEC.parties
    agencies = list(parties.with_role("road_agency"))
    targets = {agency: _incident_for(client, agency) for agency in agencies}
    # One incident handed on: its former agency still sees it (it handled it), and is told who has it now.
    moved = _incident_for(client, "kec")
    assert client.post(f"/v1/agency/incidents/{moved}/events", headers=auth("kec"),
                       json={"type": "transferred", "to_agency": "asan", "reason": "urban section"}).status_code == 200
    targets["asan (from kec)"] = moved
    missing = {party: _as_missing(_answers(client, party, MISSING), MISSING) for party in parties.codes()}
    assert all(status in (403, 404) for answers in missing.values() for status, _ in answers)

    leaks, wrong = [], []
    for label, inc in targets.items():
        in_charge = label.split(" ")[0]
        for party in sorted(parties.codes(), key=lambda p: p == in_charge):  # the agency in charge last
            answers = _answers(client, party, inc)
            sees = party in ("acrc", "molit", "chungnam", "me") or party == in_charge or (
                inc == moved and party == "kec")
            agency_api = party in ("acrc", "molit") or party in agencies
            if not agency_api:
                # No access to the agency API at all: the same 403 whatever the incident.
                if [s for s, _ in answers[:3]] != [403] * 3:
                    wrong.append((party, label, answers))
            elif not sees:
                if _as_missing(answers, inc) != missing[party]:
                    leaks.append((party, label, [s for s, _ in answers]))
            else:
                statuses = [s for s, _ in answers]
                expected = ([409, 422, 200, 200, 200] if party == in_charge else [409, 403, 403, 200, 200])
                if statuses != expected:
                    wrong.append((party, label, statuses))
    assert not leaks, f"{len(leaks)} answers differ from a missing incident's: {leaks[:5]}"
    assert not wrong, wrong[:5]
    tried = len(targets) * len(parties.codes())
    print(f"[figure] roadkill incident authz: {tried} party × incident pairs × {len(STEPS) + 2} calls, 0 leaks")


def test_the_missing_answer_names_no_agency(client):
    r = client.post(f"/v1/agency/incidents/{_incident_for(client, 'kec')}/events", json={"type": "acknowledged"},
                    headers=auth("asan"))
    assert r.status_code == 404 and r.json()["type"].endswith("/not-found")
    assert "kec" not in r.text and "responsible" not in r.json() and "status_now" not in r.json()
    assert queries.not_found("x").detail == "No incident x."
