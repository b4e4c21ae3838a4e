"""What every scenario shares: the run context (databases, ports, servers, durations) and result rows."""
from __future__ import annotations

import contextlib
import math
import os
import shutil
import socket
import statistics
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.server import ROOT, Server

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Row:
    """One line of the table: a measured figure, its baseline in the same run, and the target."""

    scenario: str
    metric: str
    value: float | None = None
    unit: str = ""
    p50_ms: float | None = None
    p99_ms: float | None = None
    rss_mb: float | None = None
    baseline: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    errors: int | None = None
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def judge(self, *, at_least: float | None = None, at_most: float | None = None) -> Row:
        """Computes ratio = value / baseline (when both exist) and checks it (or an absolute value)."""
        if self.baseline and self.value is not None and self.ratio is None:
            self.ratio = self.value / self.baseline
        x = self.ratio if self.ratio is not None else self.value
        if x is None or (isinstance(x, float) and math.isnan(x)):
            self.met = None
        elif at_least is not None:
            self.met = x >= at_least
        elif at_most is not None:
            self.met = x <= at_most
        return self

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def median(xs: list[float]) -> float:
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    return statistics.median(xs) if xs else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk_errors(r: dict) -> int:
    return sum(int(r.get(k, 0)) for k in ("errors_status", "errors_connect", "errors_timeout", "errors_read"))


class Ctx:
    """One benchmark run: temp dir, database choice, the shared baseline server, durations, results."""

    def __init__(self, *, pg: bool, quick: bool, duration: float | None):
        self.pg, self.quick = pg, quick
        self.duration = int(duration or (2 if quick else 6))
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-"))
        self.schemas: list[str] = []
        self.rows: list[Row] = []
        self.state: dict[str, Any] = {}  # shared between scenarios (e.g. the seeded million)
        self._baseline: Server | None = None
        self._stack = contextlib.ExitStack()
        self.log_lines: list[str] = []
        # Servers' stderr, kept after the run for post-mortems (bench/results/logs/, git-ignored).
        self.log_dir = ROOT / "bench" / "results" / "logs"
        shutil.rmtree(self.log_dir, ignore_errors=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        os.environ["BENCH_LOG_DIR"] = str(self.log_dir)

    # -- logging ---------------------------------------------------------------------------------
    def log(self, msg: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        self.log_lines.append(line)
        print(line, flush=True)

    # -- databases -------------------------------------------------------------------------------
    def database(self, name: str) -> dict[str, str]:
        """Env for a fresh private database: a SQLite file, or a new PostgreSQL schema (dropped at the end)."""
        if not self.pg:
            return {"DATABASE_URL": f"sqlite:///{self.tmp}/{name}.db"}
        schema = f"bench_{int(time.time()):x}_{uuid.uuid4().hex[:6]}_{name}"[:60]
        self.schemas.append(schema)
        return {"DATABASE_URL": PG_URL, "DB_SCHEMA": schema}

    def service_env(self, svc: str, name: str, *, port: int, db: dict[str, str] | None = None,
                    relay: bool = False, autopilot: bool = False, **extra: str) -> dict[str, str]:
        var = self.tmp / f"var-{name}"
        var.mkdir(exist_ok=True)
        env = {**(db or self.database(name)), "DEMO_MODE": "true", "LOG_LEVEL": "WARNING",
               "RELAY_ENABLED": str(relay).lower(), "AUTOPILOT_ENABLED": str(autopilot).lower(),
               "PORT": str(port), "HOST": "127.0.0.1", "VAR_DIR": str(var), "SEED_DEMO_INCIDENTS": "false"}
        env.update(extra)
        return env

    def server(self, svc: str, name: str, *, db: dict[str, str] | None = None, relay: bool = False,
               autopilot: bool = False, **extra: str) -> Server:
        port = free_port()
        env = self.service_env(svc, name, port=port, db=db, relay=relay, autopilot=autopilot, **extra)
        return Server(f"services.{svc}.app:create_app", port, factory=True, env=env)

    def baseline(self) -> Server:
        """One bare-FastAPI baseline for the whole run (stateless), started on first use."""
        if self._baseline is None or (self._baseline.proc and self._baseline.proc.poll() is not None):
            store = self.tmp / "baseline-store"
            store.mkdir(exist_ok=True)
            srv = Server("bench.baseline_app:app", free_port(), env={"BASELINE_STORE": str(store)},
                         health="/item")
            self._baseline = self._stack.enter_context(srv)
        return self._baseline

    def note_rss(self, svc: str, *mbs: float) -> None:
        """Keeps each service's highest peak RSS over the run (target 8)."""
        rss = self.state.setdefault("rss", {})
        rss[svc] = max([rss.get(svc, 0.0), *[m for m in mbs if m == m]])

    # -- running scenarios -----------------------------------------------------------------------
    def run(self, name: str, fn: Callable[[Ctx], list[Row] | None]) -> None:
        """Runs one scenario; a failure becomes a row in the table and the run goes on."""
        t0 = time.monotonic()
        self.log(f"== scenario {name}")
        try:
            rows = fn(self) or []
            self.rows.extend(rows)
        except Exception as exc:  # noqa: BLE001 - one scenario's failure must not end the run
            tb = traceback.format_exc(limit=6)
            self.log(f"scenario {name} FAILED: {exc!r}\n{tb}")
            self.rows.append(Row(name, "scenario failed", note=f"{type(exc).__name__}: {exc}"[:300],
                                 detail={"traceback": tb}))
        self.log(f"== scenario {name} took {time.monotonic() - t0:.1f}s")

    def close(self) -> None:
        self._stack.close()
        if self.pg and self.schemas:
            from sqlalchemy import create_engine, text

            engine = create_engine(PG_URL)
            try:
                with engine.begin() as conn:
                    for schema in self.schemas:
                        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            finally:
                engine.dispose()
        if not os.environ.get("BENCH_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def settle(*servers: Server, max_s: float = 20.0) -> None:
    """Waits until the servers are idle (< 10 % of a core over 0.3 s): when a load run ends, a slow server
    still works through the requests in flight, which must not land in the next (baseline) run."""
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        before = [cpu_seconds(s.pid) for s in servers if s.proc]
        time.sleep(0.3)
        after = [cpu_seconds(s.pid) for s in servers if s.proc]
        if all(a - b < 0.03 for a, b in zip(after, before, strict=True)):
            return


def interleave(rounds: int, *measures: Callable[[], dict], quiet: tuple[Server, ...] = ()) -> list[list[dict]]:
    """Runs measure[0], measure[1], … in turn `rounds` times (so drift in machine load hits all alike),
    letting the `quiet` servers settle after each run."""
    out: list[list[dict]] = [[] for _ in measures]
    for _ in range(rounds):
        for i, m in enumerate(measures):
            out[i].append(m())
            if quiet:
                settle(*quiet)
    return out


@contextlib.contextmanager
def started(*servers: Server) -> Iterator[tuple[Server, ...]]:
    with contextlib.ExitStack() as stack:
        yield tuple(stack.enter_context(s) for s in servers)


def py_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}
