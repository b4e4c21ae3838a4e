"""Test helpers every service's tests use: isolated databases on SQLite or PostgreSQL, live servers."""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import create_engine, text

# `make test` runs the suite twice: TEST_DB=sqlite, then TEST_DB=postgres.
PG_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def backend() -> str:
    return os.environ.get("TEST_DB", "sqlite").lower()


def using_postgres() -> bool:
    return backend() in {"postgres", "postgresql", "pg"}


def database_overrides(tmp_path: Path, service: str) -> dict[str, Any]:
    """Settings overrides for a fresh, private database (a file, or a new PostgreSQL schema)."""
    if using_postgres():
        # The creation time is in the name, so a later session can tell a schema left by a
        # killed run from one a concurrent session is using.
        schema = f"t_{int(time.time()):x}_{uuid.uuid4().hex[:6]}_{service.replace('-', '_')}"
        return {"database_url": PG_URL, "db_schema": schema}
    return {"database_url": f"sqlite:///{tmp_path}/{service}.db"}


def drop_schema(schema: str | None) -> None:
    if not schema or not using_postgres():
        return
    engine = create_engine(PG_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def drop_stale_test_schemas(max_age_s: float = 6 * 3600) -> None:
    """Removes schemas left by killed test runs (names start with t_); never others."""
    if not using_postgres():
        return
    engine = create_engine(PG_URL)
    try:
        with engine.begin() as conn:
            names = conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")).scalars()
            now = time.time()
            for name in list(names):
                # Only schemas older than max_age_s: other test sessions (parallel CI jobs, other
                # developers on the same server) may be using younger ones right now.
                stamp = name.split("_")[1] if name.count("_") >= 2 else ""
                try:
                    # 8 hex digits: a creation time; anything else predates the time stamp.
                    created = int(stamp, 16) if len(stamp) == 8 else 0
                except ValueError:
                    created = 0
                if now - created > max_age_s:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A real uvicorn server in a thread: real HTTP on loopback for webhook and browser tests."""

    def __init__(self, app: Any, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on", access_log=False,
                                                    # event streams never end by themselves
                                                    timeout_graceful_shutdown=3))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, timeout: float = 30.0) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("server thread died during start-up")
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in time")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@contextlib.contextmanager
def live_server(app: Any, port: int | None = None) -> Iterator[LiveServer]:
    server = LiveServer(app, port).start()
    try:
        yield server
    finally:
        server.stop()


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Polls until predicate() is truthy; returns its value or raises AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
