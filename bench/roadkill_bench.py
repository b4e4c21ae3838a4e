"""Roadkill scenarios: intake throughput and latency (1), intake with a big history (2), analytics (4)."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time

import httpx

from bench.common import Ctx, Row, interleave, median, settle, wrk_errors
from bench.load import build_request, fixed_rate, wrk
from bench.reports import bodies
from bench.server import ROOT, Server

PATH = "/v1/voice-reports"
TMAP = "demo-tmap"
CONNS = 16


def _post(srv: Server, path: str, body_list: list[str], d: int, auth: str | None = None) -> dict:
    return wrk(srv.url + path, script="json_post.lua", duration_s=d, connections=CONNS,
               env={"BENCH_AUTH": auth or ""}, bodies=body_list)


def _raw_requests(srv: Server, path: str, body_list: list[str], auth: str | None) -> list[bytes]:
    host = srv.url.split("//", 1)[1]
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = f"Bearer {auth}"
    return [build_request("POST", path, host, b.encode(), headers) for b in body_list]


def _check_intake(srv: Server, body: str) -> None:
    r = httpx.post(srv.url + PATH, content=body.encode(), timeout=30,
                   headers={"Authorization": f"Bearer {TMAP}", "Content-Type": "application/json"})
    if r.status_code != 201:
        raise RuntimeError(f"intake answered {r.status_code}: {r.text[:300]}")


def _intake_rounds(ctx: Ctx, servers: list[tuple[Server, str, str | None]], body_list: list[str],
                   rounds: int) -> list[list[dict]]:
    measures = [lambda s=s, p=p, a=a: _post(s, p, body_list, ctx.duration, a) for s, p, a in servers]
    for s, p, a in servers:  # warm-up: imports, caches, connection pools
        _post(s, p, body_list, 1, a)
    return interleave(rounds, *measures, quiet=tuple(s for s, _p, _a in servers))


def scenario_intake(ctx: Ctx) -> list[Row]:
    """Target 1: intake throughput ≥ 0.5 × baseline POST; p99 at half the baseline's max rate ≤ 3 ×."""
    body_list = bodies(400 if ctx.quick else 4000, seed=1)
    base = ctx.baseline()
    with ctx.server("roadkill", "rk_intake") as svc:
        _check_intake(svc, body_list[0])
        rounds = 1 if ctx.quick else 2
        b_runs, s_runs = _intake_rounds(ctx, [(base, "/echo", None), (svc, PATH, TMAP)], body_list, rounds)
        b_rps, s_rps = median([r["rps"] for r in b_runs]), median([r["rps"] for r in s_runs])
        ctx.state["intake_empty_rps"] = s_rps
        rows = [Row("1 roadkill intake", "throughput (wrk, c=16)", s_rps, "req/s",
                    p50_ms=median([r["p50_ms"] for r in s_runs]), p99_ms=median([r["p99_ms"] for r in s_runs]),
                    baseline=b_rps, target="≥ 0.5×", errors=sum(wrk_errors(r) for r in s_runs),
                    detail={"service": s_runs, "baseline": b_runs}).judge(at_least=0.5)]
        # Latency at a fixed rate: half of the baseline's maximum (open loop, from the scheduled time).
        rate = max(10.0, b_rps / 2)
        fr_d = 3 if ctx.quick else 6
        b_fr = fixed_rate(base.url, requests=_raw_requests(base, "/echo", body_list, None), rate=rate, duration_s=fr_d)
        settle(base, svc)
        s_d = fr_d if s_rps >= rate else max(2, fr_d // 2)  # overload: keep the backlog bounded
        s_fr = fixed_rate(svc.url, requests=_raw_requests(svc, PATH, body_list, TMAP), rate=rate, duration_s=s_d)
        note = "" if s_rps >= rate else f"offered {rate:.0f}/s > service max {s_rps:.0f}/s: queue grows, p99 unbounded"
        s_err = s_fr["errors"] + sum(v for k, v in s_fr["statuses"].items() if int(k) >= 400)
        rows.append(Row("1 roadkill intake", f"p99 at {rate:.0f}/s (½ baseline max)", s_fr["p99_ms"], "ms",
                        p50_ms=s_fr["p50_ms"], p99_ms=s_fr["p99_ms"], rss_mb=svc.rss_mb(), baseline=b_fr["p99_ms"],
                        target="≤ 3×", errors=s_err, note=note,
                        detail={"service": s_fr, "baseline": b_fr}).judge(at_most=3.0))
        rows[0].rss_mb = svc.rss_mb()
        ctx.note_rss("roadkill", svc.rss_mb())
    return rows


# -- target 2: a million incidents stored ---------------------------------------------------------

def seeded_database(ctx: Ctx) -> tuple[dict[str, str], int]:
    """Seeds the big history once per run (reused by targets 2 and 4) with `cpa seed roadkill`."""
    if "rk_big" in ctx.state:
        return ctx.state["rk_big"]
    wanted = int(ctx.state.get("incidents", 20_000 if ctx.quick else 1_000_000))
    db = ctx.database("rk_big")
    env = {**ctx.service_env("roadkill", "rk_big", port=0, db=db)}
    t0 = time.monotonic()
    cmd = [sys.executable, "-m", "tools.cli", "seed", "roadkill", "--incidents", str(wanted)]
    ctx.log(f"seeding {wanted:,} incidents: {' '.join(cmd[2:])}")
    proc = subprocess.run(cmd, cwd=ROOT, env={**dict(os.environ), **env}, capture_output=True, text=True,
                          timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"cpa seed roadkill failed ({proc.returncode}): {proc.stderr[-800:]}")
    took = time.monotonic() - t0
    ctx.log(f"seeded {wanted:,} incidents in {took:.0f}s")
    ctx.state["rk_big"] = (db, wanted)
    ctx.state["seed_seconds"] = took
    return db, wanted


def scenario_history(ctx: Ctx) -> list[Row]:
    """Target 2: intake with the big history stored ≥ 0.9 × intake on an empty database (interleaved)."""
    db, n = seeded_database(ctx)
    body_list = bodies(400 if ctx.quick else 4000, seed=2)
    with ctx.server("roadkill", "rk_empty2") as empty, ctx.server("roadkill", "rk_big", db=db) as big:
        _check_intake(big, body_list[0])
        rounds = 1 if ctx.quick else 2
        e_runs, b_runs = _intake_rounds(ctx, [(empty, PATH, TMAP), (big, PATH, TMAP)], body_list, rounds)
        e_rps, b_rps = median([r["rps"] for r in e_runs]), median([r["rps"] for r in b_runs])
        rss = big.rss_mb()
        ctx.note_rss("roadkill", rss, empty.rss_mb())
    return [Row("2 intake with history", f"throughput, {n:,} incidents stored", b_rps, "req/s",
                p50_ms=median([r["p50_ms"] for r in b_runs]), p99_ms=median([r["p99_ms"] for r in b_runs]),
                rss_mb=rss, baseline=e_rps, target="≥ 0.9× (vs empty DB)", errors=sum(wrk_errors(r) for r in b_runs),
                note="" if n >= 1_000_000 else f"history of {n:,} (not 1M)",
                detail={"history": b_runs, "empty": e_runs}).judge(at_least=0.9)]


# -- target 4: analytics over the big history ------------------------------------------------------

def scenario_analytics(ctx: Ctx) -> list[Row]:
    """Target 4: summary and Malo hotspots ≤ 3 × a plain GROUP BY (bench/roadkill_analytics.py)."""
    script = ROOT / "bench" / "roadkill_analytics.py"
    if not script.exists():
        raise RuntimeError("bench/roadkill_analytics.py not written yet (owned by the roadkill engineer)")
    db, n = seeded_database(ctx)
    env = {**dict(os.environ), **ctx.service_env("roadkill", "rk_big", port=0, db=db)}
    rounds = "2" if ctx.quick else "3"
    proc = subprocess.run([sys.executable, str(script), "--json", "--rounds", rounds], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"roadkill_analytics.py failed ({proc.returncode}): {proc.stderr[-800:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return analytics_rows(data, n)


def analytics_rows(data: dict, n: int) -> list[Row]:
    """Accepts {"group_by_ms": x, "summary_ms": y, "hotspots_ms": z, ...} (medians of repeated runs)."""
    base = data.get("group_by_ms") or data.get("baseline_ms")
    rows = []
    for key, label in (("summary_ms", "summary"), ("hotspots_ms", "Malo hotspots")):
        v = data.get(key)
        rows.append(Row("4 roadkill analytics", f"{label}, {n:,} incidents", v, "ms", baseline=base,
                        target="≤ 3× GROUP BY", note="" if v is not None and not math.isnan(v) else "no figure",
                        detail=data).judge(at_most=3.0))
    return rows
