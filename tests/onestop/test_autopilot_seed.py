"""Autopilot plans follow the transition table; seeding is idempotent; routes declare access; logs carry no PII."""
from __future__ import annotations

import logging
from collections import Counter

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.onestop.app import SPEC, create_app
from services.onestop.domain import referral_states
from services.onestop.domain.reference import directory
from services.onestop.models import Referral, Resident
from services.onestop.parties.autopilot import OnestopAutopilot, outcome_for, plan
from shared.auth import Public, RequireParty
from shared.sim import InboxItem

from .conftest import settings


def test_plans_are_legal_varied_and_deterministic():
    finals = Counter()
    for i in range(300):
        rid = f"ref_{i:026d}"
        steps = plan(rid, "microcredit-loan")
        assert steps == plan(rid, "microcredit-loan")
        state = "requested"
        for step in steps:
            assert step["status"] in referral_states.allowed_from(state, "agency")
            state = step["status"]
        finals[state] += 1
    assert set(finals) == {"completed", "rejected", "failed"} and finals["completed"] > finals["rejected"]
    assert outcome_for("microcredit-loan") == ("loan-granted", 5_000_000)
    assert outcome_for("midlife-job-placement")[0] == "job-placed"


def test_policy_answers_only_new_referrals():
    policy = OnestopAutopilot()
    item = InboxItem(1, "ccrs", "msg_1", "referral.requested", "ref_x",
                     {"referral_id": "ref_x", "service_key": "ccrs-debt-adjustment"})
    actions = policy.actions(item)
    assert actions and all(a.path == "/v1/agency/referrals/ref_x/status" for a in actions)
    assert policy.actions(InboxItem(2, "bukgu-hub", "m", "referral.status_changed", "ref_x", {})) == []
    assert SPEC.autopilot_policy.__class__ is OnestopAutopilot


def test_demo_seed_is_idempotent(db):
    app = create_app(settings(db, seed_demo_data=True, demo_mode=True))
    with TestClient(app):
        pass
    platform = app.state.platform
    with platform.db.read_session() as s:
        counts = (s.scalar(select(func.count()).select_from(Resident)),
                  s.scalar(select(func.count()).select_from(Referral)))
    assert counts[0] >= 3 and counts[1] >= 3
    SPEC.seed(platform)
    with platform.db.read_session() as s:
        assert (s.scalar(select(func.count()).select_from(Resident)),
                s.scalar(select(func.count()).select_from(Referral))) == counts


def _guards(dependant):
    for dep in dependant.dependencies:
        if isinstance(dep.call, RequireParty | Public):
            yield dep.call
        yield from _guards(dep)


def test_every_route_declares_who_may_call(shared_api):
    agencies = set(directory().agencies) - {"bukgu-hub"}
    for route in shared_api.app.routes:
        dependant = getattr(route, "dependant", None)
        if dependant is None or not route.path.startswith(("/v1/", "/hsds")) or route.path.startswith("/v1/ops"):
            continue
        guards = list(_guards(dependant))
        assert guards, f"{route.path} declares neither RequireParty nor PUBLIC"
        if route.path.startswith("/hsds"):
            assert all(isinstance(g, Public) for g in guards)
        elif route.path.startswith("/v1/agency/"):
            assert guards[0].roles == {"agency"} and not agencies - set(SPEC.parties.with_role("agency"))
        elif isinstance(guards[0], RequireParty):
            assert guards[0].parties == {"bukgu-hub"} and not guards[0].roles, route.path


def test_logs_carry_no_names_or_phones(shared_api, caplog):
    caplog.set_level(logging.DEBUG)
    res, case, ref = shared_api.referral_to("ccrs", "ccrs-debt-adjustment")
    shared_api.get(f"/v1/agency/referrals/{ref['id']}", party="ccrs")
    shared_api.post("/v1/residents", {"name": "유출금지 800101-1234567", "birth_date": "1980-01-01",
                                      "phone": "010-7777-8888", "address_district": "buk-gu"})
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records
    for secret in (res["name"], res["phone"], "유출금지", "800101", "010-7777-8888"):
        assert secret not in text
