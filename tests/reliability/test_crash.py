"""Crash test: a real uvicorn process of roadkill is SIGKILLed during 2,000 concurrent voice-report intakes.

The process runs with its relay on and every party pointed at a receiver in the test process. After the
kill it is restarted on the same database (SQLite file or PostgreSQL schema); the requests that did not
get a 2xx are retried with the same Idempotency-Key and body. Then: every report that got a 2xx is
stored, every outbox message is delivered, and no webhook-id has its effect twice at the receiver.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from shared import outbox, testing
from shared.ids import keyed_hash
from shared.testing import free_port, wait_until
from tests.reliability.roadkill_support import INTAKE, OPERATOR, SERVICE, TMAP, voice_report
from tests.reliability.support import create_app, record_figure
from tests.shared.receiver import Receiver

pytestmark = pytest.mark.slow

TOTAL = 2000
KILL_AFTER = 700  # completed intakes before the SIGKILL
THREADS = 16
ROOT = Path(__file__).resolve().parents[2]


def _env(db: dict, port: int, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELAY_", "AUTOPILOT_", "DB_"))}
    env.update({
        "DATABASE_URL": db["database_url"], "DEMO_MODE": "true", "RELAY_ENABLED": "true",
        "AUTOPILOT_ENABLED": "false", "RELAY_POLL_INTERVAL_S": "0.05", "RELAY_BACKOFF_BASE_S": "0.2",
        "RELAY_BACKOFF_MAX_S": "1", "RELAY_LEASE_S": "5", "IDEMPOTENCY_LOCK_S": "2",
        "SEED_DEMO_INCIDENTS": "false", "VAR_DIR": str(var_dir), "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "LOG_LEVEL": "WARNING",
    })
    if db.get("db_schema"):
        env["DB_SCHEMA"] = db["db_schema"]
    return env


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "services.roadkill.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()[-2000:]}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, timeout=60, interval=0.1)
    return proc


def _errors(log: Path) -> str:
    """The server's error log lines (for a failure message)."""
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if '"ERROR"' in ln or "Traceback" in ln]
    return "\n".join(ln[:1500] for ln in lines[-5:])


