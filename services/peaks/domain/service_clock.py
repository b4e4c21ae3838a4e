"""Which day the peaks service believes it is, and why: the service clock.

Photos are accepted only inside a certification season (1 January – 30 November), so a trainer
running the demo in December would have nothing to show. The clock has three modes:

- `real`     real time. Always outside demo mode; in demo mode whenever a season is open on the real
             (Korean) date. Between seasons uploads are then refused with a clear `no-season` problem.
- `clock_at` demo mode with `CLOCK_AT` set: the clock starts at that instant and runs on (it wins over
             the training clock).
- `training` demo mode, no `CLOCK_AT`, and no season open on the real date — or the open season is so
             young that nobody can have finished it yet under its limits (January–March with 7 peaks and at
             most 2 a month), so a demo could show no certificate: the clock runs inside the latest season
             whose *training day* has come, on that day at the real time of day, and runs on from there.
             The training day is `TRAINING_DAYS_BEFORE_END` days before the season's last capture/finish
             day: almost the whole season lies behind it, so climbers can finish, and two weeks of running
             time remain inside it. The shift is a whole number of days (never forward), fixed when the
             training clock first starts, so service time never jumps back. When real time becomes usable
             while the service runs (a season opens and can be finished), the clock goes back to `real`
             (a jump forward).

Every response says which mode is on (`Service-Clock` header, see `header_value`); `/v1/about` carries
`clock` (`describe`) and every trainer page shows a banner unless the clock is `real`.

The real time comes from `real_now` (default: the system clock), which tests replace to pin "today".
A program embedding the service may still put any callable into `Platform.clock`; that clock is then
reported as `pinned`.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from services.peaks.domain import reference
from services.peaks.domain.reference import Season

Mode = Literal["real", "clock_at", "training", "pinned"]
RealNow = Callable[[], datetime]

HEADER = "Service-Clock"
TRAINING_DAYS_BEFORE_END = 14


def system_now() -> datetime:
    """The machine's real time (aware, UTC)."""
    return datetime.now(UTC)


def training_day(season: Season) -> date:
    """The day a training clock starts on inside `season`: two weeks before its last day."""
    last = min(season.end_date, season.finish_deadline)
    return max(season.start_date, last - timedelta(days=TRAINING_DAYS_BEFORE_END))


def latest_started(day: date, seasons: tuple[Season, ...] | None = None) -> Season | None:
    """The season that started most recently on or before `day` (open or not), else None."""
    started = [s for s in (seasons if seasons is not None else reference.seasons()) if s.start_date <= day]
    return max(started, key=lambda s: s.start_date) if started else None


def training_season(day: date, seasons: tuple[Season, ...] | None = None) -> Season | None:
    """The latest season whose training day is on or before `day` (a training clock never runs ahead)."""
    ready = [s for s in (seasons if seasons is not None else reference.seasons()) if training_day(s) <= day]
    return max(ready, key=lambda s: s.start_date) if ready else None


def finishable(season: Season, day: date) -> bool:
    """Could a climber have photographed every active peak of `season` on the days before `day`, within its
    per-day and per-month limits? (No for the first months of a season limited to 2 peaks a month.)"""
    if season.capture_from is None:
        return True  # photos from earlier climbs count
    last = min(season.end_date, day - timedelta(days=1))
    days_per_month: dict[tuple[int, int], int] = {}
    d = season.capture_from
    while d <= last:
        days_per_month[(d.year, d.month)] = days_per_month.get((d.year, d.month), 0) + 1
        d += timedelta(days=1)
    per_day = season.per_day_limit or len(season.peaks)
    per_month = season.per_month_limit or len(season.peaks)
    return sum(min(per_month, n * per_day) for n in days_per_month.values()) >= len(season.peaks)


