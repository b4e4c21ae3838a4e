"""Suite-wide fixtures: the database backend (SQLite or PostgreSQL) comes from TEST_DB."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from shared import testing

# Shared, noisy machines: no per-example deadline (a slow example is not a wrong one), and
# no health check on slow data generation. Example counts stay as each test sets them.
settings.register_profile("cpa", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("cpa")

os.environ.setdefault("LOG_JSON", "true")

# Real-browser fixtures (browser, page_checker, browser_page) for every service's UI tests.
pytest_plugins = ["tests.browser"]


def pytest_report_header(config):
    return f"database backend: {testing.backend()}"


def pytest_sessionstart(session):
    if testing.using_postgres() and not hasattr(session.config, "workerinput"):
        testing.drop_stale_test_schemas()


@pytest.fixture
def db_overrides(tmp_path, request):
    """Settings overrides for a private database; the PostgreSQL schema is dropped afterwards."""
    service = getattr(request.module, "SERVICE_NAME", "svc")
    overrides = testing.database_overrides(tmp_path, service)
    yield overrides
    testing.drop_schema(overrides.get("db_schema"))
