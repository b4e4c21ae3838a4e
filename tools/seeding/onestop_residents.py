"""Who comes to the one-stop centre in a seeded history (`cpa seed onestop`): invented residents, their
structured assessments judged by the service's own rules, and the consents they give each agency."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.onestop.domain import eligibility, minimisation, referral_states, vulnerability
from services.onestop.domain.consent_policy import consent_policy
from services.onestop.domain.reference import directory
from services.onestop.flows.cases import groups_of
from services.onestop.flows.common import KST
from tools.seeding.common import pick, ulid

SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "안", "송")
GIVEN = ("민준", "서연", "지호", "하윤", "도현", "지우", "은우", "수아", "시우", "지민", "영숙", "정희", "순자",
         "영호", "성민", "미경", "동훈", "경자", "상철", "현정", "진수", "옥순", "재훈", "미영")
DISTRICTS = (("buk-gu", 0.86), ("dong-gu", 0.04), ("seo-gu", 0.04), ("nam-gu", 0.03), ("gwangsan-gu", 0.03))
COUNSELLORS = tuple(f"상담사 {s}{g}" for s, g in (("김", "하늘"), ("이", "보람"), ("박", "소연"), ("최", "우진"),
                                                   ("정", "다은"), ("강", "민호")))
CRISES = ("eviction-risk", "utilities-cut", "food-insecurity", "medical-emergency", "homelessness")
WITHDRAW_SHARE = 0.015


class World:
    """Everything drawn once: services by key, consent texts, office-hour days."""

    def __init__(self, now: datetime, months: float, secret: str):
        self.now = now
        self.secret = secret
        self.ruleset = eligibility.rules()
        self.vmodel = vulnerability.model()
        self.policy = consent_policy()
        d = directory()
        self.services = {s.key: s for s in d.services() if s.agency != d.operator and s.status == "active"}
        self.max_amount = {r.service_key: r.max_amount_krw for r in self.ruleset.rules}
        self.table = referral_states.table()
        self._notices: dict[tuple[str, tuple[str, ...], str], dict[str, str]] = {}
        start = now - timedelta(days=30.44 * months)
        self.start = start
        # Office days (Mon–Fri, Korean calendar) between start and now, as KST midnights.
        first = (start + timedelta(hours=9)).date()
        last = (now + timedelta(hours=9)).date()
        self.days = [first + timedelta(days=i) for i in range((last - first).days + 1)
                     if (first + timedelta(days=i)).weekday() < 5]

    def notice(self, agency: str, categories: tuple[str, ...], language: str) -> dict[str, str]:
        key = (agency, categories, language)
        if key not in self._notices:
            items = minimisation.consent_notice(agency, list(categories), language=language, policy=self.policy)
            self._notices[key] = {i["code"]: i["text"] for i in items}
        return self._notices[key]

    def office_time(self, rng: random.Random) -> datetime:
        """A moment in office hours (09:00–18:00 KST) on a weekday in the window, not in the future."""
        for _ in range(20):
            day = self.days[rng.randrange(len(self.days))]
            at = datetime(day.year, day.month, day.day, 9, tzinfo=KST) + timedelta(seconds=rng.random() * 9 * 3600)
            at = at.astimezone(UTC)
            if self.start <= at <= self.now - timedelta(minutes=30):
                return at
        return self.now - timedelta(hours=1)

    def consent(self, rng: random.Random, id_rng: random.Random, *, resident_id: str, agency: str,
                chosen: list[str], at: datetime) -> dict[str, Any]:
        """The consent a resident gives `agency` for the chosen services (some later withdrawn, Art. 37)."""
        needed = {c for k in chosen if self.services[k].agency == agency
                  for c in self.services[k].data_categories}
        sensitive_ok = rng.random() < 0.7
        cats = tuple(c for c in ("identity", "contact", "finance", "employment", "welfare", "health")
                     if c in needed and (not self.policy.categories[c].sensitive or sensitive_ok))
        language = "ko" if rng.random() < 0.9 else "en"
        notice = self.notice(agency, cats, language)
        purpose = self.policy.agencies[agency]
        taken = at + timedelta(minutes=rng.uniform(1, 5))
        withdrawn = None
        if rng.random() < WITHDRAW_SHARE:
            withdrawn = taken + timedelta(days=rng.uniform(3, 120))
            if withdrawn >= self.now:
                withdrawn = None
        return {"id": f"con_{ulid(int(taken.timestamp() * 1000), id_rng)}", "resident_id": resident_id, "agency": agency,
                "categories": [c for c in cats if not self.policy.categories[c].sensitive],
                "sensitive_categories": [c for c in cats if self.policy.categories[c].sensitive],
                "sensitive_consent": any(self.policy.categories[c].sensitive for c in cats),
                "purpose": purpose.purpose_ko if language == "ko" else purpose.purpose_en,
                "retention": purpose.retention_ko if language == "ko" else purpose.retention_en,
                "notice_recipient": notice["recipient"], "notice_purpose": notice["purpose"],
                "notice_items": notice["items"], "notice_retention": notice["retention"],
                "notice_refusal": notice["refusal"], "language": language, "policy_version": self.policy.version,
                "taken_by": rng.choice(COUNSELLORS), "taken_at": taken, "superseded_at": None,
                "withdrawn_at": withdrawn, "withdrawn_by": rng.choice(COUNSELLORS) if withdrawn else None}


def _assessment(rng: random.Random, age: int, gender: str) -> tuple[dict[str, Any], list[str]]:
    """An assessment as `Assessment.facts()` stores it, plus crisis flags."""
    household = pick(rng, ((1, 45), (2, 25), (3, 15), (4, 10), (5, 5)))
    if age >= 65:
        employment = pick(rng, (("not-in-labour-force", 55), ("unemployed", 30), ("employed", 10), ("self-employed", 5)))
    else:
        employment = pick(rng, (("unemployed", 48), ("employed", 24), ("self-employed", 12), ("not-in-labour-force", 16)))
    monthly = {"unemployed": rng.randint(0, 9) * 100_000, "not-in-labour-force": rng.randint(0, 10) * 100_000,
               "employed": rng.randint(12, 32) * 100_000, "self-employed": rng.randint(5, 28) * 100_000}[employment]
    debt = 0 if rng.random() < 0.15 else int(min(300_000_000, 15_000_000 * math.exp(rng.gauss(0, 1.0))) // 100_000
                                            * 100_000)
    overdue = 0 if debt == 0 or rng.random() < 0.3 else min(240, max(1, int(8 * math.exp(rng.gauss(0, 1.2)))))
    credit = max(300, min(950, int(rng.gauss(720, 90) - 2.2 * min(overdue, 60))))
    basic = rng.random() < 0.12
    assessment = {
        "household_size": household, "annual_income_krw": 12 * monthly, "debt_total_krw": debt,
        "months_overdue": overdue, "credit_score": credit, "employment_status": employment,
        "disability_registered": rng.random() < 0.07,
        "career_interrupted": gender == "female" and 25 <= age < 60 and rng.random() < 0.25,
        "marriage_immigrant": gender == "female" and age < 60 and rng.random() < 0.04,
        "caregiver": rng.random() < 0.10, "basic_livelihood": basic, "near_poor": not basic and rng.random() < 0.15,
    }
    crisis = [rng.choice(CRISES)] if rng.random() < 0.05 else []
    return assessment, crisis


@dataclass(frozen=True)
class Profile:
    age: int
    gender: str
    district: str
    assessment: dict[str, Any]  # as stored in case.assessment (with crisis_flags)
    groups: list[str]
    score: int
    flags: list[str]
    urgent_flags: list[str]
    services: list[str]  # the keys of the services the rules find the resident eligible for


def profile(world: World, rng: random.Random) -> Profile:
    """One resident's situation, with what `flows.cases.create` and the recommendations derive from it."""
    age = min(88, max(19, int(rng.gauss(52, 13))))
    gender = "female" if rng.random() < 0.52 else "male"
    district = pick(rng, DISTRICTS)
    assessment, crisis = _assessment(rng, age, gender)
    today = world.now.astimezone(KST).date()  # the age is given; the reference day only completes the call
    facts = eligibility.derive_facts(world.ruleset, {**assessment, "age": age, "gender": gender,
                                                     "address_district": district}, reference_date=today)
    scored = vulnerability.score(facts, vmodel=world.vmodel, ruleset=world.ruleset, reference_date=today)
    recs = eligibility.evaluate(world.ruleset, facts, reference_date=today)
    eligible = [r.service_key for r in recs if r.status == "eligible" and r.service_key in world.services]
    maybe = [r.service_key for r in recs if r.status == "maybe" and r.service_key in world.services]
    return Profile(age, gender, district, {**assessment, "crisis_flags": crisis}, groups_of(facts), scored.score,
                    scored.flags, scored.urgent_flags + [f"crisis:{c}" for c in crisis], eligible or maybe[:2])
