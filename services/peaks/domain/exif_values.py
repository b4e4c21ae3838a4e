"""Tolerant reading of single EXIF values (numbers, rationals, text, degrees-minutes-seconds, N/S E/W
coordinates) for `exif`: hostile or broken values become None with a note, never an exception."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

MAX_TEXT = 64  # camera make/model are short; longer values are truncated (and noted)
MAX_RAW_TEXT = 256  # date, offset and ref strings longer than this are refused outright


class Notes:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, msg: str) -> None:
        if len(self.items) < 50:  # a hostile file must not make the problem list itself enormous
            self.items.append(msg)


def shorten(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_number(value: Any) -> float | None:
    """A finite float from an int, float, IFDRational or (num, den) pair; None for anything else."""
    if isinstance(value, bool):
        return None
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        num, den = value
        if den == 0:
            return None
        value = num / den
    try:
        if (
            hasattr(value, "numerator")
            and hasattr(value, "denominator")
            and not isinstance(value, int | float)
        ):
            den = value.denominator
            if not den:  # Pillow's IFDRational with a zero denominator is NaN
                return None
            value = value.numerator / den
        result = float(value) if isinstance(value, int | float) else None
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None
    return result if result is not None and math.isfinite(result) else None


def as_text(value: Any) -> str | None:
    """A str from str/bytes with trailing NULs stripped; None for other types."""
    if isinstance(value, bytes):
        if len(value) > MAX_RAW_TEXT * 64:
            return None
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.replace("\x00", " ").strip()


def read_dms(value: Any, name: str, notes: Notes) -> float | None:
    if value is None:
        return None
    if not isinstance(value, tuple | list) or len(value) != 3:
        kind = "a single number" if as_number(value) is not None else type(value).__name__
        notes.add(
            f"{name} should be three rationals (degrees, minutes, seconds), got {kind}: {shorten(value)}."
        )
        return None
    parts = [as_number(v) for v in value]
    if any(p is None for p in parts):
        notes.add(
            f"{name} contains a value that is not a finite number (NaN, zero denominator or text): {shorten(value)}."
        )
        return None
    d, m, s = (p for p in parts if p is not None)
    if d < 0 or not 0 <= m < 60 or not 0 <= s < 60:
        notes.add(f"{name} has degrees/minutes/seconds out of range: {d}, {m}, {s}.")
        return None
    return d + m / 60 + s / 3600


def read_ref(value: Any, allowed: str, name: str, notes: Notes) -> str | None:
    text = as_text(value)
    if text is None or len(text) > MAX_RAW_TEXT or text.upper() not in allowed:
        notes.add(f"{name} is missing or not one of {', '.join(allowed)}: {shorten(value)}.")
        return None
    return text.upper()


def read_coordinate(
    gps: Mapping[int, Any], tag: int, ref_tag: int, refs: str, limit: float, name: str, notes: Notes
) -> float | None:
    if gps.get(tag) is None:
        return None
    degrees = read_dms(gps.get(tag), name, notes)
    ref = read_ref(gps.get(ref_tag), refs, f"{name}Ref", notes)
    if degrees is None or ref is None:
        return None
    if degrees > limit:
        notes.add(f"{name} {degrees:.6f} is outside -{limit:g}..{limit:g} degrees.")
        return None
    return -degrees if ref == refs[1] else degrees
