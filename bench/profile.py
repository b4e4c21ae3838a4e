"""Profile a service (samples of the thread holding the GIL) under the bench's own load with py-spy and print the top hotspots.

    python -m bench.profile intake|upload|referrals|handoff [--seconds 10] [--svg out.svg]

Needs py-spy (`.venv/bin/pip install py-spy`). Prints the functions with the largest share of samples,
by own time (self) and including callees (total), as function (file:line) with a share of all samples.
"""
from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from bench.common import Ctx


def _pyspy(pid: int, seconds: int, out: Path, fmt: str) -> subprocess.Popen:
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen([exe, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250",
                             "--format", fmt, "-o", str(out), "--nonblocking", "--gil"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _fn(frame: str) -> str:
    name, _, where = frame.partition(" (")
    path, _, line = where.rstrip(")").rpartition(":")
    first = _FIRST.setdefault((name, path), line)
    return f"{name} ({path}:{first})"


_FIRST: dict[tuple[str, str], str] = {}


def top(raw: Path, n: int = 20) -> str:
    self_c: collections.Counter = collections.Counter()
    total_c: collections.Counter = collections.Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        c = int(count)
        samples += c
        # One key per function (file:line of its first sampled line kept aside): lines of one function add up.
        frames = [_fn(f) for f in stack.split(";") if "(" in f]
        if not frames:
            continue
        self_c[frames[-1]] += c
        for f in set(frames):
            total_c[f] += c
    out = [f"{samples} samples"]
    ours = collections.Counter({f: c for f, c in total_c.items() if "services/" in f or "shared/" in f})
    for title, counter in (("self", self_c), ("total (incl. callees)", total_c), ("total, project code", ours)):
        out.append(f"-- top by {title}")
        for frame, c in counter.most_common(n):
            out.append(f"{100 * c / max(samples, 1):5.1f}%  {frame.replace(str(Path.cwd()) + '/', '')}")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["intake", "upload", "referrals", "handoff", "open"])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--svg")
    ap.add_argument("--full", action="store_true", help="full-size seeds (100,000 rows) as in the full run")
    args = ap.parse_args()
    os.environ.setdefault("BENCH_QUIET", "1")
    ctx = Ctx(pg=bool(os.environ.get("BENCH_PG")), quick=not args.full, duration=args.seconds)
    raw = ctx.tmp / "profile.txt"
    try:
        from bench import handoff_bench, onestop_bench, peaks_bench, roadkill_bench

        target = {"intake": ("roadkill", roadkill_bench.scenario_intake),
                  "handoff": ("roadkill", handoff_bench.scenario_handoff),
                  "upload": ("peaks", peaks_bench.scenario_upload),
                  "open": ("peaks", peaks_bench.scenario_open_api),
                  "referrals": ("onestop", onestop_bench.scenario_onestop)}[args.what]
        # Attach to the service process once it is up (the first services.<svc> uvicorn child of ours).
        done = threading.Event()

        def attach() -> None:
            while not done.is_set():
                out = subprocess.run(["pgrep", "-P", str(os.getpid()), "-f", f"services.{target[0]}.app"],
                                     capture_output=True, text=True).stdout.split()
                if out:
                    from bench.common import cpu_seconds as _cpu_s

                    pid = int(out[0])
                    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    port = int(argv[argv.index(b"--port") + 1])
                    while not done.is_set():  # past start-up: answering, then quiet for 0.5 s
                        try:
                            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                                break
                        except httpx.HTTPError:
                            time.sleep(0.2)
                    while True:
                        before = _cpu_s(pid)
                        time.sleep(0.5)
                        if _cpu_s(pid) - before < 0.05:
                            break
                    procs = [_pyspy(pid, 3 * args.seconds, raw, "raw")]
                    if args.svg:
                        procs.append(_pyspy(pid, 3 * args.seconds, Path(args.svg), "flamegraph"))
                    for p in procs:
                        p.wait()
                    return
                time.sleep(0.2)

        t = threading.Thread(target=attach, daemon=True)
        t.start()
        rows = target[1](ctx)
        done.set()
        t.join(timeout=args.seconds + 30)
        for r in rows:
            print(r.scenario, r.metric, r.value, r.unit, "ratio", r.ratio)
        print(top(raw) if raw.exists() else "no profile (py-spy missing or the service ended first)")
    finally:
        ctx.close()


if __name__ == "__main__":
    main()
