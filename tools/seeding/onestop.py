"""Synthetic history of the one-stop centre for benchmarks and tests: `cpa seed onestop --referrals 100000`.

What it writes, following the rules the API enforces (a history, not live traffic: no outbox rows,
no trace, no access log):

- `resident`: invented Korean names, birth dates (mostly 40–64, the centre's usual clients), phone
  numbers, mostly Buk-gu addresses, and the keyed pseudonym the app derives (`flows.common.pseudonym`
  with the configured secret), so the agency API shows the same `resident_ref` the app would;
- `case`: one structured assessment per resident (household, income, debt and arrears, credit score,
  employment, vulnerable-group flags, now and then a crisis), with the age, groups, vulnerability
  score and urgent flags computed by the service's own modules (`eligibility`, `vulnerability`);
- `consent`: one per resident and receiving agency before any referral to it, with the categories
  the referred services need (health only with its separate consent, PIPA Art. 23), purpose,
  retention and the five notice items in the language it was taken in (`minimisation.consent_notice`);
- `referral`: to services the eligibility rules find the resident eligible for (never the centre's
  own service, never two to the same service), each walked through the transition table
  (`referral_states`) with realistic delays up to now: recent ones are still open, older ones mostly
  accepted, in progress, completed (with an outcome, and an amount for loans), rejected or failed
  (with a reason); version, accepted/completed/status-changed times follow the walk;
- `referral_event`: the history of every status change (who, from, to, reason, version, when);
- ~1.5 % of consents are later withdrawn (Art. 37): as `flows.consents.withdraw` does, the agency's
  referrals that were not completed lose access, and open ones are cancelled (consent-withdrawn).

Cases open on weekdays in office hours (Korean time) over the past `--months`; ids are time-ordered
ULIDs of their creation time. Rows go in batches in foreign-key order: SQLite through Core
`executemany`, PostgreSQL through `COPY`. 100,000 referrals take well under a minute.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import Connection, Engine

from services.onestop import eligibility, minimisation, referral_states, vulnerability
from services.onestop.consent_policy import consent_policy
from services.onestop.flows.cases import groups_of
from services.onestop.flows.common import HUB, KST, name_key, pseudonym
from services.onestop.models import Case, Consent, Referral, ReferralEvent, Resident
from services.onestop.reference import directory
from shared.seeding import add_database_arguments, migrated_platform

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SURNAMES = ("김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "안", "송")
GIVEN = ("민준", "서연", "지호", "하윤", "도현", "지우", "은우", "수아", "시우", "지민", "영숙", "정희", "순자",
         "영호", "성민", "미경", "동훈", "경자", "상철", "현정", "진수", "옥순", "재훈", "미영")
DISTRICTS = (("buk-gu", 0.86), ("dong-gu", 0.04), ("seo-gu", 0.04), ("nam-gu", 0.03), ("gwangsan-gu", 0.03))
COUNSELLORS = tuple(f"상담사 {s}{g}" for s, g in (("김", "하늘"), ("이", "보람"), ("박", "소연"), ("최", "우진"),
                                                   ("정", "다은"), ("강", "민호")))
CRISES = ("eviction-risk", "utilities-cut", "food-insecurity", "medical-emergency", "homelessness")
WITHDRAW_SHARE = 0.015

# The walk of a referral: from a state, (target, actor, weight, median days until it happens).
# Checked against the shipped transition table when the module loads.
WALK: dict[str, tuple[tuple[str, str, float, float], ...]] = {
    "requested": (("accepted", "agency", 75, 2.0), ("rejected", "agency", 13, 3.0), ("cancelled", "hub", 4, 7.0),
                  ("entered-in-error", "hub", 0.5, 1.0)),
    "accepted": (("in-progress", "agency", 60, 3.0), ("completed", "agency", 15, 10.0),
                 ("on-hold", "agency", 8, 5.0), ("failed", "agency", 7, 14.0), ("cancelled", "hub", 3, 10.0)),
    "in-progress": (("completed", "agency", 65, 25.0), ("failed", "agency", 15, 30.0), ("on-hold", "agency", 10, 15.0),
                    ("cancelled", "hub", 3, 20.0)),
    "on-hold": (("in-progress", "agency", 60, 10.0), ("completed", "agency", 10, 20.0), ("failed", "agency", 20, 20.0),
                ("cancelled", "hub", 10, 15.0)),
}
DELAY_SIGMA = 0.8
# Reasons a seeded move gives, by target (a subset of the table's accepted ones; consent-withdrawn
# only comes from a withdrawal).
REASONS = {
    "rejected": ("not-eligible", "no-capacity", "out-of-area", "could-not-contact", "duplicate"),
    "cancelled": ("no-longer-interested", "referred-elsewhere", "got-help", "duplicate"),
    "on-hold": ("could-not-contact", "awaiting-documents", "resident-request", "no-capacity"),
    "failed": ("could-not-contact", "not-eligible", "no-longer-interested", "no-capacity"),
}


def _check_walk() -> None:
    t = referral_states.table()
    for src, moves in WALK.items():
        for dst, actor, _w, _d in moves:
            referral_states.check_transition(src, dst, actor=actor, reason=REASONS.get(dst, (None,))[0],
                                             outcome=_outcome_check(dst, t), amount_krw=1 if dst == "completed" else None)
    for target, codes in REASONS.items():
        assert set(codes) <= set(t.reasons[target]), (target, codes)


def _outcome_check(dst: str, t: referral_states.TransitionTable) -> str | None:
    return next(iter(t.completion_outcomes)) if dst == t.completion_state else None


_check_walk()


@dataclass
class SeedSummary:
    referrals: int
    residents: int
    cases: int
    consents: int
    events: int
    withdrawn: int
    by_status: dict[str, int]
    by_agency: dict[str, int]
    start: datetime
    end: datetime
    seconds: float
    referral_ids: list[str] = field(default_factory=list, repr=False)  # only when asked (tests)

    def describe(self) -> str:
        rate = self.referrals / self.seconds if self.seconds else 0.0
        top = ", ".join(f"{k} {v:,}" for k, v in Counter(self.by_status).most_common())
        return (f"seeded {self.referrals:,} referrals for {self.residents:,} residents ({self.cases:,} cases, "
                f"{self.consents:,} consents, {self.withdrawn:,} withdrawn, {self.events:,} status events) from "
                f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d} in {self.seconds:.1f} s ({rate:,.0f} referrals/s); "
                f"by status: {top}")


def _ulid(prefix: str, at: datetime, rng: random.Random) -> str:
    value = (int(at.timestamp() * 1000) << 80) | rng.getrandbits(80)
    out = [""] * 26
    for k in range(25, -1, -1):
        out[k] = _CROCKFORD[value & 31]
        value >>= 5
    return f"{prefix}_{''.join(out)}"


def _pick(rng: random.Random, pairs) -> Any:
    r, acc = rng.random() * sum(w for _, w in pairs), 0.0
    for value, w in pairs:
        acc += w
        if r < acc:
            return value
    return pairs[-1][0]


def _outcome(service_key: str, max_amount: int | None, rng: random.Random) -> tuple[str, int | None]:
    """A completion outcome that fits the service (loans carry an amount)."""
    if "loan" in service_key:
        top = max_amount or 15_000_000
        return "loan-granted", max(500_000, round(rng.uniform(0.2, 1.0) * top / 100_000) * 100_000)
    if "debt" in service_key or "delinquent" in service_key:
        return "debt-adjusted", None
    if "training" in service_key:
        return "training-enrolled", None
    if "counselling" in service_key:
        return ("counselling-provided" if rng.random() < 0.7 else "job-placed"), None
    if any(k in service_key for k in ("job", "placement", "career", "employment-support", "restart")):
        return ("job-placed" if rng.random() < 0.75 else "training-enrolled"), None
    if any(k in service_key for k in ("benefit", "welfare", "livelihood", "caregiver", "national-employment")):
        return "benefit-granted", None
    if "finance-link" in service_key:
        return "counselling-provided", None
    return "got-help", None


class _World:
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


def _assessment(rng: random.Random, age: int, gender: str) -> tuple[dict[str, Any], list[str]]:
    """An assessment as `Assessment.facts()` stores it, plus crisis flags."""
    household = _pick(rng, ((1, 45), (2, 25), (3, 15), (4, 10), (5, 5)))
    if age >= 65:
        employment = _pick(rng, (("not-in-labour-force", 55), ("unemployed", 30), ("employed", 10), ("self-employed", 5)))
    else:
        employment = _pick(rng, (("unemployed", 48), ("employed", 24), ("self-employed", 12), ("not-in-labour-force", 16)))
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
class _Profile:
    age: int
    gender: str
    district: str
    assessment: dict[str, Any]  # as stored in case.assessment (with crisis_flags)
    groups: list[str]
    score: int
    flags: list[str]
    urgent_flags: list[str]
    services: list[str]  # the keys of the services the rules find the resident eligible for


def _profile(world: _World, rng: random.Random) -> _Profile:
    """One resident's situation, with what `flows.cases.create` and the recommendations derive from it."""
    age = min(88, max(19, int(rng.gauss(52, 13))))
    gender = "female" if rng.random() < 0.52 else "male"
    district = _pick(rng, DISTRICTS)
    assessment, crisis = _assessment(rng, age, gender)
    facts = eligibility.derive_facts(world.ruleset, {**assessment, "age": age, "gender": gender,
                                                     "address_district": district})
    scored = vulnerability.score(facts, vmodel=world.vmodel, ruleset=world.ruleset)
    recs = eligibility.evaluate(world.ruleset, facts)
    eligible = [r.service_key for r in recs if r.status == "eligible" and r.service_key in world.services]
    maybe = [r.service_key for r in recs if r.status == "maybe" and r.service_key in world.services]
    return _Profile(age, gender, district, {**assessment, "crisis_flags": crisis}, groups_of(facts), scored.score,
                    scored.flags, scored.urgent_flags + [f"crisis:{c}" for c in crisis], eligible or maybe[:2])


