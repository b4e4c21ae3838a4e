"""The simulated parties' policy, without HTTP: who does what with which message, deterministically."""
from __future__ import annotations

from services.roadkill.domain import incident_states
from services.roadkill.parties.autopilot import (
    RoadkillPolicy,
    complaint_number,
    ground_truth_agency,
    outcome_for,
)
from shared.sim import InboxItem

POLICY = RoadkillPolicy(base_delay_s=4.0)


def _item(receiver: str, kind: str, **payload) -> InboxItem:
    return InboxItem(1, receiver, "msg_1", kind, payload.get("incident_id"), {"incident_id": "inc_A", **payload})


def test_each_party_plays_its_step_of_the_state_table():
    acrc = POLICY.actions(_item("acrc", "complaint.filed"))
    assert acrc[0].json == {"type": "complaint_registered", "complaint_no": complaint_number("inc_A")}
    molit = POLICY.actions(_item("molit", "complaint.forwarded", routing={"agency": "kec"}))
    assert molit[0].json == {"type": "assigned", "agency": "kec"}
    kec = POLICY.actions(_item("kec", "incident.assigned", species="cat", location={"road_id": "exp-1-gyeongbu",
                                                                                    "measure_m": 100.0}))
    assert [a.json["type"] for a in kec] == ["acknowledged", "dispatched", "closed"]
    assert all(a.path == "/v1/agency/incidents/inc_A/events" for a in acrc + molit + kec)
    assert POLICY.actions(_item("me", "processing.record")) == []
    assert POLICY.actions(_item("molit", "outcome.record")) == []  # MLIT keeps the outcome; no step follows
    assert POLICY.actions(_item("tmap", "incident.status")) == []
    # Every step the policy takes is one the state machine allows, in order.
    state = "received"
    for action in acrc + molit + kec:
        state = incident_states.check_transition(state, action.json["type"]).to
    assert state == "closed"


def test_outcomes_are_deterministic_and_mostly_removed():
    outcomes = [outcome_for(f"inc_{n}") for n in range(200)]
    assert outcomes == [outcome_for(f"inc_{n}") for n in range(200)]
    assert 0 < outcomes.count("not_found") < 50 and outcomes.count("removed") > 150


def test_a_section_the_map_gets_wrong_is_transferred_with_a_reason():
    where = {"road_id": "nat-34", "measure_m": 22_000.0}
    agency, reason = ground_truth_agency(where)
    assert agency == "asan" and reason
    moved = POLICY.actions(_item("daejeon-rolm", "incident.assigned", location=where))
    assert moved[0].json == {"type": "transferred", "to_agency": "asan", "reason": reason}
    assert [a.json["type"] for a in POLICY.actions(_item("asan", "incident.assigned", location=where))][-1] == "closed"
    assert ground_truth_agency({"road_id": "nat-34", "measure_m": 5_000.0}) is None


def test_delays_scale_with_the_configured_base():
    assert POLICY.delay_s("acrc", "complaint.filed", {}) == 4.0
    assert POLICY.delay_s("kec", "incident.assigned", {}) == 8.0
    assert RoadkillPolicy(base_delay_s=0).delay_s("molit", "complaint.forwarded", {}) == 0
