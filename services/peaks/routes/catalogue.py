"""Reference data as the API shows it: the peaks and the current season's rules (versioned data files)."""
from __future__ import annotations

from fastapi import APIRouter

from services.peaks.flows import catalogue
from services.peaks.schemas import PeaksPublic, SeasonPublic
from shared.auth import PUBLIC
from shared.deps import PlatformDep
from shared.errors import Problem

router = APIRouter(prefix="/v1", tags=["catalogue"])


@router.get("/peaks", response_model=PeaksPublic, dependencies=[PUBLIC])
def list_peaks(platform: PlatformDep) -> PeaksPublic:
    """The nine peaks (names, aliases, summit coordinates with source and `approximate` flag, radius,
    municipalities); `active` says whether a peak counts in the current season."""
    return catalogue.peaks(platform)


@router.get("/seasons/current", response_model=SeasonPublic, dependencies=[PUBLIC],
            responses={404: {"description": "No season is open today"}})
def current_season(platform: PlatformDep) -> SeasonPublic:
    """The rules of the season open today (dates, active peaks, limits, minimum age, medal stock)."""
    season = catalogue.current_season(platform)
    if season is None:
        raise Problem(404, "no-season", "No certification season is open today; the next one starts on 1 January.")
    return season
