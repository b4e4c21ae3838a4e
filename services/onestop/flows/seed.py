"""Seed data: the directory is data files; in demo mode a few residents, cases and referrals if there are none."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from services.onestop.flows import cases, consents, referrals, residents
from services.onestop.flows.common import SYSTEM, today_kst
from services.onestop.schemas import CaseCreate, ConsentCreate, ResidentCreate

if TYPE_CHECKING:
    from services.onestop.parts import OnestopPlatform

# Invented people (no real names or numbers); ages relative to today so the demo stays true.
DEMO = [
    {"resident": {"name": "김민수 (demo)", "age": 52, "gender": "male", "phone": "010-0000-0001"},
     "assessment": {"household_size": 1, "monthly_income_krw": 800_000, "debt_total_krw": 8_000_000,
                    "months_overdue": 132, "credit_score": 610, "employment_status": "unemployed"},
     "refer": ["ccrs-long-term-small-delinquent", "microcredit-loan", "midlife-job-placement"]},
    {"resident": {"name": "이지은 (demo)", "age": 38, "gender": "female", "phone": "010-0000-0002"},
     "assessment": {"household_size": 3, "monthly_income_krw": 1_500_000, "debt_total_krw": 25_000_000,
                    "months_overdue": 4, "credit_score": 700, "employment_status": "unemployed",
                    "career_interrupted": True, "caregiver": True},
     "refer": ["kamco-bad-debt-adjustment", "women-career-restart"]},
    {"resident": {"name": "박정호 (demo)", "age": 29, "gender": "male", "phone": "010-0000-0003"},
     "assessment": {"household_size": 1, "monthly_income_krw": 0, "debt_total_krw": 3_000_000,
                    "months_overdue": 2, "credit_score": 640, "employment_status": "unemployed",
                    "disability_registered": True, "crisis_flags": ["utilities-cut"]},
     "refer": []},
]
CATEGORIES = ["identity", "contact", "finance", "employment", "welfare"]


def _birth(age: int, now: datetime) -> date:
    return date(today_kst(now).year - age, 1, 1)


def seed(platform: OnestopPlatform) -> None:
    """Idempotent: does nothing outside demo mode, or when any resident exists."""
    s = platform.settings
    if not (s.demo_mode and getattr(s, "seed_demo_data", True)):
        return
    with platform.db.session() as session:
        if residents.any_registered(session):
            return
        now = platform.clock()
        for person in DEMO:
            r = person["resident"]
            res = residents.register(session, secret=s.secret_key.get_secret_value(), who=SYSTEM, now=now,
                                     body=ResidentCreate(name=r["name"], birth_date=_birth(r["age"], now),
                                                         gender=r["gender"], phone=r["phone"],
                                                         address_district="buk-gu"))
            case = cases.open_case(session, who=SYSTEM, now=now, body=CaseCreate(resident_id=res["id"],
                                                                                 assessment=person["assessment"]))
            for key in person["refer"]:
                agency = referrals.service_or_problem(key).agency
                consents.record(session, resident_id=res["id"], who=SYSTEM, clock=platform.clock,
                                body=ConsentCreate(agency=agency, categories=CATEGORIES, taken_by="demo counsellor",
                                                   notice_shown=True))
                referrals.send(session, tables=platform.tables, case_id=case["id"], service=key, note=None,
                               who=SYSTEM, clock=platform.clock)
