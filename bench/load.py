"""Load generators: wrk (closed loop, max throughput) and a fixed-rate open-loop generator for latency."""
from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def wrk(url: str, *, script: str, duration_s: int = 10, connections: int = 32, threads: int = 1,
        env: dict[str, str] | None = None, bodies: list[str] | None = None) -> dict:
    """Runs Debian's wrk (a C load generator in its own process) and returns its JSON summary."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk not found: `apt-get install wrk`")
    run_env = {**os.environ, **(env or {})}
    tmp = None
    if bodies is not None:
        tmp = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False)
        tmp.write("\n".join(bodies) + "\n")
        tmp.close()
        run_env["BENCH_BODY_FILE"] = tmp.name
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration_s}s", "--timeout", "10s",
           "-s", str(HERE / "lua" / script), url]
    try:
        out = subprocess.run(cmd, env=run_env, capture_output=True, text=True, timeout=duration_s + 60).stdout
    finally:
        if tmp:
            os.unlink(tmp.name)
    for line in out.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    raise RuntimeError(f"wrk produced no summary:\n{out}")


# --- fixed-rate (open-loop) generator ------------------------------------------------------------
# wrk keeps a fixed number of requests in flight, so at a server's limit it measures queueing of
# its own making ("coordinated omission"). For latency at a given rate we send on a schedule and
# time each request from its *scheduled* start. Written by hand because wrk2 is not packaged in
# Debian; it is a bare asyncio HTTP/1.1 keep-alive client so it is not the bottleneck at these rates.

async def _one(reader, writer, payload: bytes) -> tuple[int, bytes]:
    writer.write(payload)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return status, body


def build_request(method: str, path: str, host: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _fixed_rate(host: str, port: int, requests: list[bytes], rate: float, duration_s: float,
                      max_conns: int, capture: bool = False) -> dict:
    pool: asyncio.Queue = asyncio.Queue()
    opened = 0
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    captured: list[tuple[float, int, str]] = []  # (wall-clock time of the answer, status, body)
    start = time.perf_counter()
    total = int(rate * duration_s)
    tasks = []

    async def fire(i: int, scheduled: float) -> None:
        nonlocal opened, errors
        try:
            conn = pool.get_nowait()
        except asyncio.QueueEmpty:
            if opened < max_conns:
                opened += 1
                conn = await asyncio.open_connection(host, port)
            else:
                conn = await pool.get()
        try:
            status, body = await _one(conn[0], conn[1], requests[i % len(requests)])
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(time.perf_counter() - scheduled)
            if capture:
                captured.append((time.time(), status, body.decode("utf-8", "replace")))
            pool.put_nowait(conn)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            conn[1].close()
            opened -= 1

    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(fire(i, scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else float("nan")

    return {"target_rps": rate, "achieved_rps": len(latencies) / elapsed, "requests": len(latencies),
            "errors": errors, "statuses": statuses, "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99),
            "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
            **({"captured": captured} if capture else {})}


def fixed_rate(url: str, *, requests: list[bytes], rate: float, duration_s: float = 8, max_conns: int = 256,
               capture: bool = False, shuffle: bool = True) -> dict:
    """Runs the open-loop generator in a separate Python process (so it never shares the server's core).

    capture=True also returns every answer as (wall-clock time, status, body) under "captured"."""
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    spec = {"host": host, "port": int(port), "rate": rate, "duration_s": duration_s, "max_conns": max_conns,
            "capture": capture, "shuffle": shuffle, "requests": [r.decode("latin-1") for r in requests]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(spec, f)
    out_path = Path(f.name + ".out")
    try:
        # The result goes to a file, not stdout: with captured bodies it can be megabytes.
        proc = subprocess.run([sys.executable, "-m", "bench.load", f.name, str(out_path)], capture_output=True,
                              text=True, timeout=duration_s + 120, cwd=HERE.parent)
        if proc.returncode != 0 or not out_path.exists():
            raise RuntimeError(f"fixed-rate generator failed ({proc.returncode}): {proc.stderr[-800:]}")
        return json.loads(out_path.read_text())
    finally:
        os.unlink(f.name)
        out_path.unlink(missing_ok=True)


def _main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    reqs = [r.encode("latin-1") for r in spec["requests"]]
    if spec.get("shuffle", True):
        random.shuffle(reqs)
    result = asyncio.run(_fixed_rate(spec["host"], spec["port"], reqs, spec["rate"], spec["duration_s"],
                                     spec["max_conns"], spec.get("capture", False)))
    Path(out_path).write_text(json.dumps(result))


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
