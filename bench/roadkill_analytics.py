"""Roadkill analytics vs a plain GROUP BY over the same rows (issue 7, target 4: each ≤ 3×).

    python bench/roadkill_analytics.py                    # seed 1,000,000 incidents into a temp SQLite file
    python bench/roadkill_analytics.py --incidents 100000 # fewer
    python bench/roadkill_analytics.py --pg               # a temp schema in TEST_PG_URL's database
    DATABASE_URL=… [DB_SCHEMA=…] python bench/roadkill_analytics.py --json   # an already seeded database

With DATABASE_URL set (or --database-url) and incidents already stored, nothing is seeded: the benchmark
harness seeds once with `cpa seed roadkill` and passes that database. Each query runs once to warm the
cache, then `--rounds` times interleaved (GROUP BY, summary, hotspots, …); medians are reported. The
queries run in-process through the same functions the API calls (analytics.summary / analytics.malo).
With --json the last line is {"group_by_ms", "summary_ms", "hotspots_ms", …}.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from services.roadkill.app import SPEC  # noqa: E402
from services.roadkill.config import Settings  # noqa: E402
from services.roadkill.flows import analytics  # noqa: E402
from services.roadkill.models import incident  # noqa: E402
from shared import migrations  # noqa: E402
from shared.platform import Platform  # noqa: E402
from tools.seeding import roadkill as seeding  # noqa: E402

BASELINE_SQL = "SELECT species, count(*) FROM incident GROUP BY species"
PG_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--incidents", type=int, default=None, help="incidents to seed (default 1,000,000)")
    p.add_argument("--pg", action="store_true", help="PostgreSQL (a temp schema) instead of a temp SQLite file")
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                   help="use this database (default: $DATABASE_URL; seeded only if it has no incidents)")
    p.add_argument("--db-schema", default=os.environ.get("DB_SCHEMA"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    args = p.parse_args(argv)
    log = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else (lambda *a: print(*a, flush=True))

    tmp: Path | None = None
    drop_schema: str | None = None
    overrides: dict[str, str] = {}
    if args.database_url:
        overrides["database_url"] = args.database_url
        if args.db_schema:
            overrides["db_schema"] = args.db_schema
    elif args.pg:
        drop_schema = f"bench_{int(time.time()):x}_{uuid.uuid4().hex[:6]}_analytics"
        overrides = {"database_url": PG_URL, "db_schema": drop_schema}
    else:
        tmp = Path(tempfile.mkdtemp(prefix="rk-analytics-"))
        overrides["database_url"] = f"sqlite:///{tmp}/roadkill.db"
    platform = Platform(SPEC, Settings(**overrides, log_level="WARNING"))
    try:
        migrations.upgrade(platform.db, SPEC.migrations_dir)
        with platform.db.read_session() as s:
            stored = s.execute(select(func.count()).select_from(incident)).scalar_one()
        wanted = args.incidents if args.incidents is not None else (0 if stored else 1_000_000)
        if wanted:
            log(f"seeding {wanted:,} incidents…")
            summary = seeding.seed_history(platform.db.engine, wanted, rng=random.Random(1))
            log(summary.describe())
            with platform.db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE incident")
            stored += wanted
        if not platform.db.is_sqlite:
            with platform.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE incident")  # what autovacuum does after a bulk load
        def group_by() -> list:
            # The baseline opens its own read transaction per call, as the flows (and the API) do.
            with platform.db.read_session() as s:
                return s.execute(text(BASELINE_SQL)).all()

        queries = {
            "group_by": group_by,
            "summary": lambda: analytics.summary(platform),
            "hotspots": lambda: analytics.malo(platform, segment_m=500.0),
        }
        for fn in queries.values():  # warm the page cache and the statement cache
            fn()
        times: dict[str, list[float]] = {k: [] for k in queries}
        for _ in range(max(1, args.rounds)):
            for name, fn in queries.items():
                times[name].append(_timed(fn))
        med = {k: statistics.median(v) for k, v in times.items()}
        base = med["group_by"]
        backend = "sqlite" if platform.db.is_sqlite else "postgresql"
        log(f"{stored:,} incidents on {backend}, median of {args.rounds} interleaved rounds:")
        log(f"  plain GROUP BY species  {base:9.1f} ms")
        for name in ("summary", "hotspots"):
            log(f"  {name:22s} {med[name]:9.1f} ms   {med[name] / base:5.2f} × GROUP BY  (target ≤ 3×)")
        if args.json:
            print(json.dumps({"incidents": stored, "backend": backend, "rounds": args.rounds,
                              "group_by_ms": round(base, 2), "summary_ms": round(med["summary"], 2),
                              "hotspots_ms": round(med["hotspots"], 2),
                              "summary_ratio": round(med["summary"] / base, 3),
                              "hotspots_ratio": round(med["hotspots"] / base, 3),
                              "runs_ms": {k: [round(x, 2) for x in v] for k, v in times.items()}}), flush=True)
    finally:
        platform.db.dispose()
        if drop_schema:
            from sqlalchemy import create_engine

            engine = create_engine(PG_URL)
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{drop_schema}" CASCADE'))
            engine.dispose()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
