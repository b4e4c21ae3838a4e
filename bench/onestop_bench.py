"""Onestop scenarios (7): recommendations in-process, and an agency's referral list with 100,000 stored."""
from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import httpx

from bench.common import Ctx, Row, interleave, median, settle, wrk_errors
from bench.load import wrk
from bench.server import ROOT

AGENCY = "kamco"
CASE_52 = {"birth_date": "1973-05-02", "household_size": 1, "annual_income_krw": 9_000_000,
           "debt_total_krw": 8_000_000, "months_overdue": 132, "credit_score": 520, "employment_status": "unemployed",
           "career_interrupted": False, "basic_livelihood": False, "near_poor": True, "caregiver": False,
           "marriage_immigrant": False, "disability_registered": False, "address_district": "buk-gu"}


def _recommendations(ctx: Ctx) -> Row:
    from services.onestop import eligibility

    ruleset = eligibility.rules()
    n = 200 if ctx.quick else 2000
    eligibility.evaluate(ruleset, CASE_52)  # warm-up
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        eligibility.evaluate(ruleset, CASE_52)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return Row("7 onestop", f"recommendations for one case (in-process, n={n})", median(samples), "ms",
               p50_ms=median(samples), p99_ms=samples[int(0.99 * (len(samples) - 1))], target="≤ 2 ms median",
               note=f"{len(ruleset.rules)} services evaluated").judge(at_most=2.0)


