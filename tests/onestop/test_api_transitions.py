"""The closed-loop state machine over HTTP: every legal move works, every illegal one is a 409."""
from __future__ import annotations

import threading

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.onestop.app import create_app
from services.onestop.domain import referral_states
from services.onestop.models import Referral
from shared.testing import live_server

from .conftest import Api, auth
from .conftest import settings as app_settings

T = referral_states.table()
STATES = list(T.states)
SERVICE = ("kinfa", "kinfa-finance-counselling")


def body_for(target: str) -> dict:
    body: dict = {"status": target}
    if target in T.reasons:
        body["reason"] = T.reasons[target][0]
    if target == T.completion_state:
        body.update(outcome="loan-granted", amount_krw=3_000_000)
    return body


def post_as(api: Api, actor: str, ref_id: str, body: dict, **kw):
    if actor == "hub":
        return api.post(f"/v1/referrals/{ref_id}/status", body, **kw)
    return api.post(f"/v1/agency/referrals/{ref_id}/status", body, party=SERVICE[0], **kw)


def referral_in(api: Api, state: str) -> str:
    _, _, ref = api.referral_to(*SERVICE)
    if state != ref["status"]:
        with api.platform.db.session() as s:
            s.get(Referral, ref["id"]).status = state  # arrange only: the moves under test go over HTTP
    return ref["id"]


@pytest.mark.parametrize("row", referral_states.describe(), ids=lambda r: f"{r['from']}->{r['to']}")
def test_every_legal_transition_works(shared_api, row):
    for actor in row["actors"]:
        ref_id = referral_in(shared_api, row["from"])
        r = post_as(shared_api, actor, ref_id, body_for(row["to"]))
        assert r.status_code == 200, r.text
        assert r.json()["status"] == row["to"]
    notified = shared_api.outbox(subject_id=ref_id)[-1]
    assert notified.to_party == ("bukgu-hub" if actor == "agency" else SERVICE[0])


def test_every_illegal_transition_is_409_naming_allowed(shared_api):
    checked = 0
    for current in STATES:
        ref_id = referral_in(shared_api, current)
        for actor in ("hub", "agency"):
            allowed = referral_states.allowed_from(current, actor)
            for target in STATES:
                if target in allowed:
                    continue
                r = post_as(shared_api, actor, ref_id, body_for(target))
                assert r.status_code == 409, (current, target, actor, r.text)
                body = r.json()
                assert body["type"].endswith("/illegal-transition") and body["allowed"] == allowed
                assert r.headers["content-type"].startswith("application/problem+json")
                checked += 1
        with shared_api.platform.db.read_session() as s:
            assert s.get(Referral, ref_id).status == current  # nothing moved
    assert checked > 100


def test_reason_and_outcome_rules(shared_api):
    ref_id = referral_in(shared_api, "requested")
    r = shared_api.set_status(ref_id, SERVICE[0], "rejected")
    assert r.status_code == 422 and r.json()["accepted"] == list(T.reasons["rejected"])
    ref_id = referral_in(shared_api, "in-progress")
    r = shared_api.set_status(ref_id, SERVICE[0], "completed", outcome="loan-granted")
    assert r.status_code == 422 and "amount_krw" in r.json()["detail"]
    r = shared_api.set_status(ref_id, SERVICE[0], "completed")
    assert r.status_code == 422 and r.json()["type"].endswith("/outcome-required")
    r = shared_api.set_status(ref_id, SERVICE[0], "completed", outcome="job-placed")
    assert r.status_code == 200 and r.json()["outcome"] == "job-placed"


def test_stale_version_is_409(shared_api):
    ref_id = referral_in(shared_api, "requested")
    stale = shared_api.set_status(ref_id, SERVICE[0], "accepted", headers={"If-Match": '"2"'})
    assert stale.status_code == 409 and stale.json()["current_version"] == 1
    ok = shared_api.set_status(ref_id, SERVICE[0], "accepted", headers={"If-Match": 'W/"1"'})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    again = shared_api.set_status(ref_id, SERVICE[0], "in-progress", version=1)
    assert again.status_code == 409 and again.json()["type"].endswith("/version-conflict")
    bad = shared_api.set_status(ref_id, SERVICE[0], "in-progress", headers={"If-Match": "abc"})
    assert bad.status_code == 400


def test_concurrent_status_updates_one_wins(db):
    app = create_app(app_settings(db))
    with live_server(app) as server:
        api_client = httpx.Client(base_url=server.url, timeout=20)
        from fastapi.testclient import TestClient

        with TestClient(app) as tc:
            api = Api(tc)
            for _ in range(4):
                ref_id = referral_in(api, "requested")
                barrier, results = threading.Barrier(2), []

                def go(target, ref_id=ref_id, barrier=barrier, results=results):
                    body = body_for(target) | {"version": 1}
                    barrier.wait()
                    results.append(api_client.post(f"/v1/agency/referrals/{ref_id}/status", json=body,
                                                   headers=auth(SERVICE[0])).status_code)

                threads = [threading.Thread(target=go, args=(t,)) for t in ("accepted", "rejected")]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                assert sorted(results) == [200, 409]
                with api.platform.db.read_session() as s:
                    assert s.get(Referral, ref_id).version == 2
        api_client.close()


ACTIONS = st.lists(st.tuples(st.sampled_from(["hub", "agency"]), st.sampled_from(STATES)), max_size=6)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=ACTIONS)
def test_random_sequences_never_reach_an_invalid_state(shared_api, steps):
    ref_id = referral_in(shared_api, "requested")
    state = "requested"
    for actor, target in steps:
        r = post_as(shared_api, actor, ref_id, body_for(target))
        legal = target in referral_states.allowed_from(state, actor)
        assert r.status_code == (200 if legal else 409), r.text
        if legal:
            state = target
        assert state in T.states
    with shared_api.platform.db.read_session() as s:
        assert s.get(Referral, ref_id).status == state
