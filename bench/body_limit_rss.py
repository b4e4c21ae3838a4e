"""Memory of a peaks server sent a 24 MB anonymous JSON body on `POST /v1/photos/{id}/review` (issue 14, M5).

    python -m bench.body_limit_rss [--root DIR] [--requests 2]

Starts the peaks app under uvicorn in its own process (SQLite in a temporary folder, demo mode, relay and
autopilot off), reads its resident set size (VmRSS, /proc) once it is ready, sends the body `--requests`
times without a key, and reads it again. `--root` runs another source tree (e.g. an export of an older
commit) with the same interpreter, for a before/after comparison on the same machine.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BODY_MB = 24


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(root: Path, requests: int) -> dict:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(root), "DATABASE_URL": f"sqlite:///{tmp}/{{service}}.db",
               "DEMO_MODE": "true", "RELAY_ENABLED": "false", "AUTOPILOT_ENABLED": "false", "VAR_DIR": tmp,
               "STORAGE_DIR": f"{tmp}/store", "LOG_LEVEL": "WARNING"}
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "services.peaks.app:create_app",
                                   "--port", str(port), "--log-level", "warning"], cwd=root, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
            before = rss_mb(server.pid)
            item = b'{"decision": "approve"},'  # 24 bytes: a million small objects once parsed
            body = b"[" + item * (BODY_MB * 1024 * 1024 // len(item) - 1) + item[:-1] + b"]"
            statuses = []
            for _ in range(requests):
                try:
                    r = httpx.post(f"{url}/v1/photos/pho_01JABCDEFGHJKMNPQRSTVWXYZ0/review", content=body,
                                   headers={"content-type": "application/json"}, timeout=60)
                    statuses.append(r.status_code)
                except httpx.HTTPError as exc:  # the server may close the connection while we still send
                    statuses.append(type(exc).__name__)
            time.sleep(0.5)
            return {"root": str(root), "body_mb": BODY_MB, "requests": requests, "statuses": statuses,
                    "rss_before_mb": round(before, 1), "rss_after_mb": round(rss_mb(server.pid), 1)}
        finally:
            server.terminate()
            server.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--requests", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.root.resolve(), args.requests)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
