"""Consent withdrawal minimises what the agency was given (issue 14, L2).

Policy: withdrawing a resident's consent to an agency revokes that agency's access to every referral of the
resident, completed ones included (410 with the instruction to destroy copies), cancels the open ones, keeps
the non-personal record (status, outcome, dates) in the agency's list for its statistics, and erases the
personal fields from every copy the hub keeps of what it sent that agency (outbox payloads, delivered or
pending; a simulated agency's inbox). Another agency the resident still consents to is untouched.
"""
from __future__ import annotations

from sqlalchemy import insert, select

from shared.db import utcnow

from .conftest import ALL

NAME, PHONE = "철회할 주민", "010-7777-8888"
PERSONAL = (NAME, PHONE, "1975-03-04")


def _complete(api, ref_id: str, agency: str) -> None:
    for status, extra in (("accepted", {}), ("in-progress", {}), ("completed", {"outcome": "counselling-provided"})):
        r = api.set_status(ref_id, agency, status, **extra)
        assert r.status_code == 200, r.text


def _stored_for(api, agency: str) -> str:
    t = api.platform.tables
    with api.platform.db.read_session() as s:
        rows = [*s.execute(select(t.outbox.c.payload).where(t.outbox.c.to_party == agency)).all(),
                *s.execute(select(t.inbox.c.payload).where(t.inbox.c.receiver == agency)).all()]
    return repr(rows)


def _simulated_copy(api, agency: str, ref_id: str) -> None:
    """The simulated agency's inbox copy of the referral message, as the /sim receiver stores it."""
    t = api.platform.tables
    [msg] = api.outbox(subject_id=ref_id, kind="referral.requested")
    with api.platform.db.session() as s:
        s.execute(insert(t.inbox).values(receiver=agency, webhook_id=msg.id, kind=msg.kind, subject_id=None,
                                         payload=dict(msg.payload), received_at=utcnow(), due_at=None, attempts=0))


def test_withdrawal_covers_completed_referrals_and_erases_the_copies(api):
    res = api.resident(name=NAME, phone=PHONE, birth_date="1975-03-04")
    case = api.case(res["id"], debt_total_krw=9_000_000, months_overdue=20)
    consent = api.consent(res["id"], "kinfa", ALL)
    api.consent(res["id"], "ccrs", ALL)
    done = api.refer(case["id"], "kinfa-finance-counselling")
    _complete(api, done["id"], "kinfa")
    open_ref = api.refer(case["id"], "kinfa-special-sunshine-loan")
    other = api.refer(case["id"], "ccrs-debt-adjustment")
    _simulated_copy(api, "kinfa", done["id"])
    before = api.get(f"/v1/agency/referrals/{done['id']}", party="kinfa")
    assert before.status_code == 200 and before.json()["data"]["name"] == NAME
    assert NAME in _stored_for(api, "kinfa")

    w = api.post(f"/v1/consents/{consent['id']}/withdraw", {"withdrawn_by": "counsellor 7"})
    assert w.status_code == 200, w.text
    assert sorted(w.json()["access_revoked_referrals"]) == sorted([done["id"], open_ref["id"]])
    assert w.json()["cancelled_referrals"] == [open_ref["id"]] and w.json()["erased_copies"] == 3

    # The completed referral: no more name or birth date, and the 410 says why and what to do.
    for ref_id in (done["id"], open_ref["id"]):
        r = api.get(f"/v1/agency/referrals/{ref_id}", party="kinfa")
        assert r.status_code == 410 and r.json()["type"].endswith("/access-revoked"), r.text
        assert "destroy" in r.json()["detail"] and not any(p in r.text for p in PERSONAL)
    revoked = api.outbox(subject_id=done["id"], kind="referral.access_revoked")
    assert [m.payload["reason"] for m in revoked] == ["consent-withdrawn"]
    # What the hub kept of what it sent: no personal field left, the envelope stays (and says why).
    assert not any(p in _stored_for(api, "kinfa") for p in PERSONAL)
    [sent] = api.outbox(subject_id=done["id"], kind="referral.requested")
    assert sent.payload["referral_id"] == done["id"] and sent.payload["personal_data"].startswith("erased")
    # The non-personal record stays in the agency's list, for its statistics.
    listed = {i["id"]: i for i in api.get("/v1/agency/referrals", party="kinfa").json()["items"]}
    assert listed[done["id"]]["status"] == "completed" and listed[done["id"]]["access_revoked"] is True
    assert listed[open_ref["id"]]["status"] == "cancelled"
    # The other agency's consent and copies are untouched.
    kept = api.get(f"/v1/agency/referrals/{other['id']}", party="ccrs")
    assert kept.status_code == 200 and kept.json()["data"]["name"] == NAME
    assert NAME in _stored_for(api, "ccrs")


def test_a_second_withdrawal_changes_nothing(api):
    res = api.resident(name=NAME, phone=PHONE)
    case = api.case(res["id"])
    consent = api.consent(res["id"], "kinfa", ALL)
    done = api.refer(case["id"], "kinfa-finance-counselling")
    _complete(api, done["id"], "kinfa")
    assert api.post(f"/v1/consents/{consent['id']}/withdraw", {"withdrawn_by": "c7"}).json()["erased_copies"] == 1
    again = api.post(f"/v1/consents/{consent['id']}/withdraw", {"withdrawn_by": "c7"})
    assert again.status_code == 409 and again.json()["type"].endswith("/already-withdrawn")
