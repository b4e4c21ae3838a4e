"""Fixtures for the platform tests: the minimal service on a private database, and a webhook receiver."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from shared.db import utcnow
from tests.shared.minisvc.app import MiniSettings, create_app
from tests.shared.receiver import Receiver

# A real (non-placeholder) secret for tests that switch demo mode off.
REAL_SECRET = "dmlC6L77AtYv4VeH-n6VTbCnqAZuqVvfniQI38YsbMA"  # random, as SECRET_KEY must be outside demo mode


@pytest.fixture
def db_overrides(tmp_path, request):
    """Like the suite-wide fixture, with minisvc as the default service name."""
    from shared import testing

    overrides = testing.database_overrides(tmp_path, getattr(request.module, "SERVICE_NAME", "minisvc"))
    yield overrides
    testing.drop_schema(overrides.get("db_schema"))


@pytest.fixture
def make_settings(db_overrides) -> Callable[..., MiniSettings]:
    """Settings on the test database; relay and autopilot off unless a test turns them on."""

    def make(**overrides) -> MiniSettings:
        values = {**db_overrides, "relay_enabled": False, "autopilot_enabled": False, **overrides}
        return MiniSettings(**values)

    return make


@pytest.fixture
def client(make_settings) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings())) as c:
        yield c


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver().serve() as r:
        yield r


class SimClock:
    """A clock the relay schedules with; tests move it forward instead of sleeping."""

    def __init__(self, start: datetime | None = None):
        # Without a start: real time plus an offset (a second ahead to begin with), so a message
        # the app queues "now" is due however long a loaded machine took to get here.
        self.start = start
        self.offset = timedelta(seconds=1)

    @property
    def now(self) -> datetime:
        return (self.start or utcnow()) + self.offset - (timedelta(seconds=1) if self.start else timedelta(0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> SimClock:
    return SimClock()
