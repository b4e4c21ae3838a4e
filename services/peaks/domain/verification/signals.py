"""Signals of a forged or scripted certification set: a pure function from the set's evidence and the rules
table (`data/award_review.json`) to the reasons a person must look at the medal and first-place award.

Photos keep being approved one by one by `verify`; these signals look at what no single photo shows: the set
that completed the season (one approved photo per active peak) and the climber's registration. The rules,
their thresholds and the reason texts are data; this module only measures and compares.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

from shared.reference import Frozen, Items, Text, Versioned
from shared.reference import load as load_file

RULES_FILE = Path(__file__).resolve().parents[2] / "data" / "award_review.json"
Code = Literal["camera_missing", "maker_note_missing", "thumbnail_missing", "gps_on_reference_point",
               "round_capture_times", "capture_upload_lag", "camera_inconsistent", "upload_burst",
               "client_registrations"]


class Rule(Frozen):
    code: Code
    scope: Literal["photo", "set", "climber"]
    params: Mapping[str, int | float]
    reason: Text


class Rules(Versioned):
    source: Text
    rules: Items[Rule]


@cache
def rules() -> Rules:
    """The packaged rules table, loaded (and validated) once per process."""
    return load_file(RULES_FILE, Rules)


@dataclass(frozen=True, slots=True)
class PhotoEvidence:
    """What one photo of the set says about itself (read at upload; see `evidence_of`)."""

    make: str | None
    model: str | None
    maker_note: bool
    thumbnail: bool
    taken_at: datetime | None  # aware capture instant, if the photo records one
    uploaded_at: datetime  # aware
    distance_m: float | None  # from the catalogue's summit point, if the photo has GPS

    @property
    def camera(self) -> str | None:
        return " ".join(x for x in (self.make, self.model) if x) or None


@dataclass(frozen=True, slots=True)
class Signal:
    code: str
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)


def evidence_of(meta: Any) -> dict[str, Any]:
    """The camera facts of a photo's metadata (`exif.PhotoMetadata`) as stored on its row."""
    return {"make": meta.make, "model": meta.model, "maker_note": meta.maker_note, "thumbnail": meta.thumbnail}


def _per_photo(rule: Rule, photos: Sequence[PhotoEvidence]) -> list[PhotoEvidence]:
    p = rule.params
    match rule.code:
        case "camera_missing":
            return [x for x in photos if not (x.make and x.model)]
        case "maker_note_missing":
            return [x for x in photos if not x.maker_note]
        case "thumbnail_missing":
            return [x for x in photos if not x.thumbnail]
        case "gps_on_reference_point":
            return [x for x in photos if x.distance_m is not None and x.distance_m <= p["max_metres"]]
        case "round_capture_times":
            return [x for x in photos if x.taken_at is not None and x.taken_at.second == 0
                    and x.taken_at.microsecond == 0]
        case "capture_upload_lag":
            return [x for x in photos if x.taken_at is not None
                    and (x.uploaded_at - x.taken_at).total_seconds() > p["max_days"] * 86_400]
    raise AssertionError(rule.code)


def _set_signal(rule: Rule, photos: Sequence[PhotoEvidence]) -> dict[str, Any] | None:
    p = rule.params
    if rule.code == "camera_inconsistent":
        cameras = sorted({x.camera for x in photos if x.camera})
        if len(cameras) > p["max_distinct"]:
            return {"distinct": len(cameras), "cameras": ", ".join(cameras)}
        return None
    if rule.code == "upload_burst":
        if len(photos) < p["min_photos"]:
            return None
        uploads = [x.uploaded_at for x in photos]
        minutes = (max(uploads) - min(uploads)).total_seconds() / 60
        days = len({x.taken_at.date() for x in photos if x.taken_at is not None})
        return {"minutes": minutes, "days": days} if minutes <= p["window_minutes"] else None
    raise AssertionError(rule.code)


def evaluate(photos: Sequence[PhotoEvidence], registrations_from_client: int | None,
             table: Rules | None = None, *, earlier_climbs_count: bool = False) -> list[Signal]:
    """Every rule of the table that fires for this set, with its reason in words. Pure.

    `registrations_from_client`: climbers registered by the same client within the rule's window of this
    climber's registration (None when unknown, e.g. a climber registered before clients were recorded).
    `earlier_climbs_count`: the season accepts photos of climbs made before it started (rules marked
    `skip_if_earlier_climbs_count` then do not apply).
    """
    out: list[Signal] = []
    total = len(photos)
    for rule in (table or rules()).rules:
        p = dict(rule.params)
        if earlier_climbs_count and p.get("skip_if_earlier_climbs_count"):
            continue
        if rule.scope == "photo":
            hits = _per_photo(rule, photos)
            if total and len(hits) >= max(p["min_photos"], math.ceil(p["min_share"] * total)):
                facts = {"count": len(hits), "total": total, **p}
                out.append(Signal(rule.code, rule.reason.format(**facts), facts))
        elif rule.scope == "set":
            found = _set_signal(rule, photos)
            if found is not None:
                facts = {"total": total, **p, **found}
                out.append(Signal(rule.code, rule.reason.format(**facts), facts))
        elif registrations_from_client is not None and registrations_from_client > p["max_registrations"]:
            facts = {"count": registrations_from_client, **p}
            out.append(Signal(rule.code, rule.reason.format(**facts), facts))
    return out


def signals_json(signals: Sequence[Signal]) -> list[dict[str, Any]]:
    """As stored on the certificate and shown to the reviewer."""
    return [{"code": s.code, "reason": s.reason[:1].upper() + s.reason[1:] + ".", "details": dict(s.details)}
            for s in signals]


def client_window_hours() -> float:
    """The window `client_registrations` counts a client's registrations in (hours either side)."""
    return next(float(r.params["window_hours"]) for r in rules().rules if r.code == "client_registrations")
