"""`python -m bench [--pg] [--quick] [--only name,…] [--duration S]`: every scenario of issue 7 in one run.

Every figure is a ratio to a baseline measured in the same run (interleaved where it matters), because
the machine is small and shared. Prints the table and writes bench/results/latest.json.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time

from bench import report
from bench.common import Ctx, Row


def _scenarios() -> dict:
    from bench import handoff_bench, onestop_bench, peaks_bench, roadkill_bench

    return {
        "intake": roadkill_bench.scenario_intake,
        "history": roadkill_bench.scenario_history,
        "handoff": handoff_bench.scenario_handoff,
        "analytics": roadkill_bench.scenario_analytics,
        "peaks-verify": peaks_bench.scenario_verify,
        "peaks-upload": peaks_bench.scenario_upload,
        "peaks-open": peaks_bench.scenario_open_api,
        "onestop": onestop_bench.scenario_onestop,
        "scaleout": handoff_bench.scenario_scaleout,
    }


def _rss_rows(ctx: Ctx) -> list[Row]:
    """Target 8: peak RSS (VmHWM) of each service process under the loads above."""
    rows = []
    for svc, mb in sorted(ctx.state.get("rss", {}).items()):
        rows.append(Row("8 peak RSS", f"{svc} (max over its scenarios)", mb, "MB", rss_mb=mb,
                        target="≤ 250 MB").judge(at_most=250.0))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL (fresh schema per service, dropped after)")
    parser.add_argument("--quick", action="store_true", help="short durations and small seeds (smoke run)")
    parser.add_argument("--only", help="comma-separated scenarios: " + ", ".join(_scenarios()))
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 6, quick 2)")
    parser.add_argument("--incidents", type=int, help="size of the seeded roadkill history (default 1,000,000)")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk not found: `apt-get install wrk`", file=sys.stderr)
        return 2
    scenarios = _scenarios()
    names = list(scenarios)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in scenarios]
        if unknown:
            parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(scenarios)}")
    if "scaleout" in names and not args.pg:
        names.remove("scaleout")
    os.environ.setdefault("BENCH_QUIET", "1")
    started = time.time()
    info = report.machine(args.pg)
    ctx = Ctx(pg=args.pg, quick=args.quick, duration=args.duration)
    if args.incidents:
        ctx.state["incidents"] = args.incidents
    ctx.log(f"bench: {'PostgreSQL' if args.pg else 'SQLite'}, scenarios {', '.join(names)}, "
            f"{ctx.duration}s per load run; {info['cpu_model']} × {info['cores']}, load {info['load_avg_at_start']}")
    try:
        for name in names:
            ctx.run(name, scenarios[name])
        ctx.rows.extend(_rss_rows(ctx))
    finally:
        ctx.close()
    elapsed = time.time() - started
    print()
    print(report.table(ctx.rows))
    path = report.write(ctx.rows, info=info, args=vars(args), started=started, log=ctx.log_lines)
    missed = [r for r in ctx.rows if r.met is False]
    failed = [r for r in ctx.rows if r.metric == "scenario failed"]
    print(f"\n{len(ctx.rows)} rows, {len(missed)} target(s) missed, {len(failed)} scenario(s) failed; "
          f"{elapsed / 60:.1f} min; wrote {path.relative_to(report.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
