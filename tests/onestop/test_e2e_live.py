"""End to end over real HTTP: relay and autopilot on; a simulated agency accepts and completes a referral."""
from __future__ import annotations

import httpx
from sqlalchemy import select

from services.onestop.app import create_app
from shared.testing import free_port, live_server, wait_until

from .conftest import auth, birth_for_age, settings


def test_referral_delivered_answered_and_counsellor_notified(db):
    port = free_port()
    app = create_app(settings(db, relay_enabled=True, autopilot_enabled=True, autopilot_accept_delay_s=0,
                              autopilot_reject_share=0, autopilot_fail_share=0,
                              public_base_url=f"http://127.0.0.1:{port}"))
    platform = app.state.platform
    with live_server(app, port) as server, httpx.Client(base_url=server.url, headers=auth("bukgu-hub"),
                                                        timeout=10) as hub:
        res = hub.post("/v1/residents", json={"name": "끝까지", "birth_date": birth_for_age(52).isoformat(),
                                               "phone": "010-5555-6666", "address_district": "buk-gu"}).json()
        case = hub.post("/v1/cases", json={"resident_id": res["id"], "assessment": {
            "household_size": 1, "monthly_income_krw": 800_000, "debt_total_krw": 8_000_000,
            "months_overdue": 132, "credit_score": 610, "employment_status": "unemployed",
            "disability_registered": True}}).json()
        hub.post(f"/v1/residents/{res['id']}/consents", json={
            "agency": "kamco", "categories": ["identity", "contact", "finance"], "taken_by": "counsellor 7",
            "notice_shown": True}).raise_for_status()
        ref = hub.post(f"/v1/cases/{case['id']}/referrals", json={"service": "kamco-bad-debt-adjustment"}).json()

        def final():
            body = hub.get(f"/v1/referrals/{ref['id']}").json()
            return body if body["status"] == "completed" else None

        done = wait_until(final, timeout=20)
        assert done["outcome"] == "debt-adjusted"
        assert [h["party"] for h in done["history"][1:]] == ["kamco"] * (len(done["history"]) - 1)
        assert done["history"][1]["via"] == "autopilot"

        inbox = platform.tables.inbox

        def received(receiver, kind):
            with platform.db.read_session() as s:
                return s.execute(select(inbox).where(inbox.c.receiver == receiver, inbox.c.kind == kind)).all()

        [delivered] = received("kamco", "referral.requested")  # what the agency actually received
        assert delivered.payload["debt_total_krw"] == 8_000_000
        assert "disability_registered" not in delivered.payload and "employment_status" not in delivered.payload
        def notices():
            got = [r.payload["status"] for r in received("bukgu-hub", "referral.status_changed")
                   if r.payload["referral_id"] == ref["id"]]
            return got if "completed" in got else None

        statuses = wait_until(notices)  # the closed loop: the counsellors heard of every change
        assert statuses[0] == "accepted" and statuses[-1] == "completed"
        events = hub.get(f"/v1/referrals/{ref['id']}/trace").json()["events"]
        assert events[0]["channel"] == "webhook" and events[0]["status"] == "delivered"
        assert {e["channel"] for e in events if e["from"] == "kamco"} == {"api", "webhook"}
        log = hub.get(f"/v1/residents/{res['id']}/access-log").json()["items"]
        assert log == []  # the autopilot answered from the webhook; nobody read the resident's data
