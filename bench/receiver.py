"""A tiny webhook receiver in its own process: records (arrival time, webhook-id, incident id) per delivery.

`python -m bench.receiver PORT OUTFILE` answers every POST with 204 and appends one tab-separated line
per delivery to OUTFILE (flushed as it goes). A bare asyncio HTTP/1.1 server, so it costs far less CPU
than the service it listens to.
"""
from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

OK = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n"


def _incident_id(body: bytes) -> str:
    try:
        data = json.loads(body).get("data") or {}
        return str(data.get("incident_id") or data.get("subject_id") or "")
    except (ValueError, AttributeError):
        return ""


async def _serve(port: int, out_path: str) -> None:
    out = open(out_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the server

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, hook_id = 0, ""
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    k = k.strip().lower()
                    if k == b"content-length":
                        length = int(v)
                    elif k == b"webhook-id":
                        hook_id = v.strip().decode()
                body = await reader.readexactly(length) if length else b""
                if head.startswith(b"POST"):
                    out.write(f"{time.time():.6f}\t{hook_id}\t{_incident_id(body)}\n")
                writer.write(OK)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    out.close()


class Receiver:
    """Runs the receiver as a subprocess; `records()` reads what arrived so far."""

    def __init__(self, port: int, out: Path):
        self.port, self.out = port, out
        self.url = f"http://127.0.0.1:{port}/hook"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Receiver:
        self.out.write_text("")
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.receiver", str(self.port), str(self.out)],
                                     cwd=Path(__file__).resolve().parent.parent)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url, timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("webhook receiver did not start")

    def records(self) -> list[tuple[float, str, str]]:
        rows = []
        for line in self.out.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                rows.append((float(parts[0]), parts[1], parts[2]))
        return rows

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def main() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(_serve(int(sys.argv[1]), sys.argv[2]))


if __name__ == "__main__":
    main()