def seed_referrals(ctx: Ctx, env: dict[str, str], n: int) -> str:
    """`cpa seed onestop --referrals N` when the service has it; else a bulk insert with its models."""
    full_env = {**os.environ, **env}
    if (ROOT / "services" / "onestop" / "seeding.py").exists():
        proc = subprocess.run([sys.executable, "-m", "services.cli", "seed", "onestop", "--referrals", str(n)],
                              cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            raise RuntimeError(f"cpa seed onestop failed ({proc.returncode}): {proc.stderr[-800:]}")
        return "cpa seed onestop"
    proc = subprocess.run([sys.executable, "-m", "bench.onestop_bench", str(n)], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"bench bulk insert failed ({proc.returncode}): {proc.stderr[-800:]}")
    return "bench bulk insert (no cpa seed onestop yet)"


def _bulk_insert(n: int) -> None:
    """Residents with one case each and four consented referrals to different agencies (n referrals)."""
    from sqlalchemy import insert

    from services.onestop import eligibility
    from services.onestop.app import SPEC
    from services.onestop.config import Settings
    from services.onestop.models import Case, Consent, Referral, Resident
    from shared import migrations
    from shared.ids import new_id
    from shared.platform import Platform

    platform = Platform(SPEC, Settings())
    migrations.upgrade(platform.db, SPEC.migrations_dir)
    services = [(r.service_key, r.service_id, r.agency) for r in eligibility.rules().rules]
    kamco = [s for s in services if s[2] == AGENCY]
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(days=730)
    per_resident = 4
    residents, cases, consents, referrals = [], [], [], []
    statuses = ["requested", "accepted", "in-progress", "completed", "rejected"]
    for i in range((n + per_resident - 1) // per_resident):
        at = start + timedelta(seconds=i * 600 + rng.randint(0, 500))
        rid, cid = new_id("res"), new_id("case")
        residents.append(dict(id=rid, name=f"주민{i}", name_key=f"주민{i}", birth_date=date(1950 + i % 50, 1 + i % 12, 1),
                              gender=None, phone=f"010-0000-{i % 10000:04d}", address_district="buk-gu",
                              pseudonym=f"p{i:015d}"[:16], created_by="bench", created_at=at))
        cases.append(dict(id=cid, resident_id=rid, assessment={}, age=40 + i % 40, employment_status="unemployed",
                          debt_total_krw=8_000_000, annual_income_krw=9_000_000, groups=[], vulnerability_score=i % 10,
                          flags=[], urgent_flags=[], urgent_flag_count=0, status="open", created_by="bench",
                          created_at=at))
        picks = rng.sample(services, per_resident - 1) + [rng.choice(kamco or services)]
        for key, sid, agency in picks:
            if len(referrals) >= n:
                break
            con = new_id("con")
            consents.append(dict(id=con, resident_id=rid, agency=agency, categories=["contact", "finance"],
                                 sensitive_categories=[], sensitive_consent=False, purpose="referral",
                                 retention="3 years", notice_recipient=agency, notice_purpose="referral",
                                 notice_items="contact, finance", notice_retention="3 years",
                                 notice_refusal="no referral", language="ko", policy_version="bench",
                                 taken_by="bench", taken_at=at, superseded_at=None, withdrawn_at=None,
                                 withdrawn_by=None))
            st = rng.choice(statuses)
            referrals.append(dict(id=new_id("ref"), case_id=cid, resident_id=rid, agency=agency, service_key=key,
                                  service_id=sid, consent_id=con, status=st, version=1,
                                  reason="no_capacity" if st == "rejected" else None, outcome=None, amount_krw=None,
                                  note=None, agenda_item_id=None, created_by="bench", created_at=at,
                                  status_changed_at=at, sent_at=at, accepted_at=None, completed_at=None,
                                  access_revoked=False))
    with platform.db.engine.begin() as conn:
        for model, rows in ((Resident, residents), (Case, cases), (Consent, consents), (Referral, referrals)):
            for j in range(0, len(rows), 10_000):
                conn.execute(insert(model.__table__), rows[j:j + 10_000])
        if not platform.db.is_sqlite:
            conn.exec_driver_sql("ANALYZE")
    platform.db.dispose()
    print(f"inserted {len(referrals)} referrals ({sum(r['agency'] == AGENCY for r in referrals)} for {AGENCY})")


def scenario_onestop(ctx: Ctx) -> list[Row]:
    rows = [_recommendations(ctx)]
    n = 10_000 if ctx.quick else 100_000
    db = ctx.database("os_ref")
    env = ctx.service_env("onestop", "os_ref", port=0, db=db)
    t0 = time.monotonic()
    how = seed_referrals(ctx, env, n)
    ctx.log(f"seeded {n:,} referrals in {time.monotonic() - t0:.0f}s ({how})")
    base = ctx.baseline()
    path = "/v1/agency/referrals"
    with ctx.server("onestop", "os_ref", db=db) as svc:
        r = httpx.get(svc.url + path, headers={"Authorization": f"Bearer demo-{AGENCY}"}, timeout=30)
        if r.status_code != 200:
            raise RuntimeError(f"GET {path} answered {r.status_code}: {r.text[:300]}")
        items = len(r.json()["items"])

        def get(srv, p, auth=None):
            return wrk(srv.url, script="get.lua", duration_s=ctx.duration, connections=16,
                       env={"BENCH_PATHS": p, "BENCH_AUTH": auth or "", "BENCH_HEADER": ""})

        wrk(svc.url, script="get.lua", duration_s=1, connections=16,
            env={"BENCH_PATHS": path, "BENCH_AUTH": f"demo-{AGENCY}", "BENCH_HEADER": ""})
        settle(svc)
        b_runs, s_runs = interleave(1 if ctx.quick else 2, lambda: get(base, "/item"),
                                    lambda: get(svc, path, f"demo-{AGENCY}"), quiet=(base, svc))
        rss = svc.rss_mb()
    ctx.note_rss("onestop", rss)
    rows.append(Row("7 onestop", f"agency referral list ({items} items/page, {n:,} stored)",
                    median([r["rps"] for r in s_runs]), "req/s", p50_ms=median([r["p50_ms"] for r in s_runs]),
                    p99_ms=median([r["p99_ms"] for r in s_runs]), rss_mb=rss,
                    baseline=median([r["rps"] for r in b_runs]), target="≥ 0.5× baseline GET",
                    errors=sum(wrk_errors(r) for r in s_runs), note=how,
                    detail={"service": s_runs, "baseline": b_runs}).judge(at_least=0.5))
    return rows


if __name__ == "__main__":
    _bulk_insert(int(sys.argv[1]))
