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
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection, Engine

from services.onestop.flows.common import HUB, name_key, pseudonym
from services.onestop.models import Case, Consent, Referral, ReferralEvent, Resident
from tools.seeding.common import (
    add_database_arguments,
    copy_rows,
    migrated_platform,
    pick,
    progress_printer,
    refresh_statistics,
    sqlite_datetime,
    ulid,
)
from tools.seeding.onestop_residents import GIVEN, SURNAMES, World, profile
from tools.seeding.onestop_walk import history


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
    world = World(now, months, secret)
    t = world.table
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
    profiles = [profile(world, rng) for _ in range(min(1_000, n // 2 + 1))]
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
        rid = f"res_{ulid(int(created.timestamp() * 1000), id_rng)}"
        rows["resident"].append({
            "id": rid, "name": name, "name_key": name_key(name), "birth_date": born,
            "gender": gender if rng.random() < 0.97 else None,
            "phone": f"010-{rng.randrange(2000, 10000):04d}-{rng.randrange(10000):04d}",
            "address_district": district, "pseudonym": pseudonym(secret, rid), "created_by": HUB,
            "created_at": created})
        # ---- case
        case_at = created + timedelta(minutes=rng.uniform(2, 15))
        cid = f"case_{ulid(int(case_at.timestamp() * 1000), id_rng)}"
        case = {"id": cid, "resident_id": rid, "assessment": prof.assessment, "age": age,
                "employment_status": prof.assessment["employment_status"],
                "debt_total_krw": prof.assessment["debt_total_krw"],
                "annual_income_krw": prof.assessment["annual_income_krw"], "groups": prof.groups,
                "vulnerability_score": prof.score, "flags": prof.flags, "urgent_flags": prof.urgent_flags,
                "urgent_flag_count": len(prof.urgent_flags), "status": "open", "created_by": HUB,
                "created_at": case_at}
        rows["case"].append(case)
        # ---- which services: among those the rules find the resident eligible for (1–4; none: no referral)
        want = min(len(prof.services), pick(rng, ((1, 30), (2, 35), (3, 22), (4, 13))), n - made)
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
                con = world.consent(rng, id_rng, resident_id=rid, agency=agency, chosen=chosen, at=at)
                if con["withdrawn_at"] is not None:
                    counts["withdrawn"] += 1
                consents[agency] = con
                rows["consent"].append(con)
                at = con["taken_at"]
            sent = max(at, con["taken_at"]) + timedelta(minutes=rng.uniform(1, 4))
            at = sent
            ref_id = f"ref_{ulid(int(sent.timestamp() * 1000), id_rng)}"
            h = history(rng, t, key=key, agency=agency, sent=sent, withdrawn=con["withdrawn_at"], now=now,
                        max_amount=world.max_amount.get(key))
            status, reason, events = h.status, h.reason, h.events
            version = len(events)
            changed = events[-1][6]
            rows["referral"].append({
                "id": ref_id, "case_id": cid, "resident_id": rid, "agency": agency, "service_key": key,
                "service_id": svc.id, "consent_id": con["id"], "status": status, "version": version,
                "reason": reason, "outcome": h.outcome if status == t.completion_state else None,
                "amount_krw": h.amount if status == t.completion_state else None, "note": None,
                "agenda_item_id": None, "created_by": HUB, "created_at": sent, "status_changed_at": changed,
                "sent_at": sent, "accepted_at": h.accepted_at, "completed_at": h.completed_at,
                "access_revoked": h.revoked})
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
    "UTCDateTime": sqlite_datetime,
    "Date": date.isoformat,
    "Boolean": int,
    "JSON": json.dumps,  # shared.db.JSONType on SQLite (json.dumps, as SQLAlchemy's JSON writes it)
}


def _write(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        columns = list(rows[0])
        copy_rows(conn, table.name, columns, ([json.dumps(r[c], ensure_ascii=False) if c in _JSON_COLUMNS else r[c]
                                               for c in columns] for r in rows))
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
        summary = seed_referrals(platform.db.engine, args.referrals, secret=platform.settings.secret_key.get_secret_value(),
                                 rng=random.Random(args.seed), months=args.months, batch=args.batch,
                                 progress=progress_printer("referrals", 10 * args.batch))
        print(summary.describe(), flush=True)
        total, seconds = refresh_statistics(platform, Referral.__table__, every_table=True)
        print(f"statistics refreshed ({seconds:.1f} s); {total:,} referrals stored in total; "
              "by agency: " + ", ".join(f"{k} {v:,}" for k, v in Counter(summary.by_agency).most_common()),
              flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