def _walk(rng: random.Random, t0: datetime, until: datetime) -> list[tuple[str, str, datetime]]:
    """The status changes after `requested` at t0 that happen before `until`: [(to, actor, at)]."""
    state, at, out = "requested", t0, []
    while state in WALK:
        moves = WALK[state]
        to, actor, _w, median = _pick(rng, [(m, m[2]) for m in moves])
        at = at + timedelta(days=median * math.exp(rng.gauss(0, DELAY_SIGMA)))
        if at >= until:
            break
        out.append((to, actor, at))
        state = to
    return out


def seed_referrals(bind: Engine | Connection, n: int, *, secret: str, rng: random.Random | None = None,
                   months: float = 18.0, now: datetime | None = None, batch: int = 5_000,
                   keep_ids: bool = False, progress=None) -> SeedSummary:
    """Insert about `n` referrals (exactly n) with their residents, cases, consents and history.

    With an Engine, each batch is committed on its own; with a Connection, the caller's transaction
    holds everything.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    started = time.perf_counter()
    rng = rng or random.Random(1)
    id_rng = random.Random(os.urandom(16))  # ids stay unique when the same seed runs twice on one database
    now = (now or datetime.now(UTC)).astimezone(UTC)
    world = _World(now, months, secret)
    t = world.table
    policy = world.policy
    tables = (Resident.__table__, Case.__table__, Consent.__table__, Referral.__table__, ReferralEvent.__table__)
    rows: dict[str, list[dict[str, Any]]] = {tb.name: [] for tb in tables}
    counts = Counter()
    by_status: Counter = Counter()
    by_agency: Counter = Counter()
    ids: list[str] = []
    own = isinstance(bind, Engine)

    def flush() -> None:
        if not rows["referral"] and not rows["resident"]:
            return
        if own:
            with bind.begin() as conn:
                for tb in tables:
                    _write(conn, tb, rows[tb.name])
        else:
            for tb in tables:
                _write(bind, tb, rows[tb.name])
        for tb in tables:
            counts[tb.name] += len(rows[tb.name])
            rows[tb.name] = []
        if progress:
            progress(counts["referral"], n)

    # Assessments come from a pool of profiles, each judged once by the service's own rules:
    # evaluating 18 services with reasons costs ~0.5 ms, more than writing all of a case's rows.
    profiles = [_profile(world, rng) for _ in range(min(1_000, n // 2 + 1))]
    made = 0
    while made < n:
        # ---- resident
        created = world.office_time(rng)
        local_day = (created + timedelta(hours=9)).date()
        prof = profiles[rng.randrange(len(profiles))]
        age, gender, district = prof.age, prof.gender, prof.district
        # Born within the year up to `age` years before the case day: `age` completed years (만 나이) then.
        leap_day = (local_day.month, local_day.day) == (2, 29)
        born = (date(local_day.year - age, local_day.month, 28 if leap_day else local_day.day)
                - timedelta(days=rng.randrange(365)))
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        rid = _ulid("res", created, id_rng)
        rows["resident"].append({
            "id": rid, "name": name, "name_key": name_key(name), "birth_date": born,
            "gender": gender if rng.random() < 0.97 else None,
            "phone": f"010-{rng.randrange(2000, 10000):04d}-{rng.randrange(10000):04d}",
            "address_district": district, "pseudonym": pseudonym(secret, rid), "created_by": HUB,
            "created_at": created})
        # ---- case
        case_at = created + timedelta(minutes=rng.uniform(2, 15))
        cid = _ulid("case", case_at, id_rng)
        case = {"id": cid, "resident_id": rid, "assessment": prof.assessment, "age": age,
                "employment_status": prof.assessment["employment_status"],
                "debt_total_krw": prof.assessment["debt_total_krw"],
                "annual_income_krw": prof.assessment["annual_income_krw"], "groups": prof.groups,
                "vulnerability_score": prof.score, "flags": prof.flags, "urgent_flags": prof.urgent_flags,
                "urgent_flag_count": len(prof.urgent_flags), "status": "open", "created_by": HUB,
                "created_at": case_at}
        rows["case"].append(case)
        # ---- which services: among those the rules find the resident eligible for (1–4; none: no referral)
        want = min(len(prof.services), _pick(rng, ((1, 30), (2, 35), (3, 22), (4, 13))), n - made)
        chosen = rng.sample(prof.services, want) if want else []
        # ---- consent per agency, then the referrals
        last_change = case_at
        all_final = True
        consents: dict[str, dict[str, Any]] = {}
        at = case_at + timedelta(minutes=rng.uniform(5, 20))
        for key in chosen:
            svc = world.services[key]
            agency = svc.agency
            con = consents.get(agency)
            if con is None:
                needed = {c for k in chosen if world.services[k].agency == agency
                          for c in world.services[k].data_categories}
                sensitive_ok = rng.random() < 0.7
                cats = tuple(c for c in ("identity", "contact", "finance", "employment", "welfare", "health")
                             if c in needed and (not policy.categories[c].sensitive or sensitive_ok))
                language = "ko" if rng.random() < 0.9 else "en"
                notice = world.notice(agency, cats, language)
                purpose = policy.agencies[agency]
                taken = at + timedelta(minutes=rng.uniform(1, 5))
                withdrawn = None
                if rng.random() < WITHDRAW_SHARE:
                    withdrawn = taken + timedelta(days=rng.uniform(3, 120))
                    if withdrawn >= now:
                        withdrawn = None
                    else:
                        counts["withdrawn"] += 1
                con = {"id": _ulid("con", taken, id_rng), "resident_id": rid, "agency": agency,
                       "categories": [c for c in cats if not policy.categories[c].sensitive],
                       "sensitive_categories": [c for c in cats if policy.categories[c].sensitive],
                       "sensitive_consent": any(policy.categories[c].sensitive for c in cats),
                       "purpose": purpose.purpose_ko if language == "ko" else purpose.purpose_en,
                       "retention": purpose.retention_ko if language == "ko" else purpose.retention_en,
                       "notice_recipient": notice["recipient"], "notice_purpose": notice["purpose"],
                       "notice_items": notice["items"], "notice_retention": notice["retention"],
                       "notice_refusal": notice["refusal"], "language": language, "policy_version": policy.version,
                       "taken_by": rng.choice(COUNSELLORS), "taken_at": taken, "superseded_at": None,
                       "withdrawn_at": withdrawn, "withdrawn_by": rng.choice(COUNSELLORS) if withdrawn else None}
                consents[agency] = con
                rows["consent"].append(con)
                at = taken
            sent = max(at, con["taken_at"]) + timedelta(minutes=rng.uniform(1, 4))
            at = sent
            ref_id = _ulid("ref", sent, id_rng)
            withdrawn = con["withdrawn_at"]
            moves = _walk(rng, sent, min(now, withdrawn) if withdrawn else now)
            events = [(None, "requested", HUB, None, None, None, sent)]
            status, reason, outcome, amount, accepted_at, completed_at = "requested", None, None, None, None, None
            for to, actor, when in moves:
                reason = rng.choice(REASONS[to]) if to in t.reasons else None
                if to == t.completion_state:
                    outcome, amount = _outcome(key, world.max_amount.get(key), rng)
                if to == "accepted" and accepted_at is None:
                    accepted_at = when
                if to == t.completion_state:
                    completed_at = when
                events.append((status, to, HUB if actor == "hub" else agency, reason,
                               outcome if to == t.completion_state else None,
                               amount if to == t.completion_state else None, when))
                status = to
            revoked = False
            if withdrawn and status != "completed":  # as flows.consents.withdraw: revoke, cancel if still open
                revoked = True
                if "cancelled" in referral_states.allowed_from(status, "hub", t=t):
                    reason = "consent-withdrawn"
                    events.append((status, "cancelled", HUB, reason, None, None, withdrawn))
                    status = "cancelled"
            version = len(events)
            changed = events[-1][6]
            rows["referral"].append({
                "id": ref_id, "case_id": cid, "resident_id": rid, "agency": agency, "service_key": key,
                "service_id": svc.id, "consent_id": con["id"], "status": status, "version": version,
                "reason": reason, "outcome": outcome if status == t.completion_state else None,
                "amount_krw": amount if status == t.completion_state else None, "note": None,
                "agenda_item_id": None, "created_by": HUB, "created_at": sent, "status_changed_at": changed,
                "sent_at": sent, "accepted_at": accepted_at, "completed_at": completed_at,
                "access_revoked": revoked})
            for v, (frm, to, party, rsn, out, amt, when) in enumerate(events, start=1):
                rows["referral_event"].append({
                    "referral_id": ref_id, "party": party, "via": "key", "from_status": frm, "to_status": to,
                    "reason": rsn, "outcome": out, "amount_krw": amt, "note": None, "version": v, "at": when})
            if keep_ids:
                ids.append(ref_id)
            by_status[status] += 1
            by_agency[agency] += 1
            last_change = max(last_change, changed)
            all_final = all_final and status in t.terminal
            made += 1
        if all_final and now - last_change > timedelta(days=30 if chosen else 60):
            case["status"] = "closed"
        if len(rows["referral"]) >= batch or len(rows["resident"]) >= batch:
            flush()
    flush()
    return SeedSummary(referrals=counts["referral"], residents=counts["resident"], cases=counts["case"],
                       consents=counts["consent"], events=counts["referral_event"],
                       withdrawn=counts["withdrawn"], by_status=dict(by_status),
                       by_agency=dict(by_agency), start=world.start, end=now, seconds=time.perf_counter() - started,
                       referral_ids=ids)


# --------------------------------------------------------------------------- writing

_JSON_COLUMNS = {"assessment", "groups", "flags", "urgent_flags", "categories", "sensitive_categories"}
_SQLITE_CONVERT = {
    "UTCDateTime": lambda v: v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
    "Date": date.isoformat,
    "Boolean": int,
    "JSON": json.dumps,  # shared.db.JSONType on SQLite (json.dumps, as SQLAlchemy's JSON writes it)
}


def _write(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        columns = list(rows[0])
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({", ".join(columns)}) FROM STDIN') as copy:
            for r in rows:
                copy.write_row([json.dumps(r[c], ensure_ascii=False) if c in _JSON_COLUMNS else r[c]
                                for c in columns])
        return
    if conn.dialect.name == "sqlite":
        # The driver's executemany with values as SQLAlchemy's types store them on SQLite (UTC text
        # times, ISO dates, 0/1 booleans, JSON text): its per-value bind processing is most of the cost.
        columns = list(rows[0])
        convert = [_SQLITE_CONVERT.get(type(table.c[c].type).__name__) for c in columns]
        sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
        conn.exec_driver_sql(sql, [tuple(v if f is None or v is None else f(v) for f, v in
                                         zip(convert, r.values(), strict=True)) for r in rows])
        return
    conn.execute(insert(table), rows)  # other databases: SQLAlchemy's executemany


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """`cpa seed onestop --referrals 100000 [--months M] [--seed S] [--batch B] [--database-url URL]`."""
    parser = argparse.ArgumentParser(prog="cpa seed onestop", description=__doc__.split("\n")[0])
    parser.add_argument("--referrals", type=int, default=100_000, help="how many referrals (default 100000)")
    parser.add_argument("--months", type=float, default=18.0, help="length of the history (default 18 months)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--batch", type=int, default=5_000, help="referrals per committed batch")
    add_database_arguments(parser)
    args = parser.parse_args(argv)
    if args.referrals < 0 or args.months <= 0 or args.batch < 1:
        parser.error("--referrals must be >= 0, --months > 0 and --batch >= 1")

    from services.onestop.app import SPEC
    from services.onestop.config import Settings

    with migrated_platform(SPEC, Settings, args) as platform:
        t0 = time.perf_counter()

        def progress(done: int, total: int) -> None:
            if done == total or done // (10 * args.batch) != getattr(progress, "last", 0):
                progress.last = done // (10 * args.batch)
                print(f"  {done:,} / {total:,} referrals ({time.perf_counter() - t0:.1f} s)", flush=True)

        summary = seed_referrals(platform.db.engine, args.referrals, secret=platform.settings.secret_key.get_secret_value(),
                                 rng=random.Random(args.seed), months=args.months, batch=args.batch,
                                 progress=progress)
        print(summary.describe(), flush=True)
        t1 = time.perf_counter()
        with platform.db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        with platform.db.read_session() as s:
            total = s.execute(select(func.count()).select_from(Referral)).scalar_one()
        print(f"statistics refreshed ({time.perf_counter() - t1:.1f} s); {total:,} referrals stored in total; "
              "by agency: " + ", ".join(f"{k} {v:,}" for k, v in Counter(summary.by_agency).most_common()),
              flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
