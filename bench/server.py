"""Starts an app under uvicorn (uvloop + httptools, one worker) in its own process and samples its RSS."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
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
        # Quiet: the server's stderr goes to a file (a pipe nobody reads would fill up and stall it).
        self.log_path = None
        stderr = None
        if os.environ.get("BENCH_QUIET"):
            log_dir = Path(os.environ.get("BENCH_LOG_DIR") or tempfile.gettempdir())
            self.log_path = log_dir / f"server-{self.target.split(':')[0].replace('.', '-')}-{self.port}.log"
            stderr = self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(cmd, env=self.env, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.target} exited during start-up{self.log_tail()}")
            try:
                if httpx.get(self.url + self.health, timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"{self.target} did not start{self.log_tail()}")

    def log_tail(self, n: int = 1500) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return ": " + self.log_path.read_bytes()[-n:].decode("utf-8", "replace")

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
                self.proc.wait()
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
