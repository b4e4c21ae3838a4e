"""The service clock: real time, CLOCK_AT, and in demo mode between seasons a clearly labelled training clock.

"Today" is pinned through the app's real-time source (`create_app(settings, real_now=...)`), never the
machine's date, so these tests mean the same on any day.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from services.peaks.app import create_app
from services.peaks.config import Settings
from services.peaks.domain import reference, service_clock
from services.peaks.domain.reference import KST

from .support import ACTIVE, SAFE_SEEDS, month_of, photo, register, upload

SERVICE_NAME = "peaks"
DECEMBER = datetime(2026, 12, 3, 10, 15, tzinfo=KST)
IN_SEASON = datetime(2026, 10, 15, 12, 0, tzinfo=KST)
PAGES = ("/ui/", "/ui/climb", "/ui/progress", "/ui/gallery", "/ui/stats", "/ui/review", "/ui/certificates")
BANNER = 'class="clock-banner"'


class FakeTime:
    """A real-time source the test moves by hand."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _settings(db_overrides, tmp_path, **extra) -> Settings:
    return Settings(**db_overrides, relay_enabled=False, autopilot_enabled=False, var_dir=tmp_path / "var", **extra)


def _client(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def test_training_day_is_two_weeks_before_the_season_ends():
    assert service_clock.training_day(reference.season("2026")) == date(2026, 11, 16)
    assert service_clock.latest_started(date(2026, 12, 3)).id == "2026"
    assert service_clock.latest_started(date(2028, 2, 29)).id == "2027"
    assert service_clock.latest_started(date(2019, 7, 31)) is None
    assert service_clock.training_season(date(2027, 1, 1)).id == "2026"  # 2027's training day is still ahead


def test_demo_mode_in_december_runs_a_training_clock_and_certifies(db_overrides, tmp_path):
    app = create_app(_settings(db_overrides, tmp_path), real_now=lambda: DECEMBER)
    now = app.state.platform.clock()
    # The same time of day on the training day of the latest season that has started.
    assert now.astimezone(KST) == datetime(2026, 11, 16, 10, 15, tzinfo=KST)
    with _client(app) as c:
        clock = c.get("/v1/about").json()["clock"]
        assert clock["mode"] == "training" and clock["service_date"] == "2026-11-16"
        assert clock["real_date"] == "2026-12-03" and clock["season_open"] == "2026"
        assert "no certification season is open on the real date 2026-12-03" in clock["reason"]
        season = c.get("/v1/seasons/current")
        assert season.status_code == 200 and season.json()["id"] == "2026"
        assert season.headers["service-clock"] == 'training;date="2026-11-16";real-date="2026-12-03"'

        cid, h = register(c, "Trainee")
        for i, code in enumerate(ACTIVE):
            r = upload(c, h, code, photo(code, seed=SAFE_SEEDS[i], month=month_of(i)))
            assert r.status_code == 201, r.text
            assert r.json()["verdict"] == "approved", r.text
            assert r.headers["service-clock"].startswith("training;")
        cert = c.get(f"/v1/climbers/{cid}/progress", headers=h).json()["certificate"]
        assert cert["number"] == "YA-2026-000001" and "medal" in cert["award_due"]  # granted or held for review
        assert c.get("/v1/seasons/current").json()["medals_remaining"] == 29_999


def test_every_page_shows_the_training_banner(db_overrides, tmp_path):
    app = create_app(_settings(db_overrides, tmp_path), real_now=lambda: DECEMBER)
    with _client(app) as c:
        for path in PAGES:
            r = c.get(path)
            assert r.status_code == 200, (path, r.text[:300])
            assert BANNER in r.text and 'data-clock-mode="training"' in r.text, path
            assert "Training clock" in r.text and "2026-11-16" in r.text and "2026-12-03" in r.text, path
            assert r.headers["service-clock"].startswith("training;"), path


def test_outside_demo_mode_december_is_real_time_and_refuses_uploads(db_overrides, tmp_path):
    settings = _settings(db_overrides, tmp_path, demo_mode=False, secret_key="oVmjBLztxzq4-yR0f_vgxKh2LTSUhLaRwgmSLD9KypM")
    app = create_app(settings, real_now=lambda: DECEMBER)
    assert app.state.platform.clock() == DECEMBER
    with _client(app) as c:
        clock = c.get("/v1/about").json()["clock"]
        assert clock["mode"] == "real" and clock["service_date"] == clock["real_date"] == "2026-12-03"
        assert clock["season_open"] is None and "no certification season is open today" in clock["reason"]
        assert c.get("/v1/seasons/current").status_code == 404
        _cid, h = register(c, "Winter")
        r = upload(c, h, "gajisan", photo("gajisan", seed=1))
        assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["type"].endswith("season-closed") and "no certification season is open today" in body["detail"]
        assert [e["field"] for e in body["errors"]] == ["peak"]
        assert r.headers["service-clock"] == 'real;date="2026-12-03";real-date="2026-12-03"'
        page = c.get("/ui/climb")
        assert page.status_code == 200 and BANNER not in page.text


def test_in_season_the_demo_uses_real_time_without_a_banner(db_overrides, tmp_path):
    app = create_app(_settings(db_overrides, tmp_path), real_now=lambda: IN_SEASON)
    assert app.state.platform.clock() == IN_SEASON
    with _client(app) as c:
        clock = c.get("/v1/about").json()["clock"]
        assert clock["mode"] == "real" and clock["service_date"] == "2026-10-15" and clock["season_open"] == "2026"
        for path in PAGES:
            r = c.get(path)
            assert r.status_code == 200 and BANNER not in r.text, path
        assert c.get("/v1/peaks").headers["service-clock"] == 'real;date="2026-10-15";real-date="2026-10-15"'


def test_clock_at_wins_over_the_training_clock(db_overrides, tmp_path):
    at = datetime(2026, 6, 1, 9, 0, tzinfo=KST)
    app = create_app(_settings(db_overrides, tmp_path, clock_at=at), real_now=lambda: DECEMBER)
    assert app.state.platform.clock() == at
    with _client(app) as c:
        clock = c.get("/v1/about").json()["clock"]
        assert clock["mode"] == "clock_at" and clock["service_date"] == "2026-06-01"
        assert "CLOCK_AT" in clock["reason"]
        page = c.get("/ui/")
        assert 'data-clock-mode="clock_at"' in page.text and "Clock set by CLOCK_AT" in page.text


def test_the_training_clock_runs_on_and_hands_over_once_a_season_can_be_finished(db_overrides, tmp_path):
    real = FakeTime(datetime(2026, 12, 31, 23, 59, 0, tzinfo=KST))
    app = create_app(_settings(db_overrides, tmp_path), real_now=real)
    clock = app.state.platform.clock
    first = clock.reading()
    assert first.mode == "training" and first.now == datetime(2026, 11, 16, 23, 59, tzinfo=KST)
    real.at += timedelta(seconds=30)
    assert clock() - first.now == timedelta(seconds=30)  # a running clock, not a frozen one
    # New Year: the 2027 season opens, but nobody can have finished 7 peaks at 2 a month: still training, no jump.
    real.at = datetime(2027, 1, 1, 0, 0, 5, tzinfo=KST)
    new_year = clock.reading()
    assert new_year.mode == "training" and new_year.now == datetime(2026, 11, 17, 0, 0, 5, tzinfo=KST)
    assert "the 2027 season" in new_year.reason and "too young" in new_year.reason
    # From 2 April photos of January to March and 1 April can complete the set: real time (a jump forward).
    real.at = datetime(2027, 4, 2, 9, 0, tzinfo=KST)
    after = clock.reading()
    assert after.mode == "real" and after.now == real.at and after.now > new_year.now


def test_on_new_years_day_the_training_clock_is_in_the_previous_season(db_overrides, tmp_path):
    app = create_app(_settings(db_overrides, tmp_path), real_now=lambda: datetime(2027, 1, 1, 9, 30, tzinfo=KST))
    reading = app.state.platform.clock.reading()
    assert reading.mode == "training" and reading.now == datetime(2026, 11, 16, 9, 30, tzinfo=KST)


def test_a_young_season_is_not_finishable_a_grown_one_is():
    s2027 = reference.season("2027")
    assert not service_clock.finishable(s2027, date(2027, 1, 1))
    assert not service_clock.finishable(s2027, date(2027, 4, 1))  # Jan, Feb, Mar: 6 peaks at most
    assert service_clock.finishable(s2027, date(2027, 4, 2))
    assert service_clock.finishable(reference.season("2019"), date(2019, 8, 1))  # earlier climbs counted


def test_training_clock_on_29_february_2028_uses_the_2027_season(db_overrides, tmp_path):
    real = FakeTime(datetime(2028, 2, 29, 9, 0, tzinfo=KST))
    app = create_app(_settings(db_overrides, tmp_path), real_now=real)
    clock = app.state.platform.clock
    reading = clock.reading()
    assert reading.mode == "training" and reading.now == datetime(2027, 11, 16, 9, 0, tzinfo=KST)
    assert reference.current_season(reading.now).id == "2027"
    real.at += timedelta(days=1, hours=1)  # past real midnight: the training day moves on by one day too
    assert clock().astimezone(KST) == datetime(2027, 11, 17, 10, 0, tzinfo=KST)


def test_a_clock_put_in_by_the_embedding_program_is_reported_as_pinned(db_overrides, tmp_path):
    app = create_app(_settings(db_overrides, tmp_path), real_now=lambda: IN_SEASON)
    pinned = datetime(2026, 5, 5, 12, 0, tzinfo=UTC)
    app.state.platform.clock = lambda: pinned
    reading = service_clock.reading_of(app.state.platform.clock)
    assert reading.mode == "pinned" and reading.now == pinned and reading.service_date == date(2026, 5, 5)


@pytest.mark.parametrize("real", [datetime(2026, 12, 1, 0, 0, tzinfo=KST), datetime(2027, 12, 31, 23, 59, tzinfo=KST)])
def test_between_seasons_the_training_clock_is_inside_the_latest_started_season(real):
    clock = service_clock.ServiceClock(demo_mode=True, real_now=lambda: real)
    reading = clock.reading()
    season = reference.current_season(reading.now)
    assert reading.mode == "training" and season is not None
    assert season.id == service_clock.latest_started(reference.today_kst(real)).id
    assert reading.now.astimezone(KST).time() == real.astimezone(KST).time()
