"""CLOCK_AT: trainers and the benchmark can start the service clock inside a season (demo mode only)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.peaks.app import create_app
from services.peaks.config import Settings
from services.peaks.domain import reference

INSIDE_2026 = datetime(2026, 10, 15, 3, 0, tzinfo=UTC)  # noon KST, mid-season


def test_clock_at_starts_the_service_clock_there_and_lets_it_run(db_overrides, tmp_path):
    app = create_app(Settings(**db_overrides, var_dir=tmp_path, relay_enabled=False, autopilot_enabled=False,
                              clock_at=INSIDE_2026))
    platform = app.state.platform
    first = platform.clock()
    assert abs(first - INSIDE_2026) < timedelta(seconds=5)
    assert platform.clock() >= first  # a running clock, not a frozen one
    assert reference.current_season(first) is not None


def test_outside_demo_mode_the_service_uses_the_machine_clock(db_overrides, tmp_path):
    # Whatever today is: outside demo mode there is neither CLOCK_AT nor a training clock.
    app = create_app(Settings(**db_overrides, var_dir=tmp_path, relay_enabled=False, autopilot_enabled=False,
                              demo_mode=False, secret_key="oVmjBLztxzq4-yR0f_vgxKh2LTSUhLaRwgmSLD9KypM"))
    assert abs(app.state.platform.clock() - datetime.now(UTC)) < timedelta(seconds=5)


def test_clock_at_is_refused_outside_demo_mode(db_overrides):
    with pytest.raises(ValidationError, match="DEMO_MODE"):
        Settings(**db_overrides, demo_mode=False, secret_key="oVmjBLztxzq4-yR0f_vgxKh2LTSUhLaRwgmSLD9KypM",
                 clock_at=INSIDE_2026)


def test_clock_at_needs_an_offset(db_overrides):
    with pytest.raises(ValidationError, match="UTC offset"):
        Settings(**db_overrides, clock_at=datetime(2026, 10, 15, 12, 0))
