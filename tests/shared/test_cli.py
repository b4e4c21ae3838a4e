"""The `cpa` command line as a user runs it: `cpa run` (three services, Ctrl-C) and `cpa keys`."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.registry import SERVICES
from shared import testing
from tests.shared.conftest import REAL_SECRET

ROOT = Path(__file__).resolve().parents[2]


def cpa(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "DB_SCHEMA", "DEMO_MODE", "SECRET_KEY", "PORT", "HOST"}}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def port_busy(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def descendants(pid: int) -> set[int]:
    """Child processes (recursively) from /proc, without psutil."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find child processes")
def test_cpa_run_serves_all_three_and_ctrl_c_leaves_no_child(tmp_path):
    ports = [e.port for e in SERVICES.values()]
    busy = [p for p in ports if port_busy(p)]
    if busy:
        pytest.skip(f"`cpa run` uses fixed ports and {busy} are in use")
    env = base_env(DATABASE_URL=f"sqlite:///{tmp_path}/{{service}}.db", AUTOPILOT_ENABLED="false")
    log = (tmp_path / "cpa-run.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "tools.cli", "run"], env=env, cwd=tmp_path,
                            stdout=log, stderr=subprocess.STDOUT)
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 30
        pending = set(ports)
        while pending and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "cpa-run.log").read_text()[-3000:]
            children |= descendants(proc.pid)
            for port in list(pending):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        pending.discard(port)
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        assert not pending, f"/healthz not 200 within 30 s on {sorted(pending)}:\n" + \
            (tmp_path / "cpa-run.log").read_text()[-3000:]
        children |= descendants(proc.pid)
        assert len(children) >= 3
        for name in SERVICES:
            assert (tmp_path / f"{name}.db").exists(), "DATABASE_URL with {service} gives each its own file"

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        testing.wait_until(lambda: not any(alive(pid) for pid in children), timeout=10)
        assert not any(port_busy(p) for p in ports)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in children:  # only our own children, by id, if anything went wrong above
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        log.close()


def test_cpa_keys_create_list_revoke(tmp_path):
    from services.roadkill.app import SPEC, Settings
    from shared.auth import KeyResolver
    from shared.platform import Platform

    overrides = testing.database_overrides(tmp_path, "roadkill")
    env = base_env(DATABASE_URL=overrides["database_url"], DEMO_MODE="false", SECRET_KEY=REAL_SECRET)
    if "db_schema" in overrides:
        env["DB_SCHEMA"] = overrides["db_schema"]
    try:
        r = cpa("keys", "create", "--service", "roadkill", "--party", "acrc", "--label", "test", env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        key = r.stdout.strip().splitlines()[-1]
        assert key.startswith("cpa_acrc_") and r.stdout.count(key) == 1

        settings = Settings(**overrides, demo_mode=False, secret_key=REAL_SECRET)
        platform = Platform(SPEC, settings)
        try:
            principal = platform.keys.resolve(key)
            assert principal is not None and principal.party == "acrc" and principal.via == "key"
            assert platform.keys.resolve(key[:-1] + ("A" if key[-1] != "A" else "B")) is None

            listed = cpa("keys", "list", "--service", "roadkill", env=env, cwd=tmp_path)
            assert listed.returncode == 0, listed.stderr
            assert key[:12] in listed.stdout and key not in listed.stdout and key[12:] not in listed.stdout
            assert "demo-" not in listed.stdout, "outside demo mode no demo keys are advertised"

            revoked = cpa("keys", "revoke", "--service", "roadkill", "--prefix", key[:12], env=env, cwd=tmp_path)
            assert "revoked 1 key" in revoked.stdout
            assert KeyResolver(platform).resolve(key) is None
        finally:
            platform.db.dispose()

        # Placeholder secret outside demo mode: the command refuses to run.
        bad = cpa("keys", "list", "--service", "roadkill", env={**env, "SECRET_KEY": "change-me"}, cwd=tmp_path)
        assert bad.returncode != 0 and "SECRET_KEY" in bad.stderr
    finally:
        testing.drop_schema(overrides.get("db_schema"))