def test_sigkill_during_2000_intakes_loses_nothing_and_duplicates_nothing(tmp_path):
    db = testing.database_overrides(tmp_path, SERVICE)
    port = free_port()
    env = _env(db, port, tmp_path / "var")
    log = tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    bodies = [voice_report(i) for i in range(TOTAL)]  # fixed bodies: a retry must send the same bytes
    ok: dict[int, dict] = {}
    failed_first: set[int] = set()
    lock = threading.Lock()
    started = time.monotonic()
    proc = None
    with Receiver().serve() as receiver:
        try:
            proc = _start(env, port, log)
            with httpx.Client(base_url=base, headers=OPERATOR) as h:
                secrets = []
                for party in h.get("/v1/parties").json():
                    r = h.put(f"/v1/ops/endpoints/{party['code']}", json={"url": receiver.hook_url})
                    assert r.status_code == 200, r.text
                    secrets.append(r.json()["signing_secret"])
                receiver.secrets = secrets

            killed = threading.Event()
            local = threading.local()

            def client() -> httpx.Client:
                if not hasattr(local, "c"):
                    local.c = httpx.Client(base_url=base, timeout=30)
                return local.c

            def one(i: int) -> None:
                try:
                    r = client().post(INTAKE, json=bodies[i], headers={**TMAP, "idempotency-key": f"crash-{i}"})
                    good = 200 <= r.status_code < 300
                    body = r.json() if good else None
                except httpx.HTTPError:
                    good, body = False, None
                with lock:
                    if good:
                        ok[i] = body
                    else:
                        failed_first.add(i)
                    done = len(ok) + len(failed_first)
                if done >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    os.kill(proc.pid, signal.SIGKILL)

            phases = {"start": round(time.monotonic() - started, 1)}
            with ThreadPoolExecutor(THREADS) as pool:
                list(pool.map(one, range(TOTAL)))
            phases["load_and_kill"] = round(time.monotonic() - started, 1)
            proc.wait(timeout=10)
            assert killed.is_set() and proc.returncode == -signal.SIGKILL
            ok_before_kill = len(ok)
            assert failed_first, "the kill happened mid-way: some requests failed"

            # Restart on the same database; retry the failures with the same key and body.
            proc = _start(env, port, log)
            retried_409 = 0

            def retry(i: int) -> None:
                nonlocal retried_409
                for _ in range(100):
                    r = client().post(INTAKE, json=bodies[i], headers={**TMAP, "idempotency-key": f"crash-{i}"})
                    if r.status_code == 409:  # in flight when the process died: lock expires (2 s)
                        with lock:
                            retried_409 += 1
                        time.sleep(0.25)
                        continue
                    break
                assert r.status_code == 201, (f"retry of {i}: {r.status_code} {r.text[:300]}\n" + _errors(log))
                with lock:
                    ok[i] = r.json()

            local = threading.local()  # fresh connections to the restarted server
            with ThreadPoolExecutor(THREADS) as pool:
                list(pool.map(retry, sorted(failed_first)))
            assert len(ok) == TOTAL
            phases["restart_and_retry"] = round(time.monotonic() - started, 1)

            # Every outbox message delivered, each with its effect once at the receiver.
            app = create_app(SERVICE, database_url=db["database_url"], db_schema=db.get("db_schema"),
                             relay_enabled=False, autopilot_enabled=False)
            p = app.state.platform
            try:
                def all_delivered() -> bool:
                    with p.db.read_session() as s:
                        counts = outbox.counts(s, p.tables)
                    return set(counts) == {"delivered"}
                wait_until(all_delivered, timeout=60, interval=0.2)
                o = p.tables.outbox
                from services.roadkill.models import incident, report
                with p.db.read_session() as s:
                    message_ids = set(s.scalars(select(o.c.id)))
                    stored = set(s.scalars(select(report.c.id)))
                    per_reporter = dict(s.execute(select(report.c.reporter_hash, func.count())
                                                  .group_by(report.c.reporter_hash)).all())
                    incidents_per_reporter = dict(s.execute(
                        select(report.c.reporter_hash, func.count(func.distinct(report.c.incident_id)))
                        .group_by(report.c.reporter_hash)).all())
                    n_incidents = s.scalar(select(func.count()).select_from(incident))
            finally:
                p.db.dispose()
            phases["all_delivered"] = round(time.monotonic() - started, 1)
            missing = [i for i, b in ok.items() if b["report_id"] not in stored]
            assert not missing, f"{len(missing)} acknowledged reports missing after the kill, e.g. {missing[:5]}"
            wait_until(lambda: set(receiver.delivered) == message_ids, timeout=30)
            assert all(v == 1 for v in receiver.delivered.values())
            secret = p.settings.secret_key.get_secret_value()
            hashes = {keyed_hash(secret, "reporter", f"tmap:{b['reporter']}") for b in bodies}
            assert set(per_reporter) <= hashes
            # A report committed just before the kill whose response was lost is executed again on retry
            # (the idempotency record is not in the business transaction): it must merge into the same
            # incident — never a second incident, never a second complaint.
            duplicated = {h: n for h, n in per_reporter.items() if n > 1}
            assert all(incidents_per_reporter[h] == 1 for h in per_reporter)
            assert len(duplicated) <= THREADS, "at most the requests in flight at the kill can repeat"
            record_figure("crash", {
                "intakes": TOTAL, "acknowledged_before_kill": ok_before_kill, "failed_at_kill": len(failed_first),
                "acknowledged_after_retry": len(ok), "reports_stored": len(stored), "incidents": n_incidents,
                "reports_repeated_by_retry": len(duplicated), "retries_waiting_on_in_flight_lock": retried_409,
                "outbox_messages": len(message_ids), "delivered_once": sum(receiver.delivered.values()),
                "redeliveries_deduped": receiver.duplicates, "seconds": round(time.monotonic() - started, 1),
                "phases_s": phases})
        finally:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            testing.drop_schema(db.get("db_schema"))
