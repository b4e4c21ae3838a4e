"""Database loss (PostgreSQL): the connection to the database is cut during operation and restored.

The machine's PostgreSQL keeps running (other tests use it in parallel): a small TCP proxy sits between
the service and PostgreSQL, and "losing the database" is closing every proxied connection and refusing
new ones. While cut, /readyz and the write endpoints answer 503 problem+json with Retry-After (never 500);
once restored the service recovers by itself (pool_pre_ping, the relay loop outlives the outage).
"""
from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from shared import testing
from shared.testing import free_port, using_postgres, wait_until
from tests.reliability.roadkill_support import INTAKE, OPERATOR, SERVICE, TMAP, intake_path, voice_report
from tests.reliability.support import assert_problem, create_app, quiet_settings, record_figure
from tests.shared.receiver import Receiver

pytestmark = pytest.mark.skipif(not using_postgres(), reason="database loss is simulated with a TCP proxy in "
                                                             "front of PostgreSQL; an SQLite file cannot vanish")


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the database; `cut()` drops every connection and refuses new ones."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.AbstractServer | None = None
        self.transports: set[asyncio.BaseTransport] = set()
        self.connections = 0

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        self.transports |= {writer.transport, up_writer.transport}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self.transports -= {writer.transport, up_writer.transport}

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for t in list(self.transports):
            t.abort()
        self.transports.clear()

    def start(self) -> TcpProxy:
        self.thread.start()
        self._run(self._listen())
        return self

    def cut(self) -> None:
        self._run(self._cut())

    def restore(self) -> None:
        self._run(self._listen())

    def close(self) -> None:
        self._run(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def _writes(h: httpx.Client, receiver_url: str, n: int) -> list[tuple[str, httpx.Response]]:
    """One call of each write endpoint available: the platform's own, and roadkill's intake once it exists."""
    out = [("PUT /v1/ops/endpoints/acrc",
            h.put("/v1/ops/endpoints/acrc", json={"url": receiver_url}, headers=OPERATOR)),
           ("POST /v1/ops/outbox/{id}/redrive", h.post("/v1/ops/outbox/msg_none/redrive", headers=OPERATOR))]
    if intake_path():
        out.append((f"POST {INTAKE}", h.post(INTAKE, json=voice_report(n),
                                             headers={**TMAP, "idempotency-key": f"dbloss-{n}"})))
    return out


def test_database_cut_gives_503_with_retry_after_and_the_service_recovers(tmp_path):
    from sqlalchemy.engine import make_url

    pg = make_url(testing.PG_URL)
    proxy = TcpProxy(pg.host or "127.0.0.1", pg.port or 5432).start()
    db = testing.database_overrides(tmp_path, SERVICE)
    db["database_url"] = pg.set(port=proxy.port).render_as_string(hide_password=False)
    answers: dict[str, int] = {}
    try:
        with Receiver().serve() as receiver:
            app = create_app(SERVICE, **quiet_settings(db, tmp_path, relay_enabled=True, relay_poll_interval_s=0.05,
                                                       relay_backoff_base_s=0.2, relay_backoff_max_s=1.0,
                                                       seed_demo_incidents=False))
            with testing.live_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as h:
                assert h.get("/readyz").status_code == 200
                for party in app.state.platform.parties.codes():
                    r = h.put(f"/v1/ops/endpoints/{party}", json={"url": receiver.hook_url}, headers=OPERATOR)
                    receiver.secrets.append(r.json()["signing_secret"])
                for name, r in _writes(h, receiver.hook_url, 0):
                    assert r.status_code < 500, (name, r.status_code, r.text)

                proxy.cut()
                t0 = time.monotonic()
                for round_no in range(3):  # repeatedly: pooled connections die, new ones are refused
                    r = h.get("/readyz")
                    assert_problem(r, "/readyz", 503)
                    assert r.headers["retry-after"].isdigit()
                    answers["GET /readyz"] = r.status_code
                    for name, r in _writes(h, receiver.hook_url, 1 + round_no):
                        assert_problem(r, name, 503)
                        assert r.headers.get("retry-after", "").isdigit(), name
                        assert "127.0.0.1" not in r.json()["detail"]
                        answers[name] = r.status_code
                    assert h.get("/healthz").status_code == 200  # liveness does not need the database
                cut_s = time.monotonic() - t0

                proxy.restore()
                t1 = time.monotonic()
                wait_until(lambda: h.get("/readyz").status_code == 200, timeout=30, interval=0.2)
                recovered_s = time.monotonic() - t1
                for name, r in _writes(h, receiver.hook_url, 10):
                    assert r.status_code < 500, (name, r.status_code, r.text)
                # The relay loop outlived the outage: a message queued now is delivered.
                if intake_path():
                    wait_until(lambda: len(receiver.delivered) >= 2, timeout=30)
        record_figure("db_loss", {"answers_while_cut": answers, "cut_seconds": round(cut_s, 2),
                                  "seconds_to_ready_after_restore": round(recovered_s, 2),
                                  "proxied_connections": proxy.connections})
    finally:
        proxy.close()
        testing.drop_schema(db.get("db_schema"))
