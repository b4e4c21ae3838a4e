"""Onestop: residents in varied situations assessed once, consent with the five items, referrals answered or not."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

from services.onestop.parties.autopilot import outcome_for
from tools.demo.common import Part

KST = timezone(timedelta(hours=9))
HUB = "bukgu-hub"
FAMILY = "김이박최정강조윤장임한오서신권황안송류홍"
GIVEN = ("민수", "지은", "정호", "서연", "영숙", "현우", "미경", "동현", "수진", "상철", "은정", "준호", "혜린", "광수")
# (who, age range, assessment): the situations a counsellor at the centre meets.
PERSONAS: list[tuple[str, tuple[int, int], dict[str, Any]]] = [
    ("long-term small debtor, unemployed", (50, 63), {
        "household_size": 1, "monthly_income_krw": 800_000, "debt_total_krw": 8_000_000, "months_overdue": 132,
        "credit_score": 610, "employment_status": "unemployed"}),
    ("mother back to work after a career break", (33, 45), {
        "household_size": 3, "monthly_income_krw": 1_500_000, "debt_total_krw": 25_000_000, "months_overdue": 4,
        "credit_score": 700, "employment_status": "unemployed", "career_interrupted": True, "caregiver": True}),
    ("young disabled job seeker, utilities cut", (24, 32), {
        "household_size": 1, "monthly_income_krw": 0, "debt_total_krw": 3_000_000, "months_overdue": 2,
        "credit_score": 640, "employment_status": "unemployed", "disability_registered": True,
        "crisis_flags": ["utilities-cut"]}),
    ("self-employed, business closed, heavy debt", (41, 58), {
        "household_size": 4, "monthly_income_krw": 1_200_000, "debt_total_krw": 60_000_000, "months_overdue": 7,
        "credit_score": 520, "employment_status": "self-employed"}),
    ("graduate looking for a first job", (22, 29), {
        "household_size": 2, "monthly_income_krw": 900_000, "debt_total_krw": 0, "employment_status": "unemployed"}),
    ("basic-livelihood recipient facing eviction", (58, 72), {
        "household_size": 1, "monthly_income_krw": 600_000, "debt_total_krw": 4_000_000, "months_overdue": 14,
        "credit_score": 480, "employment_status": "not-in-labour-force", "basic_livelihood": True,
        "crisis_flags": ["eviction-risk", "food-insecurity"]}),
    ("marriage immigrant caring for a child", (27, 40), {
        "household_size": 3, "monthly_income_krw": 1_800_000, "debt_total_krw": 2_000_000, "months_overdue": 1,
        "credit_score": 690, "employment_status": "unemployed", "marriage_immigrant": True, "caregiver": True}),
    ("near-poor worker with a medical emergency", (45, 60), {
        "household_size": 2, "monthly_income_krw": 1_400_000, "debt_total_krw": 12_000_000, "months_overdue": 5,
        "credit_score": 560, "employment_status": "employed", "near_poor": True,
        "crisis_flags": ["medical-emergency"]}),
]
FINANCE = {"kamco", "ccrs", "kinfa", "microcredit"}
# What the demo plays as the agency, in turn; "auto" leaves the referral to the simulated agency (autopilot).
SCRIPTS = ("complete", "stall-on-hold", "auto", "decline", "stall-accepted", "auto", "complete")


def categories(agency: str, assessment: dict[str, Any]) -> tuple[list[str], bool]:
    """Only what the agency needs for its service: the consent is per agency and per data category."""
    cats = ["identity", "contact"]
    if agency in FINANCE:
        cats.append("finance")
    elif agency == "bukgu-livelihood":
        cats += ["finance", "welfare"]
    else:
        cats.append("employment")
        if agency in ("bukgu-women", "gewpc"):
            cats.append("welfare")
    health = agency == "kead" and assessment.get("disability_registered", False)
    return cats + (["health"] if health else []), health


def steps(n: int) -> int:
    return n * 9 + 2


def run(part: Part, n: int) -> None:
    api, rng = part.api, part.rng
    today = datetime.now(KST).date()
    made = part.created
    made.update(residents=[], referrals=[], consents=0)
    scripts = iter(SCRIPTS * (n * 3))
    for i in range(n):
        who, (lo, hi), base = PERSONAS[i % len(PERSONAS)]
        age = rng.randint(lo, hi)
        part.describe(f"onestop: intake — {who}")
        resident = api.post("/v1/residents", party=HUB, json={
            "name": rng.choice(FAMILY) + rng.choice(GIVEN), "gender": rng.choice(("female", "male")),
            "birth_date": date(today.year - age, rng.randint(1, 12), rng.randint(1, 28)).isoformat(),
            "phone": f"010-{rng.randint(2000, 9999)}-{rng.randint(1000, 9999)}", "address_district": "buk-gu"})
        made["residents"].append(resident["id"])
        part.step()
        assessment = dict(base)
        for key in ("monthly_income_krw", "debt_total_krw"):
            if assessment.get(key):
                assessment[key] = int(assessment[key] * rng.uniform(0.85, 1.15)) // 10_000 * 10_000
        case = api.post("/v1/cases", party=HUB, json={"resident_id": resident["id"], "assessment": assessment})
        part.step()
        recs = api.get(f"/v1/cases/{case['id']}/recommendations", party=HUB)["recommendations"]
        part.step()
        chosen: dict[str, dict] = {}
        for r in recs:
            if r["status"] == "eligible" and r["agency"] != HUB and r["agency"] not in chosen:
                chosen[r["agency"]] = r
        # Every fourth resident is sent to one agency only, which declines: a re-route for the meeting.
        declined = i % 4 == 1
        fin = [r for r in chosen.values() if r["agency"] in FINANCE]
        other = [r for r in chosen.values() if r["agency"] not in FINANCE]
        rng.shuffle(fin)
        rng.shuffle(other)
        picks = (other[:2] + fin[:2])[: 1 if declined else rng.randint(2, 3)]
        for r in picks:
            cats, health = categories(r["agency"], assessment)
            api.post(f"/v1/residents/{resident['id']}/consents", party=HUB, json={
                "agency": r["agency"], "categories": cats, "sensitive_consent": health,
                "language": "ko", "taken_by": "counsellor (training demo)", "notice_shown": True})
            made["consents"] += 1
            ref = api.post(f"/v1/cases/{case['id']}/referrals", party=HUB, json={
                "service": r["service_key"], "note": f"{who}; recommended because: {'; '.join(r['reasons'])}"[:1000]})
            made["referrals"].append(ref["id"])
            answer(part, ref, "decline" if declined else next(scripts))
        part.say(f"onestop: {who}, {age} → {len(picks)} referral(s): {', '.join(r['agency'] for r in picks) or '—'}")
        part.step(6)

    # The regular case-management meeting. Its agenda counts whole days, so referrals the demo left
    # accepted or on hold show as stalled from the next day on (thresholds 0 days for this meeting);
    # today it lists the re-routes (declined, no other referral), new crises and high-risk residents.
    part.describe("onestop: case-management meeting")
    meeting = api.post("/v1/meetings", party=HUB, json={
        "title": f"Case-management meeting (training demo {datetime.now(KST):%H:%M})", "held_on": today.isoformat(),
        "stalled_days": {"accepted": 0, "on-hold": 0}})
    made["meeting"] = meeting["id"]
    item = next((it for it in meeting["items"] if it["kind"] in ("reroute", "stalled-referral")), None)
    if item:
        api.post(f"/v1/meetings/{meeting['id']}/items/{item['id']}/decision", party=HUB, json={
            "action": "task", "note": "Agreed at the meeting (training demo).",
            "task": {"title": "Call the resident and look for another route" if item["kind"] == "reroute"
                     else "Help the resident gather the documents the agency waits for", "assignee": HUB,
                     "due_date": (today + timedelta(days=7)).isoformat()}})
    kinds = Counter(it["kind"] for it in meeting["items"])
    part.say(f"onestop: meeting {meeting['id']} — agenda: " + (", ".join(f"{v} {k}" for k, v in kinds.items())
                                                               or "empty"))
    part.step(2)


def answer(part: Part, ref: dict[str, Any], script: str) -> None:
    """Plays the agency for one referral (reads the consented data, then moves the status), unless "auto".
    A 409 means the simulated agency answered first; the referral then follows the autopilot."""
    if script == "auto":
        return
    api, agency, path = part.api, ref["agency"], f"/v1/agency/referrals/{ref['id']}"
    api.get(path, party=agency)  # the read lands in the resident's access log
    if script == "decline":
        plan = [{"status": "rejected", "reason": part.rng.choice(("no-capacity", "not-eligible")),
                 "note": "Declined by the agency (training demo)."}]
    elif script == "complete":
        outcome, amount = outcome_for(ref["service_key"])
        done = {"status": "completed", "outcome": outcome, **({"amount_krw": amount} if amount else {})}
        plan = [{"status": "accepted"}, {"status": "in-progress"}, done]
    elif script == "stall-on-hold":
        plan = [{"status": "accepted"}, {"status": "on-hold", "reason": "awaiting-documents"}]
    else:  # stall-accepted: accepted, then nothing happens
        plan = [{"status": "accepted"}]
    for body in plan:
        if api.request("POST", f"{path}/status", party=agency, json=body, ok=(200, 409)).status_code == 409:
            return


def summary(api, created: dict[str, Any]) -> dict[str, Any]:
    """Figures read back from the service: this run's referrals by status and the meeting's agenda."""
    statuses = Counter(api.get(f"/v1/referrals/{rid}", party=HUB)["status"] for rid in created.get("referrals", []))
    consents = sum(len(api.get(f"/v1/residents/{r}/consents", party=HUB)["items"])
                   for r in created.get("residents", []))
    out: dict[str, Any] = {"residents assessed": len(created.get("residents", [])),
                           "consents recorded (five items each)": consents,
                           "referrals sent": sum(statuses.values()),
                           **{f"referrals {k}": v for k, v in sorted(statuses.items())}}
    if created.get("meeting"):
        m = api.get(f"/v1/meetings/{created['meeting']}", party=HUB)
        kinds = Counter(it["kind"] for it in m["items"])
        out["meeting agenda items"] = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())) or "0"
        out["meeting tasks"] = len(m["tasks"])
    return out
