"""Detect Korean resident registration numbers (주민등록번호) in text and nested payloads, so none is stored or sent.

PIPA Art. 24-2 forbids processing resident registration numbers on consent alone; the hub
never needs one, so any string that looks like one is refused or redacted at the boundary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

# YYMMDD, an optional separator (hyphen, dash or spaces), then G + 6 digits. The look-arounds
# keep the 13 digits from being a slice of a longer number (account numbers, long ids).
_CANDIDATE = re.compile(
    r"(?<![0-9])([0-9]{2})([0-9]{2})([0-9]{2})[ \t]*[-‐‑‒–—―﹣]?[ \t]*([1-8])([0-9]{6})(?![0-9])"
)
# Gender/century digit: 1,2,5,6 born 1900-1999 (5,6 foreign residents); 3,4,7,8 born 2000-2099.
_CENTURY = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000, "8": 2000}
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


@dataclass(frozen=True, slots=True)
class RRNMatch:
    """Where an RRN-shaped number sits in the normalised text, and whether its check digit holds."""

    start: int
    end: int
    checksum_valid: bool


class RRNFound(ValueError):
    """A payload contains a resident registration number; `paths` names the offending fields."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        super().__init__(
            "resident registration numbers may not be stored or shared (PIPA Art. 24-2); "
            f"remove them from: {', '.join(paths)}"
        )


def _normalise(text: str) -> str:
    # NFKC folds full-width digits (０-９) and the full-width hyphen to ASCII without moving
    # other characters much; positions in RRNMatch refer to this normalised text.
    return unicodedata.normalize("NFKC", text)


def checksum_valid(digits: str) -> bool:
    """The pre-October-2020 check digit: (11 - Σ dᵢ·wᵢ mod 11) mod 10 == d₁₃.

    Numbers issued since October 2020 have a random last digit, so a failing checksum never
    clears a number; a passing one only adds confidence.
    """
    if len(digits) != 13 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=False))
    return (11 - total % 11) % 10 == int(digits[12])


def _plausible_birth_date(yy: str, mm: str, dd: str, gender: str) -> bool:
    try:
        date(_CENTURY[gender] + int(yy), int(mm), int(dd))
    except ValueError:
        return False
    return True


def find_rrns(text: str) -> list[RRNMatch]:
    """Every RRN-shaped number in `text`: a real calendar date plus a gender digit 1-8."""
    out = []
    for m in _CANDIDATE.finditer(_normalise(text)):
        yy, mm, dd, gender, rest = m.groups()
        if _plausible_birth_date(yy, mm, dd, gender):
            out.append(RRNMatch(m.start(), m.end(), checksum_valid(yy + mm + dd + gender + rest)))
    return out


def contains_rrn(text: str) -> bool:
    """True if `text` contains something that looks like a resident registration number."""
    # Cheap pre-check: fewer than 13 digits cannot hold one, and most strings are short.
    if sum(c.isdigit() for c in text) < 13:
        return False
    return bool(find_rrns(text))


def redact(text: str, mask: str = "******-*******") -> str:
    """`text` (normalised) with every RRN replaced by `mask`, for logs and error messages."""
    norm = _normalise(text)
    parts, last = [], 0
    for m in find_rrns(norm):
        parts += [norm[last : m.start], mask]
        last = m.end
    return "".join(parts) + norm[last:]


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        yield path, str(value)  # a 13-digit integer field could hold an RRN as well
    elif isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                yield f"{child} (key)", key
            yield from _walk(item, child)
    elif isinstance(value, list | tuple | set | frozenset):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]")


def rrn_paths(payload: Any) -> list[str]:
    """Paths (`resident.notes`, `items[2]`) of every string or integer in `payload` holding an RRN."""
    return [path or "(root)" for path, text in _walk(payload, "") if contains_rrn(text)]


def assert_no_rrn(payload: Any) -> None:
    """Raise RRNFound naming the fields if any value in `payload` holds an RRN."""
    paths = rrn_paths(payload)
    if paths:
        raise RRNFound(paths)
