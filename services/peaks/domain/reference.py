"""Models and accessors of the peaks reference data: peaks, municipalities and per-season rules."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, ValidationInfo, field_validator, model_validator

from shared.reference import Coded, Frozen, Items, Versioned
from shared.reference import (
    ReferenceDataError as ReferenceDataError,  # re-exported: callers catch it from here
)
from shared.reference import load as load_file

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Season dates are Korean calendar dates; the programme runs on Korea Standard Time.
KST = timezone(timedelta(hours=9), "KST")

Role = Literal["managing", "partner"]
Method = Literal["photo-with-summit-stone", "photo-with-sign", "app-gps"]
ROLES = frozenset(get_args(Role))
METHODS = frozenset(get_args(Method))


class Alias(Frozen):
    name_en: str
    name_ko: str


class Municipality(Frozen):
    code: str
    name_en: str
    name_ko: str
    province_en: str
    province_ko: str
    role: Role  # "managing" (Ulju-gun) or "partner"
    role_detail: str


class Municipalities(Versioned):
    """municipalities.json: the five municipalities; exactly one manages the programme."""

    municipalities: Coded[Municipality]

    @model_validator(mode="after")
    def _one_managing(self) -> Municipalities:
        if sum(m.role == "managing" for m in self.municipalities) != 1:
            raise ValueError("exactly one municipality must have role 'managing'")
        return self


class Peak(Frozen):
    code: str
    name_en: str
    name_ko: str
    aliases: Items[Alias]
    elevation_m: int
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
    approximate: bool  # True unless the summit coordinates are well sourced (only Gajisan)
    coordinate_uncertainty_m: Annotated[float, Field(ge=0)]  # how far the true summit stone may be from (lat, lon)
    source: str
    radius_m: Annotated[float, Field(gt=0)]  # verification radius around the summit stone (2022 app rule: 100 m)
    municipalities: Items[str]

    @field_validator("municipalities")
    @classmethod
    def _known_municipalities(cls, codes: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        known = (info.context or {}).get("municipalities")
        unknown = [m for m in codes if known is not None and m not in known]
        if not codes or unknown:
            raise ValueError(f"needs at least one known code; unknown: {unknown}")
        return codes

    def names(self) -> tuple[str, ...]:
        """Every name the peak is known by (English and Korean, main name and aliases)."""
        out = [self.code, self.name_en, self.name_ko]
        for a in self.aliases:
            out += [a.name_en, a.name_ko]
        return tuple(out)


class Peaks(Versioned):
    """peaks.json: the summits; validate with context {"municipalities": codes} to check their municipalities."""

    peaks: Coded[Peak]


Limit = Annotated[int, Field(ge=0)] | None  # a count that must be >= 0, or null for "no limit / unknown"
# Medals: a finite stock for the first N finishers (0: the season awards none), or every finisher gets one.
MedalStock = Annotated[int, Field(ge=0)] | Literal["unlimited"]


class Season(Frozen):
    id: str
    year: int
    start_date: date
    capture_from: date | None  # None: photos from earlier climbs count (the 2019 launch rule)
    end_date: date  # last day a summit photo may be taken
    finish_deadline: date  # last day to submit and complete
    peaks: Items[str]
    method: Method
    gps_required: bool
    sign_required: bool
    per_day_limit: Limit
    per_month_limit: Limit
    min_age: Limit
    medal_stock: MedalStock
    completions_per_year: Limit
    sources: Items[str]
    assumptions: Mapping[str, str]

    @field_validator("peaks")
    @classmethod
    def _known_peaks(cls, codes: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        known = (info.context or {}).get("peaks")
        unknown = [c for c in codes if known is not None and c not in known]
        if not codes or unknown or len(set(codes)) != len(codes):
            raise ValueError(f"needs distinct known peak codes; unknown: {unknown}")
        return codes

    @model_validator(mode="after")
    def _dates_in_order(self) -> Season:
        if not self.start_date <= self.end_date <= self.finish_deadline:
            raise ValueError("dates must satisfy start_date <= end_date <= finish_deadline")
        if self.capture_from is not None and self.capture_from > self.end_date:
            raise ValueError("capture_from is after end_date")
        return self

    @property
    def awards_medals(self) -> bool:
        return self.medal_stock != 0

    @property
    def finite_medal_stock(self) -> int | None:
        """The number of medals, or None when every finisher gets one ("unlimited")."""
        return None if self.medal_stock == "unlimited" else self.medal_stock

    def is_active(self, peak_code: str) -> bool:
        """True when the peak counts towards completion in this season."""
        return peak_code in self.peaks

    def covers(self, day: date) -> bool:
        """True when `day` (a KST date) lies between the season's start and its finish deadline."""
        return self.start_date <= day <= self.finish_deadline

    def capture_window(self) -> tuple[date | None, date]:
        """First and last KST date on which a qualifying summit photo may be taken."""
        return self.capture_from, self.end_date


