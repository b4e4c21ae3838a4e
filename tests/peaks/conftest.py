"""Fixtures for the peaks domain tests: synthetic photos are built once per session (big ones are slow-ish)."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.peaks.domain import reference, sample_photos
from services.peaks.domain.reference import KST
from tests.peaks import hostile_files

# Fixed clock: the suite behaves the same on any day it runs.
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=KST)
TAKEN = datetime(2026, 5, 2, 10, 30, tzinfo=KST)


@pytest.fixture(scope="session")
def season_2026() -> reference.Season:
    return reference.season("2026")


@pytest.fixture(scope="session")
def gajisan() -> reference.Peak:
    return reference.peaks()["gajisan"]


@pytest.fixture(scope="session")
def summit_jpeg(gajisan: reference.Peak) -> bytes:
    return sample_photos.make_photo(lat=gajisan.lat, lon=gajisan.lon, alt=1235, taken_at=TAKEN, hpos_error=5, seed=1)


@pytest.fixture(scope="session")
def big_jpeg(gajisan: reference.Peak) -> bytes:
    """A 4000x3000 (12 MP) JPEG with summit EXIF."""
    return hostile_files.make_big_jpeg(lat=gajisan.lat, lon=gajisan.lon, alt=1240, taken_at=TAKEN)


# --------------------------------------------------------------------------- API fixtures (core HTTP + DB)


@pytest.fixture
def peaks_settings(db_overrides, tmp_path):
    """Settings of a test app: private DB, relay and autopilot off, photo store under tmp_path."""
    from services.peaks.config import Settings

    return Settings(**db_overrides, relay_enabled=False, autopilot_enabled=False, var_dir=tmp_path / "var")


@pytest.fixture
def peaks_app(peaks_settings):
    """The peaks app whose real-time source is pinned at NOW (in season: the real clock, fixed) — not started;
    use `peaks_client` or a live server."""
    from services.peaks.app import create_app

    return create_app(peaks_settings, real_now=lambda: NOW)


@pytest.fixture
def peaks_client(peaks_app):
    from fastapi.testclient import TestClient

    with TestClient(peaks_app, raise_server_exceptions=False) as c:
        yield c
