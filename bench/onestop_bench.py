"""Onestop scenarios (7): recommendations in-process, and an agency's referral list with 100,000 stored."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date

import httpx

from bench.common import Ctx, Row, interleave, median, settle, wrk_errors
from bench.load import wrk
from bench.server import ROOT

AGENCY = "kamco"
ON = date(2025, 6, 1)  # the day ages are computed for: 52 for CASE_52
CASE_52 = {"birth_date": "1973-05-02", "household_size": 1, "annual_income_krw": 9_000_000,
           "debt_total_krw": 8_000_000, "months_overdue": 132, "credit_score": 520, "employment_status": "unemployed",
           "career_interrupted": False, "basic_livelihood": False, "near_poor": True, "caregiver": False,
           "marriage_immigrant": False, "disability_registered": False, "address_district": "buk-gu"}


def _recommendations(ctx: Ctx) -> Row:
    from services.onestop.domain import eligibility

    ruleset = eligibility.rules()
    n = 200 if ctx.quick else 2000
    eligibility.evaluate(ruleset, CASE_52, reference_date=ON)  # warm-up
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        eligibility.evaluate(ruleset, CASE_52, reference_date=ON)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return Row("7 onestop", f"recommendations for one case (in-process, n={n})", median(samples), "ms",
               p50_ms=median(samples), p99_ms=samples[int(0.99 * (len(samples) - 1))], target="≤ 2 ms median",
               note=f"{len(ruleset.rules)} services evaluated").judge(at_most=2.0)


def seed_referrals(ctx: Ctx, env: dict[str, str], n: int) -> str:
    """`cpa seed onestop --referrals N` on the scenario's database (a synthetic history; see its docstring)."""
    full_env = {**os.environ, **env}
    proc = subprocess.run([sys.executable, "-m", "tools.cli", "seed", "onestop", "--referrals", str(n)],
                          cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"cpa seed onestop failed ({proc.returncode}): {proc.stderr[-800:]}")
    return "cpa seed onestop"


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
