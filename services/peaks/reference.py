"""Loaders and typed views of the peaks reference data: peaks, municipalities and per-season rules."""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

# Season dates are Korean calendar dates; the programme runs on Korea Standard Time.
KST = timezone(timedelta(hours=9), "KST")

ROLES = frozenset({"managing", "partner"})
METHODS = frozenset({"photo-with-summit-stone", "photo-with-sign", "app-gps"})


class ReferenceDataError(ValueError):
    """A reference data file is missing, malformed or inconsistent; the message names the file and field."""


@dataclass(frozen=True, slots=True)
class Alias:
    name_en: str
    name_ko: str


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str
    name_en: str
    name_ko: str
    province_en: str
    province_ko: str
    role: str  # "managing" (Ulju-gun) or "partner"
    role_detail: str


@dataclass(frozen=True, slots=True)
class Peak:
    code: str
    name_en: str
    name_ko: str
    aliases: tuple[Alias, ...]
    elevation_m: int
    lat: float
    lon: float
    approximate: bool  # True unless the summit coordinates are well sourced (only Gajisan)
    coordinate_uncertainty_m: float  # how far the true summit stone may be from (lat, lon)
    source: str
    radius_m: float  # verification radius around the summit stone (2022 app rule: 100 m)
    municipalities: tuple[str, ...]

    def names(self) -> tuple[str, ...]:
        """Every name the peak is known by (English and Korean, main name and aliases)."""
        out = [self.code, self.name_en, self.name_ko]
        for a in self.aliases:
            out += [a.name_en, a.name_ko]
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Season:
    id: str
    year: int
    start_date: date
    capture_from: date | None  # None: photos from earlier climbs count (the 2019 launch rule)
    end_date: date  # last day a summit photo may be taken
    finish_deadline: date  # last day to submit and complete
    peaks: tuple[str, ...]
    method: str
    gps_required: bool
    sign_required: bool
    per_day_limit: int | None
    per_month_limit: int | None
    min_age: int | None
    medal_stock: int | None
    completions_per_year: int | None
    sources: tuple[str, ...]
    assumptions: Mapping[str, str] = field(default_factory=dict)

    def is_active(self, peak_code: str) -> bool:
        """True when the peak counts towards completion in this season."""
        return peak_code in self.peaks

    def covers(self, day: date) -> bool:
        """True when `day` (a KST date) lies between the season's start and its finish deadline."""
        return self.start_date <= day <= self.finish_deadline

    def capture_window(self) -> tuple[date | None, date]:
        """First and last KST date on which a qualifying summit photo may be taken."""
        return self.capture_from, self.end_date


@dataclass(frozen=True, slots=True)
class Reference:
    """All reference data, cross-checked; `version` strings say which file versions were loaded."""

    peaks: Mapping[str, Peak]
    municipalities: Mapping[str, Municipality]
    seasons: tuple[Season, ...]  # ordered by start_date
    versions: Mapping[str, str]


# --------------------------------------------------------------------------- low-level readers


def read_data_file(name: str, data_dir: Path | None = None) -> dict[str, Any]:
    """Read `data/<name>` as a JSON object that carries a `version` string."""
    path = (data_dir or DATA_DIR) / name
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReferenceDataError(f"{path}: file not found") from exc
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(doc, dict):
        raise ReferenceDataError(f"{path}: expected a JSON object at the top level")
    if not isinstance(doc.get("version"), str):
        raise ReferenceDataError(f"{path}: missing a `version` string (reference data must be versioned)")
    return doc


def _req(
    obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, *, optional: bool = False
) -> Any:
    if key not in obj:
        raise ReferenceDataError(f"{where}: missing `{key}`")
    value = obj[key]
    if value is None and optional:
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = "/".join(k.__name__ for k in kinds) + (" or null" if optional else "")
        raise ReferenceDataError(f"{where}.{key}: expected {names}, got {type(value).__name__} {value!r}")
    return value


def _optional_date(obj: Mapping[str, Any], key: str, where: str) -> date | None:
    return None if obj.get(key, "") is None else _date(obj, key, where)


def _date(obj: Mapping[str, Any], key: str, where: str) -> date:
    raw = _req(obj, key, str, where)
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ReferenceDataError(f"{where}.{key}: not an ISO date (YYYY-MM-DD): {raw!r}") from exc


