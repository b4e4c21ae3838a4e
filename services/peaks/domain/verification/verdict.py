"""Data types of a summit-photo verdict: thresholds, the caller-supplied history, checks and the verdict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Literal

from services.peaks.domain.imaging import DEFAULT_MAX_BYTES

Result = Literal["pass", "fail", "warn", "skip"]
VerdictName = Literal["approved", "needs_review", "rejected"]


@dataclass(frozen=True, slots=True)
class VerificationParams:
    """Thresholds not owned by the season or peak data; change them here, not in the code."""

    # Credit the phone's stated accuracy (GPSHPositioningError), but only up to a cap, so a
    # photo claiming "±5 km" cannot stretch the 100 m rule.
    hpos_error_cap_m: float = 50.0
    # Phone GPS altitude is ellipsoidal or barometric and often 30-100 m off; 150 m catches a
    # valley photo (the peaks rise 600+ m above their valleys) without flagging honest summits.
    altitude_tolerance_m: float = 150.0
    # Capture time may run ahead of the server clock by this much (phones drift a little).
    clock_skew: timedelta = timedelta(minutes=10)
    # DateTimeOriginal and GPS time of a genuine photo agree within minutes (GPS time is the last fix).
    time_consistency: timedelta = timedelta(minutes=10)
    # Without OffsetTimeOriginal the camera's wall clock is taken to be Korea Standard Time.
    default_offset: timedelta = timedelta(hours=9)
    # pHash distances (our measurements; the threshold is our assumption): re-compression/resizing -> 0-2
    # bits, different photos of the same spot -> 24+; 8-10 separates reuse from coincidence.
    near_duplicate_threshold: int = 10
    near_duplicate_action: Literal["review", "reject"] = "review"
    allowed_formats: frozenset[str] = frozenset({"jpeg", "png", "webp", "heic"})
    max_bytes: int = DEFAULT_MAX_BYTES
    min_side_px: int = 320  # smaller than this, no person can recognise a summit stone
    weights: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType(
            {
                "distance": 30,
                "capture_in_season": 15,
                "exact_duplicate": 20,
                "near_duplicate": 15,
                "gps_present": 15,
            }
        )
    )
    default_weight: int = 5


DEFAULT_PARAMS = VerificationParams()


@dataclass(frozen=True, slots=True)
class History:
    """What the caller knows from the database about this climber and this photo.

    `approved_today` / `approved_this_month` count the climber's approved certifications in this
    season on the KST day / month of this photo's capture (see `capture_day`), because the
    programme's limits are about climbing days, not upload days.
    """

    exact_duplicate: bool = False  # a stored photo has the same SHA-256
    nearest_distance: int | None = None  # smallest pHash distance to ANOTHER climber's photo
    nearest_mirrored: bool = False  # that distance was measured against the mirrored hash
    approved_today: int = 0
    approved_this_month: int = 0
    peak_already_approved: bool = False  # this peak is already certified for the climber this season


@dataclass(frozen=True, slots=True)
class Check:
    code: str
    result: Result
    reason: str  # one human-readable sentence with the figures
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: VerdictName
    score: int
    checks: tuple[Check, ...]
    peak_code: str
    season_id: str

    def by_code(self, code: str) -> Check:
        return next(c for c in self.checks if c.code == code)

    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.result == "fail")

    def doubts(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.result == "warn")


def checks_json(verdict: Verdict) -> list[dict[str, Any]]:
    """The checks as stored on the photo row (JSON: NaN becomes null, other values their text)."""
    return [{"code": c.code, "result": c.result, "reason": c.reason, "details": _jsonable(dict(c.details))}
            for c in verdict.checks]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
