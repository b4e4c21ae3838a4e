"""Meetings (generated agenda, pseudonymised, decisions) and linkage statistics with small-count suppression."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from services.onestop.models import Referral, Task

from .conftest import ALL

MEETING_DAY = date(2026, 11, 30)


@pytest.fixture
def meeting_day(api) -> str:
    """Pins the service clock at 09:00 on MEETING_DAY in Korea, so the meeting date (within a year of the
    service's today) is valid whatever the system date; every record of the test is stamped on that day."""
    pinned = datetime(MEETING_DAY.year, MEETING_DAY.month, MEETING_DAY.day, tzinfo=UTC)
    api.platform.clock = lambda: pinned
    return MEETING_DAY.isoformat()


def _backdate(api, ref_id, days):
    with api.platform.db.session() as s:
        ref = s.get(Referral, ref_id)
        ref.status_changed_at = ref.status_changed_at - timedelta(days=days)


def _seed_agenda(api):
    _, _, stalled = api.referral_to("ccrs", "ccrs-debt-adjustment")
    _backdate(api, stalled["id"], 10)  # requested for 10 days (limit 3)
    _, _, rejected = api.referral_to("kinfa", "kinfa-special-sunshine-loan")
    assert api.set_status(rejected["id"], "kinfa", "rejected", reason="no-capacity").status_code == 200
    _, _, fresh = api.referral_to("gewpc", "gewpc-vocational-training")
    _, _, accepted_recent = api.referral_to("kamco", "kamco-bad-debt-adjustment")
    api.set_status(accepted_recent["id"], "kamco", "accepted")
    _backdate(api, accepted_recent["id"], 2)
    _, _, accepted_old = api.referral_to("midlife-job", "midlife-job-placement")
    api.set_status(accepted_old["id"], "midlife-job", "accepted")
    _backdate(api, accepted_old["id"], 8)  # accepted for 8 days (limit 7)
    res, case, covered = api.referral_to("microcredit", "microcredit-loan")
    api.consent(res["id"], "bukgu-employment")
    api.refer(case["id"], "bukgu-job-placement")  # still open: the rejection below needs no new route
    api.set_status(covered["id"], "microcredit", "rejected", reason="not-eligible")
    crisis = api.resident(name="위기 주민")
    crisis_case = api.case(crisis["id"], crisis_flags=["eviction-risk", "utilities-cut"])
    return {"stalled": stalled["id"], "rejected": rejected["id"], "accepted_old": accepted_old["id"],
            "crisis_case": crisis_case["id"], "fresh": fresh["id"]}


def test_agenda_lists_exactly_the_stalled_and_rejected_referrals(api, meeting_day):
    seeded = _seed_agenda(api)
    r = api.post("/v1/meetings", {"title": "November case meeting", "held_on": meeting_day})
    assert r.status_code == 201, r.text
    meeting = r.json()
    by_kind = {}
    for item in meeting["items"]:
        by_kind.setdefault(item["kind"], set()).add(item["referral"]["id"] if item["referral"] else item["case"]["id"])
    assert by_kind["stalled-referral"] == {seeded["stalled"], seeded["accepted_old"]}
    assert by_kind["reroute"] == {seeded["rejected"]}
    assert seeded["crisis_case"] in by_kind["new-in-crisis"] | by_kind.get("high-risk", set())
    text = str(meeting)
    assert "주민" not in text and "010-" not in text and "R-" in text  # pseudonymised case list
    # Stalled days are configurable per meeting (and in Settings: STALLED_DAYS).
    later = api.post("/v1/meetings", {"title": "lenient", "held_on": meeting_day,
                                      "stalled_days": {"requested": 20, "accepted": 20}}).json()
    assert not [i for i in later["items"] if i["kind"] == "stalled-referral"]


def test_decisions_create_follow_up_referrals_and_tasks(api, meeting_day):
    seeded = _seed_agenda(api)
    meeting = api.post("/v1/meetings", {"title": "m", "held_on": meeting_day}).json()
    reroute = next(i for i in meeting["items"] if i["kind"] == "reroute")
    stalled = next(i for i in meeting["items"] if i["referral"] and i["referral"]["id"] == seeded["stalled"])
    case_id = reroute["case"]["id"]
    no_consent = api.post(f"/v1/meetings/{meeting['id']}/items/{reroute['id']}/decision",
                          {"action": "refer", "service": "microcredit-loan"})
    assert no_consent.status_code == 422 and no_consent.json()["type"].endswith("/consent-required")
    resident_id = api.get(f"/v1/cases/{case_id}").json()["resident_id"]
    api.consent(resident_id, "microcredit", ALL)
    d = api.post(f"/v1/meetings/{meeting['id']}/items/{reroute['id']}/decision",
                 {"action": "refer", "service": "microcredit-loan", "note": "try microcredit instead"})
    assert d.status_code == 201, d.text
    follow = api.get(f"/v1/referrals/{d.json()['referral_id']}").json()
    assert follow["case_id"] == case_id and follow["agenda_item_id"] == reroute["id"]
    t = api.post(f"/v1/meetings/{meeting['id']}/items/{stalled['id']}/decision",
                 {"action": "task", "task": {"title": "call CCRS about the referral", "assignee": "counsellor 7"}})
    assert t.status_code == 201 and api.count(Task) == 1
    again = api.post(f"/v1/meetings/{meeting['id']}/items/{stalled['id']}/decision", {"action": "monitor"})
    assert again.status_code == 409
    view = api.get(f"/v1/meetings/{meeting['id']}").json()
    assert view["tasks"][0]["title"] == "call CCRS about the referral"
    assert {i["decision"]["action"] for i in view["items"] if i["decision"]} == {"refer", "task"}


def test_linkage_stats_and_csv(api):
    for i in range(5):
        res = api.resident(name=f"통계 {i}")
        api.case(res["id"], disability_registered=(i == 0))
    refs = [api.referral_to("ccrs", "ccrs-debt-adjustment")[2]["id"] for _ in range(3)]
    api.set_status(refs[0], "ccrs", "accepted")
    api.set_status(refs[0], "ccrs", "completed", outcome="debt-adjusted")
    api.set_status(refs[1], "ccrs", "rejected", reason="no-capacity")
    body = api.get("/v1/stats/linkage").json()
    [row] = [a for a in body["agencies"] if a["agency"] == "ccrs"]
    assert (row["field"], row["sent"], row["accepted"], row["completed"], row["rejected"]) == \
        ("finance", 3, 1, 1, 1)
    assert row["rejected_by_reason"] == {"no-capacity": 1} and row["median_days_to_complete"] is not None
    groups = {g["group"]: g for g in body["vulnerable_groups"]}
    assert groups["unemployed"]["cases"] == 8 and not groups["unemployed"]["suppressed"]
    assert groups["disability"] == {"group": "disability", "cases": None, "suppressed": True}
    r = api.get("/v1/stats/linkage.csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["agency"] == "ccrs" and rows[0]["sent"] == "3"
    g = {x["group"]: x["cases"] for x in csv.DictReader(io.StringIO(
        api.get("/v1/stats/linkage.csv", params={"table": "groups"}).text))}
    assert g["disability"] == "<5" and g["unemployed"] == "8"
    assert api.get("/v1/stats/linkage", party="ccrs").status_code == 403


@pytest.mark.parametrize("days", [-1, 366])
def test_stalled_days_out_of_range_is_a_problem_naming_the_field(api, meeting_day, days):
    r = api.post("/v1/meetings", {"title": "m", "held_on": meeting_day, "stalled_days": {"accepted": days}})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["stalled_days.accepted"], r.text
    assert api.get("/v1/meetings").json()["items"] == [], "nothing written"


@pytest.mark.parametrize(("action", "field"), [("refer", "service"), ("task", "task")])
def test_a_decision_missing_what_its_action_needs_names_that_field(api, meeting_day, action, field):
    _seed_agenda(api)
    meeting = api.post("/v1/meetings", {"title": "m", "held_on": meeting_day}).json()
    item = meeting["items"][0]
    r = api.post(f"/v1/meetings/{meeting['id']}/items/{item['id']}/decision", {"action": action})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e["pointer"]) for e in r.json()["errors"]] == [(field, f"/{field}")], r.text
    after = api.get(f"/v1/meetings/{meeting['id']}").json()
    assert after["items"][0]["decision"] is None and after["tasks"] == [], "nothing written"
