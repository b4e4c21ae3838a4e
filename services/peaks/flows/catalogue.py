"""Reference data as the API shows it: the peaks, and the current season's rules with its counters."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from services.peaks.domain import reference
from services.peaks.models import SeasonCounter
from services.peaks.schemas import PeakPublic, PeaksPublic, SeasonPublic

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform


def peaks(platform: PeaksPlatform) -> PeaksPublic:
    """The nine peaks, each saying whether it counts in the season open today."""
    season = reference.current_season(platform.clock())
    ref = reference.reference()
    return PeaksPublic(items=[PeakPublic.of(p, season) for p in ref.peaks.values()],
                       season=season.id if season else None, versions=dict(ref.versions))


def current_season(platform: PeaksPlatform) -> SeasonPublic | None:
    """The rules of the season open today with its medals and completions so far; None between seasons."""
    s = reference.current_season(platform.clock())
    if s is None:
        return None
    with platform.db.read_session() as db:
        counter = db.execute(select(SeasonCounter.medals_remaining, SeasonCounter.completions)
                             .where(SeasonCounter.season_id == s.id)).first()
    return SeasonPublic(
        id=s.id, year=s.year, start_date=s.start_date, capture_from=s.capture_from, end_date=s.end_date,
        finish_deadline=s.finish_deadline, peaks=list(s.peaks), method=s.method, gps_required=s.gps_required,
        sign_required=s.sign_required, per_day_limit=s.per_day_limit, per_month_limit=s.per_month_limit,
        min_age=s.min_age, medal_stock=s.medal_stock,
        medals_remaining=counter.medals_remaining if counter else s.finite_medal_stock,
        completions=counter.completions if counter else 0, completions_per_year=s.completions_per_year,
        sources=list(s.sources), assumptions=dict(s.assumptions), version=reference.reference().versions["seasons"])
