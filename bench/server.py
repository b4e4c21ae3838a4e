"""Starts an app under uvicorn (uvloop + httptools, one worker) in its own process and samples its RSS."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the kernel's own high-water mark of resident memory for the process."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Server:
    def __init__(self, target: str, port: int, *, factory: bool = False, env: dict[str, str] | None = None,
                 cwd: Path | None = None, health: str = "/healthz"):
        self.target, self.port, self.factory = target, port, factory
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd or ROOT
        self.health = health
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> Server:
        cmd = [sys.executable, "-m", "uvicorn", self.target, "--host", "127.0.0.1", "--port", str(self.port),
               "--loop", "uvloop", "--http", "httptools", "--workers", "1", "--no-access-log", "--log-level", "warning"]
        if self.factory:
            cmd.append("--factory")
        self.proc = subprocess.Popen(cmd, env=self.env, cwd=self.cwd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE if os.environ.get("BENCH_QUIET") else None)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.target} exited during start-up")
            try:
                if httpx.get(self.url + self.health, timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.target} did not start")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_mb(self) -> float:
        return peak_rss_mb(self.pid)

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
