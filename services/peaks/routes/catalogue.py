"""Reference data as the API shows it: the peaks and the current season's rules (versioned data files)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from services.peaks import reference
from services.peaks.models import SeasonCounter
from services.peaks.photos import now_of
from services.peaks.routes.deps import platform_of
from services.peaks.schemas import PeakPublic, PeaksPublic, SeasonPublic
from shared.auth import PUBLIC
from shared.errors import Problem

router = APIRouter(prefix="/v1", tags=["catalogue"])


@router.get("/peaks", response_model=PeaksPublic, dependencies=[PUBLIC])
def list_peaks(request: Request) -> PeaksPublic:
    """The nine peaks (names, aliases, summit coordinates with source and `approximate` flag, radius,
    municipalities); `active` says whether a peak counts in the current season."""
    season = reference.current_season(now_of(platform_of(request)))
    ref = reference.reference()
    return PeaksPublic(items=[PeakPublic.of(p, season) for p in ref.peaks.values()],
                       season=season.id if season else None, versions=dict(ref.versions))


@router.get("/seasons/current", response_model=SeasonPublic, dependencies=[PUBLIC],
            responses={404: {"description": "No season is open today"}})
def current_season(request: Request) -> SeasonPublic:
    """The rules of the season open today (dates, active peaks, limits, minimum age, medal stock)."""
    p = platform_of(request)
    s = reference.current_season(now_of(p))
    if s is None:
        raise Problem(404, "no-season", "No certification season is open today; the next one starts on 1 January.")
    with p.db.read_session() as db:
        counter = db.execute(select(SeasonCounter.medals_remaining, SeasonCounter.completions)
                             .where(SeasonCounter.season_id == s.id)).first()
    return SeasonPublic(
        id=s.id, year=s.year, start_date=s.start_date, capture_from=s.capture_from, end_date=s.end_date,
        finish_deadline=s.finish_deadline, peaks=list(s.peaks), method=s.method, gps_required=s.gps_required,
        sign_required=s.sign_required, per_day_limit=s.per_day_limit, per_month_limit=s.per_month_limit,
        min_age=s.min_age, medal_stock=s.medal_stock,
        medals_remaining=counter.medals_remaining if counter else s.medal_stock,
        completions=counter.completions if counter else 0, completions_per_year=s.completions_per_year,
        sources=list(s.sources), assumptions=dict(s.assumptions), version=reference.reference().versions["seasons"])
