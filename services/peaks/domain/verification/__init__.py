"""The summit-photo verdict: a pure function from image facts, metadata, rules and history to checks and a decision.

Aggregation (documented once, here): every check ends pass, warn, fail or skip.
  * any fail  -> "rejected"     (a hard rule is broken: wrong place, wrong time, reused bytes, limits, age)
  * any warn  -> "needs_review" (a soft doubt a person should resolve: no GPS, no EXIF, odd altitude,
                                 clocks that disagree, near-duplicate of another climber's photo)
  * otherwise -> "approved"
The score (0..100) orders the review queue; it never overrides the verdict.
"""

from __future__ import annotations

from datetime import datetime

from services.peaks.domain.exif import PhotoMetadata
from services.peaks.domain.imaging import ImageError, ImageFacts
from services.peaks.domain.reference import Peak, Season
from services.peaks.domain.verification import capture, checks
from services.peaks.domain.verification.capture import capture_day, capture_instant, distance_m
from services.peaks.domain.verification.verdict import (
    DEFAULT_PARAMS,
    Check,
    History,
    Result,
    Verdict,
    VerdictName,
    VerificationParams,
    checks_json,
)

# Score bands per verdict keep a score-sorted review queue consistent with the verdicts.
SCORE_BANDS: dict[VerdictName, tuple[int, int]] = {
    "rejected": (0, 40),
    "needs_review": (41, 79),
    "approved": (80, 100),
}

__all__ = [
    "DEFAULT_PARAMS",
    "Check",
    "History",
    "Result",
    "Verdict",
    "VerdictName",
    "VerificationParams",
    "aggregate",
    "capture_day",
    "capture_instant",
    "checks_json",
    "distance_m",
    "verify",
]


def aggregate(results: list[Check], p: VerificationParams) -> tuple[VerdictName, int]:
    """Verdict by the rule in the module docstring; score = weighted share of passes (warn = half), banded."""
    seen = {c.result for c in results}
    verdict: VerdictName = "rejected" if "fail" in seen else "needs_review" if "warn" in seen else "approved"
    value = {"pass": 1.0, "warn": 0.5, "fail": 0.0}
    scored = [
        (p.weights.get(c.code, p.default_weight), value[c.result]) for c in results if c.result != "skip"
    ]
    total = sum(w for w, _ in scored)
    score = round(100 * sum(w * v for w, v in scored) / total) if total else 0
    # Keep score bands consistent with the verdict so a sorted queue never surprises a reviewer.
    low, high = SCORE_BANDS[verdict]
    return verdict, min(max(score, low), high)


def verify(
    *,
    facts: ImageFacts | ImageError,
    meta: PhotoMetadata,
    peak: Peak,
    season: Season,
    climber_birth_year: int | None,
    now: datetime,
    history: History,
    params: VerificationParams = DEFAULT_PARAMS,
) -> Verdict:
    """Judge one summit photo. Pure: no I/O, no clock (pass `now`, aware), no randomness.

    `facts` is imaging.inspect()'s result, or the ImageError it raised (the refusal becomes a failed check).
    """
    if now.tzinfo is None:
        raise ValueError("`now` must be an aware datetime")
    results = checks.image_checks(facts, params)
    results += capture.position_checks(meta, peak, season, params)
    results += capture.time_checks(meta, season, now, params)
    results += checks.programme_checks(
        facts=facts,
        peak=peak,
        season=season,
        birth_year=climber_birth_year,
        now=now,
        history=history,
        day=capture_day(meta, now, params),
        p=params,
    )
    verdict, score = aggregate(results, params)
    return Verdict(
        verdict=verdict, score=score, checks=tuple(results), peak_code=peak.code, season_id=season.id
    )
