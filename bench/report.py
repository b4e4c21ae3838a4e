"""The printed table, the machine description and bench/results/latest.json."""
from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import subprocess
import time
from pathlib import Path

from bench.common import PG_URL, Row
from bench.server import ROOT

RESULTS = ROOT / "bench" / "results"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _pg_version() -> str | None:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                return conn.execute(text("SHOW server_version")).scalar()
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001 - PostgreSQL is optional
        return None


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def machine(pg: bool) -> dict:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()
    return {"cpu_model": _cpu_model(), "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "load_avg_at_start": os.getloadavg(), "kernel": platform.release(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "postgresql": _pg_version() if pg else None,
            "wrk": wrk_v[0] if wrk_v else None, "git_commit": _git("rev-parse", "HEAD"),
            "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no"))}


def _fmt(x: float | None, unit: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if abs(x) >= 100:
        s = f"{x:,.0f}"
    elif abs(x) >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.2f}"
    return s + (f" {unit}" if unit else "")


COLUMNS = ("scenario", "metric", "value", "p50 ms", "p99 ms", "peak RSS MB", "baseline", "RATIO", "target", "met?",
           "errors", "note")


def table(rows: list[Row]) -> str:
    lines = []
    for r in rows:
        met = "-" if r.met is None else ("yes" if r.met else "NO")
        lines.append((r.scenario, r.metric, _fmt(r.value, r.unit), _fmt(r.p50_ms), _fmt(r.p99_ms), _fmt(r.rss_mb),
                      _fmt(r.baseline), _fmt(r.ratio) + ("×" if r.ratio is not None else ""), r.target, met,
                      "-" if r.errors is None else str(r.errors), r.note))
    widths = [max(len(str(c)) for c in col) for col in zip(COLUMNS, *lines, strict=False)]
    widths[-1] = min(widths[-1], 70)
    out = [" | ".join(str(c).ljust(w) for c, w in zip(COLUMNS, widths, strict=False)),
           "-+-".join("-" * w for w in widths)]
    out += [" | ".join(str(c)[:w].ljust(w) for c, w in zip(line, widths, strict=False)) for line in lines]
    return "\n".join(out)


def write(rows: list[Row], *, info: dict, args: dict, started: float, log: list[str]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {"started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
           "elapsed_s": round(time.time() - started, 1), "args": args, "machine": info,
           "rows": [r.as_json() for r in rows], "log": log}
    path = RESULTS / "latest.json"
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path