def _limit(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    value = _req(obj, key, int, where, optional=True)
    if value is not None and value < 0:
        raise ReferenceDataError(f"{where}.{key}: must be >= 0 or null, got {value}")
    return value


def _list(obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
    return _req(obj, key, list, where)


# --------------------------------------------------------------------------- parsers


def parse_municipalities(doc: Mapping[str, Any]) -> dict[str, Municipality]:
    out: dict[str, Municipality] = {}
    for i, m in enumerate(_list(doc, "municipalities", "municipalities.json")):
        where = f"municipalities.json municipalities[{i}]"
        if not isinstance(m, dict):
            raise ReferenceDataError(f"{where}: expected an object")
        role = _req(m, "role", str, where)
        if role not in ROLES:
            raise ReferenceDataError(f"{where}.role: {role!r} is not one of {sorted(ROLES)}")
        code = _req(m, "code", str, where)
        if code in out:
            raise ReferenceDataError(f"{where}.code: duplicate code {code!r}")
        out[code] = Municipality(
            code=code,
            name_en=_req(m, "name_en", str, where),
            name_ko=_req(m, "name_ko", str, where),
            province_en=_req(m, "province_en", str, where),
            province_ko=_req(m, "province_ko", str, where),
            role=role,
            role_detail=_req(m, "role_detail", str, where),
        )
    if sum(m.role == "managing" for m in out.values()) != 1:
        raise ReferenceDataError("municipalities.json: exactly one municipality must have role 'managing'")
    return out


def parse_peaks(doc: Mapping[str, Any], municipalities: Mapping[str, Municipality]) -> dict[str, Peak]:
    out: dict[str, Peak] = {}
    for i, p in enumerate(_list(doc, "peaks", "peaks.json")):
        where = f"peaks.json peaks[{i}]"
        if not isinstance(p, dict):
            raise ReferenceDataError(f"{where}: expected an object")
        code = _req(p, "code", str, where)
        where = f"peaks.json peak {code!r}"
        if code in out:
            raise ReferenceDataError(f"{where}: duplicate code")
        lat = float(_req(p, "lat", (int, float), where))
        lon = float(_req(p, "lon", (int, float), where))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not (math.isfinite(lat) and math.isfinite(lon)):
            raise ReferenceDataError(f"{where}: lat/lon out of range: {lat}, {lon}")
        radius = float(_req(p, "radius_m", (int, float), where))
        uncertainty = float(_req(p, "coordinate_uncertainty_m", (int, float), where))
        if radius <= 0 or uncertainty < 0:
            raise ReferenceDataError(f"{where}: radius_m must be > 0 and coordinate_uncertainty_m >= 0")
        aliases = []
        for j, a in enumerate(_list(p, "aliases", where)):
            if not isinstance(a, dict):
                raise ReferenceDataError(f"{where}.aliases[{j}]: expected an object with name_en and name_ko")
            aliases.append(
                Alias(
                    _req(a, "name_en", str, f"{where}.aliases[{j}]"),
                    _req(a, "name_ko", str, f"{where}.aliases[{j}]"),
                )
            )
        munis = tuple(_list(p, "municipalities", where))
        unknown = [m for m in munis if m not in municipalities]
        if not munis or unknown:
            raise ReferenceDataError(
                f"{where}.municipalities: needs at least one known code; unknown: {unknown}"
            )
        out[code] = Peak(
            code=code,
            name_en=_req(p, "name_en", str, where),
            name_ko=_req(p, "name_ko", str, where),
            aliases=tuple(aliases),
            elevation_m=_req(p, "elevation_m", int, where),
            lat=lat,
            lon=lon,
            approximate=_req(p, "approximate", bool, where),
            coordinate_uncertainty_m=uncertainty,
            source=_req(p, "source", str, where),
            radius_m=radius,
            municipalities=munis,
        )
    return out


def parse_seasons(doc: Mapping[str, Any], peaks: Mapping[str, Peak]) -> tuple[Season, ...]:
    known_sources = _req(doc, "sources", dict, "seasons.json")
    out: list[Season] = []
    for i, s in enumerate(_list(doc, "seasons", "seasons.json")):
        where = f"seasons.json seasons[{i}]"
        if not isinstance(s, dict):
            raise ReferenceDataError(f"{where}: expected an object")
        sid = _req(s, "id", str, where)
        where = f"seasons.json season {sid!r}"
        start, end = _date(s, "start_date", where), _date(s, "end_date", where)
        capture_from, deadline = _optional_date(s, "capture_from", where), _date(s, "finish_deadline", where)
        if not start <= end <= deadline:
            raise ReferenceDataError(f"{where}: dates must satisfy start_date <= end_date <= finish_deadline")
        if capture_from is not None and capture_from > end:
            raise ReferenceDataError(f"{where}: capture_from is after end_date")
        codes = tuple(_list(s, "peaks", where))
        unknown = [c for c in codes if c not in peaks]
        if not codes or unknown or len(set(codes)) != len(codes):
            raise ReferenceDataError(f"{where}.peaks: needs distinct known peak codes; unknown: {unknown}")
        method = _req(s, "method", str, where)
        if method not in METHODS:
            raise ReferenceDataError(f"{where}.method: {method!r} is not one of {sorted(METHODS)}")
        sources = tuple(_list(s, "sources", where))
        if missing := [x for x in sources if x not in known_sources]:
            raise ReferenceDataError(f"{where}.sources: {missing} not defined in the top-level `sources`")
        assumptions = _req(s, "assumptions", dict, where)
        if not all(isinstance(v, str) for v in assumptions.values()):
            raise ReferenceDataError(f"{where}.assumptions: values must be explanatory strings")
        out.append(
            Season(
                id=sid,
                year=_req(s, "year", int, where),
                start_date=start,
                capture_from=capture_from,
                end_date=end,
                finish_deadline=deadline,
                peaks=codes,
                method=method,
                gps_required=_req(s, "gps_required", bool, where),
                sign_required=_req(s, "sign_required", bool, where),
                per_day_limit=_limit(s, "per_day_limit", where),
                per_month_limit=_limit(s, "per_month_limit", where),
                min_age=_limit(s, "min_age", where),
                medal_stock=_limit(s, "medal_stock", where),
                completions_per_year=_limit(s, "completions_per_year", where),
                sources=sources,
                assumptions=dict(assumptions),
            )
        )
    if len({s.id for s in out}) != len(out):
        raise ReferenceDataError("seasons.json: season ids must be unique")
    return tuple(sorted(out, key=lambda s: s.start_date))


def load(data_dir: Path | None = None) -> Reference:
    """Load and cross-check all three files from `data_dir` (default: the package's data folder)."""
    mdoc = read_data_file("municipalities.json", data_dir)
    pdoc = read_data_file("peaks.json", data_dir)
    sdoc = read_data_file("seasons.json", data_dir)
    municipalities = parse_municipalities(mdoc)
    peaks = parse_peaks(pdoc, municipalities)
    seasons = parse_seasons(sdoc, peaks)
    versions = {"municipalities": mdoc["version"], "peaks": pdoc["version"], "seasons": sdoc["version"]}
    return Reference(peaks=peaks, municipalities=municipalities, seasons=seasons, versions=versions)


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
