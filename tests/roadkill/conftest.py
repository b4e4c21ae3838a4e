"""Fixtures for the roadkill HTTP tests: the app on a private database, demo keys, report bodies."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.roadkill.app import create_app
from services.roadkill.config import Settings
from shared import testing
from shared.db import utcnow

SERVICE_NAME = "roadkill"

# Positions on the shipped approximate network (see tests/roadkill/test_domain_routing.py).
EXPRESSWAY = (36.86, 127.1652)  # Gyeongbu Expressway, digitised north → south: heading 185 = forward
NATIONAL = (36.8653, 126.900)  # National Route 34, farmland between Dangjin and Asan
PROVINCIAL = (36.65, 127.0101)  # Provincial Road 619
OFF_ROAD = (36.30, 126.67)  # Misan-myeon, Boryeong, over 4 km from every mapped road
SEOUL = (37.5665, 126.978)


def auth(party: str) -> dict[str, str]:
    return {"authorization": f"Bearer demo-{party}"}


def report_body(lat: float = EXPRESSWAY[0], lon: float = EXPRESSWAY[1], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reporter": "sub-0001", "consent": True, "transcript": "고라니가 2차로에 치여 있어요",
        "lat": lat, "lon": lon, "accuracy_m": 8.0, "heading_deg": 185.0, "speed_kmh": 90.0,
        "reported_at": (utcnow() - timedelta(seconds=30)).isoformat(),
    }
    body.update(overrides)
    return body


@pytest.fixture
def db_overrides(tmp_path) -> Iterator[dict[str, Any]]:
    """A private database per test (SQLite file or a fresh PostgreSQL schema, per TEST_DB)."""
    overrides = testing.database_overrides(tmp_path, SERVICE_NAME)
    yield overrides
    testing.drop_schema(overrides.get("db_schema"))


@pytest.fixture
def make_settings(db_overrides) -> Callable[..., Settings]:
    """Settings on the test database; relay, autopilot and demo incidents off unless a test turns them on."""

    def make(**overrides: Any) -> Settings:
        values = {**db_overrides, "relay_enabled": False, "autopilot_enabled": False,
                  "seed_demo_incidents": False, "log_level": "WARNING", **overrides}
        return Settings(**values)

    return make


@pytest.fixture
def app(make_settings):
    return create_app(make_settings())


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def platform(app):
    return app.state.platform
