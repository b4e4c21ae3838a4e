"""Onestop specifics of the reliability suite: residents, cases, consents and referrals built over the API."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.reliability.support import record_figure, service_client

HUB = {"authorization": "Bearer demo-bukgu-hub"}
CONSENT = json.loads((Path(__file__).resolve().parents[2] / "services" / "onestop" / "data" / "consent.json")
                     .read_text(encoding="utf-8"))
# What every referral message and read may carry besides resident data.
META = {"referral_id", "service_id", "resident_ref", "service_key", "agency", "status", "version"}
RESIDENT = {"name": "김민수", "birth_date": "1974-03-01", "gender": "male", "phone": "010-5555-0142",
            "address_district": "yongbong"}
ASSESSMENT = {"household_size": 3, "monthly_income_krw": 1_200_000, "debt_total_krw": 8_000_000,
              "months_overdue": 132, "credit_score": 610, "employment_status": "unemployed",
              "disability_registered": True, "caregiver": True, "career_interrupted": True,
              "marriage_immigrant": False, "basic_livelihood": False, "near_poor": True}


def agency(party: str) -> dict[str, str]:
    return {"authorization": f"Bearer demo-{party}"}


def fields_of(categories: list[str]) -> set[str]:
    out: set[str] = set()
    for c in categories:
        cat = CONSENT["categories"][c]
        out |= set(cat["fields"]) | set(cat.get("derived_fields", []))
    return out


def resident_case(c, **resident) -> tuple[str, str]:
    r = c.post("/v1/residents", json={**RESIDENT, **resident}, headers=HUB)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    r = c.post("/v1/cases", json={"resident_id": rid, "assessment": ASSESSMENT}, headers=HUB)
    assert r.status_code == 201, r.text
    return rid, r.json()["id"]


def consent(c, resident_id: str, party: str, categories: list[str]) -> str:
    sensitive = any(CONSENT["categories"][x]["sensitive"] for x in categories)
    r = c.post(f"/v1/residents/{resident_id}/consents",
               json={"agency": party, "categories": categories, "sensitive_consent": sensitive,
                     "taken_by": "counsellor-park", "notice_shown": True}, headers=HUB)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def refer(c, case_id: str, service: str) -> dict[str, Any]:
    r = c.post(f"/v1/cases/{case_id}/referrals", json={"service": service}, headers=HUB)
    assert r.status_code == 201, r.text
    return r.json()


# (agency, service key, consented categories)
PLAN = [("kamco", "kamco-bad-debt-adjustment", ["identity", "finance"]),
        ("kead", "kead-employment-support", ["identity", "employment", "health"]),
        ("microcredit", "microcredit-loan", ["finance"])]


def referral_minimisation(tmp_path) -> None:
    with service_client("onestop", tmp_path, seed_demo_data=False) as c:
        p = c.app.state.platform
        rid, case_id = resident_case(c)
        consents, referrals = {}, {}
        for party, service, cats in PLAN:
            consents[party] = consent(c, rid, party, cats)
            referrals[party] = refer(c, case_id, service)["id"]
        o = p.tables.outbox
        with p.db.read_session() as s:
            messages = [dict(m._mapping) for m in s.execute(select(o).where(o.c.kind == "referral.requested"))]
        assert {m["to_party"] for m in messages} == {x[0] for x in PLAN}
        checked = 0
        for party, _service, cats in PLAN:
            allowed = fields_of(cats) | META
            payloads = [m["payload"] for m in messages if m["to_party"] == party]
            read = c.get(f"/v1/agency/referrals/{referrals[party]}", headers=agency(party))
            assert read.status_code == 200, read.text
            for data in [*payloads, read.json()["data"]]:
                extra = set(data) - allowed
                assert not extra, f"{party} got fields outside its consent {cats}: {sorted(extra)}"
                text = json.dumps(data, ensure_ascii=False)
                if "identity" not in cats:
                    assert RESIDENT["name"] not in text and "birth_date" not in data
                if "contact" not in cats:
                    assert RESIDENT["phone"] not in text
                if "health" not in cats:
                    assert "disability_registered" not in data
                checked += len(data)
            # Every other agency: not its referral.
            for other, _s, _c in PLAN:
                if other != party:
                    r = c.get(f"/v1/agency/referrals/{referrals[party]}", headers=agency(other))
                    assert r.status_code in (403, 404), (other, party, r.status_code)
        # Withdrawal: the agency's next read fails.
        r = c.post(f"/v1/consents/{consents['kamco']}/withdraw", json={"withdrawn_by": "counsellor-park"},
                   headers=HUB)
        assert r.status_code in (200, 201), r.text
        r = c.get(f"/v1/agency/referrals/{referrals['kamco']}", headers=agency("kamco"))
        assert r.status_code in (403, 404, 410), r.text
        record_figure("minimisation_onestop", {"agencies": len(PLAN), "fields_checked": checked,
                                               "cross_agency_reads_refused": len(PLAN) * (len(PLAN) - 1)})