@dataclass(frozen=True)
class Reading:
    """One reading of the service clock: the service's time, the real time and why they differ."""

    mode: Mode
    now: datetime
    real_now: datetime
    reason: str

    @property
    def service_date(self) -> date:
        return reference.today_kst(self.now)

    @property
    def real_date(self) -> date:
        return reference.today_kst(self.real_now)

    def describe(self) -> dict[str, Any]:
        season = reference.current_season(self.now)
        return {"mode": self.mode, "service_time": self.now.isoformat(), "service_date": self.service_date.isoformat(),
                "real_date": self.real_date.isoformat(), "season_open": season.id if season else None,
                "reason": self.reason}

    def header_value(self) -> str:
        """An RFC 8941 structured-field item: `training;date="2026-11-16";real-date="2026-12-03"`."""
        return f'{self.mode};date="{self.service_date.isoformat()}";real-date="{self.real_date.isoformat()}"'


class ServiceClock:
    """The clock of one peaks app; call it for the service's current time (aware)."""

    def __init__(self, *, demo_mode: bool, clock_at: datetime | None = None, real_now: RealNow = system_now):
        self.demo_mode = demo_mode
        self.real_now = real_now
        self.clock_at = clock_at
        self._clock_at_offset = clock_at - real_now() if clock_at is not None else None
        self._training: tuple[Season, timedelta] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        return self.reading().now

    def reading(self) -> Reading:
        real = self.real_now()
        if self._clock_at_offset is not None:
            assert self.clock_at is not None
            return Reading("clock_at", real + self._clock_at_offset, real,
                           f"CLOCK_AT is set: the clock started at {self.clock_at.isoformat()} and runs on from there.")
        today = reference.today_kst(real)
        open_season = reference.current_season(today)
        if open_season is not None and (not self.demo_mode or _finishable(open_season.id, today)):
            return Reading("real", real, real, f"Real time: the {open_season.id} certification season is open today.")
        if not self.demo_mode:
            return Reading("real", real, real, "Real time: no certification season is open today, so photos "
                                               "cannot be submitted (a training clock exists in demo mode only).")
        training = self._anchor(today)
        if training is None:
            return Reading("real", real, real, "Real time: no certification season has come far enough for a "
                                               "training clock." if open_season is None else
                                               f"Real time: the {open_season.id} certification season is open today.")
        season, shift = training
        why = (f"no certification season is open on the real date {today.isoformat()}" if open_season is None else
               f"the {open_season.id} season, open on the real date {today.isoformat()}, is too young for anyone to "
               f"have finished it ({_limits(open_season)})")
        return Reading("training", real + shift, real,
                       f"Demo mode: {why}, so the service runs a training clock inside the {season.id} season. "
                       f"It started on {training_day(season).isoformat()} at the real time of day and runs on "
                       "from there.")

    def _anchor(self, today: date) -> tuple[Season, timedelta] | None:
        with self._lock:
            if self._training is None:
                season = training_season(today)
                if season is None:
                    return None
                self._training = (season, timedelta(days=(training_day(season) - today).days))
            return self._training


@lru_cache(maxsize=32)
def _finishable(season_id: str, day: date) -> bool:
    return finishable(reference.season(season_id), day)  # read on every request: once per season and day


def _limits(season: Season) -> str:
    out = f"{len(season.peaks)} peaks"
    if season.per_month_limit:
        out += f", at most {season.per_month_limit} a month"
    if season.per_day_limit:
        out += f", at most {season.per_day_limit} a day"
    return out


def reading_of(clock: Callable[[], datetime]) -> Reading:
    """The current reading of a service's clock (`Platform.clock`, a `ServiceClock` from start-up; a
    clock a program put there instead is reported as `pinned`)."""
    if isinstance(clock, ServiceClock):
        return clock.reading()
    real = system_now()
    return Reading("pinned", clock(), real, "The clock was set by the program running the service "
                                            "(a test or a benchmark), not by its settings.")


def describe(clock: Callable[[], datetime]) -> dict[str, Any]:
    """The `clock` field of `/v1/about`."""
    return reading_of(clock).describe()