class Seasons(Versioned):
    """seasons.json: per-season rules; validate with context {"peaks": codes} to check their peaks."""

    sources: Mapping[str, str]
    seasons: Items[Season]

    @model_validator(mode="after")
    def _cited_and_distinct(self) -> Seasons:
        for i, s in enumerate(self.seasons):
            if missing := [x for x in s.sources if x not in self.sources]:
                raise ValueError(f"seasons[{i}].sources: {missing} not defined in the top-level `sources`")
        if len({s.id for s in self.seasons}) != len(self.seasons):
            raise ValueError("season ids must be unique")
        return self


@dataclass(frozen=True, slots=True)
class Reference:
    """All reference data, cross-checked; `version` strings say which file versions were loaded."""

    peaks: Mapping[str, Peak]
    municipalities: Mapping[str, Municipality]
    seasons: tuple[Season, ...]  # ordered by start_date
    versions: Mapping[str, str]


def load(data_dir: Path | None = None) -> Reference:
    """Load and cross-check all three files from `data_dir` (default: the package's data folder)."""
    folder = data_dir or DATA_DIR
    m = load_file(folder / "municipalities.json", Municipalities)
    municipalities = {x.code: x for x in m.municipalities}
    p = load_file(folder / "peaks.json", Peaks, context={"municipalities": municipalities})
    peaks = {x.code: x for x in p.peaks}
    s = load_file(folder / "seasons.json", Seasons, context={"peaks": peaks})
    return Reference(
        peaks=peaks,
        municipalities=municipalities,
        seasons=tuple(sorted(s.seasons, key=lambda x: x.start_date)),
        versions={"municipalities": m.version, "peaks": p.version, "seasons": s.version},
    )


@cache
def reference() -> Reference:
    """The packaged reference data, loaded once per process."""
    return load()


# --------------------------------------------------------------------------- lookups


def peaks() -> Mapping[str, Peak]:
    return reference().peaks


def municipalities() -> Mapping[str, Municipality]:
    return reference().municipalities


def seasons() -> tuple[Season, ...]:
    return reference().seasons


def season(season_id: str) -> Season:
    """The season with this id; KeyError names the known ids."""
    for s in seasons():
        if s.id == season_id:
            return s
    raise KeyError(f"unknown season {season_id!r}; known: {[s.id for s in seasons()]}")


def today_kst(now: datetime) -> date:
    """The Korean calendar date of an aware datetime (naive values are refused: ambiguity breeds bugs)."""
    if now.tzinfo is None:
        raise ValueError("need an aware datetime (with a UTC offset), got a naive one")
    return now.astimezone(KST).date()


def current_season(today: date | datetime, all_seasons: tuple[Season, ...] | None = None) -> Season | None:
    """The season open on `today` (a KST date, or an aware datetime), or None between seasons.

    Seasons may overlap (2019 gave two years to finish); the one that started most recently wins.
    """
    day = today_kst(today) if isinstance(today, datetime) else today
    open_now = [s for s in (all_seasons if all_seasons is not None else seasons()) if s.covers(day)]
    return max(open_now, key=lambda s: s.start_date) if open_now else None


def _fold(name: str) -> str:
    return "".join(unicodedata.normalize("NFC", name).casefold().split()).replace("-", "")


def find_peak(name: str) -> Peak | None:
    """Resolve a code, English or Korean name or alias ("Sajabong", "사자봉", "Chwiseosan") to a peak."""
    key = _fold(name)
    for p in peaks().values():
        if any(_fold(n) == key for n in p.names()):
            return p
    return None
