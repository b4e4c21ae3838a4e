"""One detector for Korean resident registration numbers (주민등록번호), used by every service.

PIPA Art. 24-2 forbids processing resident registration numbers on consent alone and none of the
three services needs one, so any text that holds one is refused (a field that should never hold one)
or redacted before it is stored (free text that must be accepted: a driver's transcript).

The number (Resident Registration Act, 주민등록법, Art. 7-2; format in its Enforcement Rule Art. 2):
YYMMDD-GNNNNNN, 13 digits — the birth date, a gender/century digit G (1, 2 born 1900-1999; 3, 4 born
2000-2099; 5-8 the same for foreign residents' registration numbers, 외국인등록번호), then six more.
Numbers issued before 5 October 2020 end in a mod-11 check digit; since that date the Ministry of the
Interior and Safety assigns the digits after G at random (the regional code and the check digit were
dropped). A failing check digit therefore never clears a number: a real date and a gender digit in
13 digits is enough to refuse or redact. `RRNMatch.checksum_valid` only reports whether the old rule
holds (and `check_digit_applies` whether the birth date allows it: the new scheme for everyone born
since October 2020).

What counts as writing one (the evasions a security test used): Unicode NFKC per character (full-width
digits and hyphens), any script's decimal digits (`unicodedata.digit`: Arabic-Indic, Devanagari, …),
format and combining characters ignored (zero-width space/joiners, word joiner, BOM, soft hyphen,
bidi marks), and between the groups a short run (≤ 4 characters) of separators: white space
(newline included), any dash or hyphen, U+2212 minus, `/`, `\\`, `.`, `_`, `,`, `·`. The digits must be
grouped as a person writes the number — 13 together, or the date part as 6, 2+2+2 or 6 single digits
and the rest as 7, 1+6 or 7 single digits, or the date with its gender digit as 7 and then 6 — and the window must use whole groups of digits, so a
slice of a longer number (a 16-digit card number) or a series of phone numbers is not one.
Pure: standard library only.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["MASK", "RRNFound", "RRNMatch", "assert_no_rrn", "checksum_valid", "contains_rrn", "find_rrns",
           "redact", "redact_payload", "rrn_paths"]

MASK = "******-*******"
# Gender/century digit → the century of the birth date.
_CENTURY = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000, "8": 2000}
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
NEW_SCHEME = date(2020, 10, 5)  # numbers assigned from this day on carry random digits, no check digit
_SEPARATORS = frozenset(" /\\._,·\u2212\u2043\u02d7\u2796\u30fb")
_IGNORED_CATEGORIES = frozenset({"Cf", "Mn", "Me"})
_MAX_GAP = 4
# How the 6 date digits and the 7 others may be grouped (lengths of the digit groups, in order).
_DATE_SHAPES = ((6,), (2, 2, 2), (1,) * 6)
_REST_SHAPES = ((7,), (1, 6), (1,) * 7)
_SHAPES = [(13,), (7, 6)] + [d + r for d in _DATE_SHAPES for r in _REST_SHAPES]
_DIGIT, _SEP, _OTHER, _INVISIBLE = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class RRNMatch:
    """Where a resident registration number sits in the text as given (`text[start:end]`)."""

    start: int
    end: int
    digits: str
    checksum_valid: bool
    check_digit_applies: bool


class RRNFound(ValueError):
    """A payload contains a resident registration number; `paths` names the offending fields."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        super().__init__("resident registration numbers may not be stored or shared (PIPA Art. 24-2); "
                         f"remove them from: {', '.join(paths)}")


def checksum_valid(digits: str) -> bool:
    """The pre-October-2020 check digit: (11 - Σ dᵢ·wᵢ mod 11) mod 10 == d₁₃."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=False))
    return (11 - total % 11) % 10 == int(digits[12])


def _birth_date(digits: str) -> date | None:
    century = _CENTURY.get(digits[6])
    if century is None:
        return None
    try:
        return date(century + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return None


def _kind(ch: str) -> tuple[int, str]:
    if ch.isspace() or ch in _SEPARATORS or unicodedata.category(ch) == "Pd":
        return _SEP, ""
    d = unicodedata.digit(ch, None)
    return (_DIGIT, str(d)) if d is not None else (_OTHER, "")


def _classify(ch: str) -> tuple[tuple[int, str], ...]:
    """What one character reads as, after NFKC (full-width digits, ⑩ → two digits, invisible marks)."""
    if ch.isascii():
        return ((_DIGIT, ch),) if "0" <= ch <= "9" else (_kind(ch),)
    if unicodedata.category(ch) in _IGNORED_CATEGORIES:
        return ((_INVISIBLE, ""),)
    return tuple((_INVISIBLE, "") if unicodedata.category(c) in _IGNORED_CATEGORIES else _kind(c)
                 for c in unicodedata.normalize("NFKC", ch))


# Characters seen before (a text repeats few distinct characters: Hangul, digits, spaces), bounded.
_SEEN: dict[str, tuple[tuple[int, str], ...]] = {}
_SEEN_MAX = 8192


def _chars(text: str, start: int, end: int) -> Iterator[tuple[int, int, str]]:
    seen = _SEEN
    for i in range(start, end):
        ch = text[i]
        kinds = seen.get(ch)
        if kinds is None:
            if len(seen) >= _SEEN_MAX:
                seen.clear()
            kinds = seen[ch] = _classify(ch)
        for kind, digit in kinds:
            yield i, kind, digit


# Runs of letters (Hangul, Latin…) end any number: the text is read in the stretches between them, and
# only a stretch with enough digits is read character by character. A run holding a numeric character
# (①, ²) is no letter run.
_LETTERS = re.compile(r"[^\W\d_]+")


def _stretches(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    for m in _LETTERS.finditer(text):
        if m.group().isalpha():
            if m.start() > pos:
                yield pos, m.start()
            pos = m.end()
    if pos < len(text):
        yield pos, len(text)


@dataclass(slots=True)
class _Atom:
    """A run of digits with nothing between them, and what lies between it and the run before."""

    digits: str
    start: int
    end: int
    link: int  # _SEP (a short run of separators), _INVISIBLE (only invisible characters) or _OTHER


def _atoms(text: str, start: int, end: int) -> list[_Atom]:
    atoms: list[_Atom] = []
    seps, invisible, broken, after_digit = 0, False, True, False
    for i, kind, digit in _chars(text, start, end):
        if kind == _DIGIT:
            if after_digit:
                atoms[-1].digits += digit
                atoms[-1].end = i + 1
            else:
                link = _OTHER if broken or seps > _MAX_GAP else _SEP if seps else _INVISIBLE if invisible else _OTHER
                atoms.append(_Atom(digit, i, i + 1, link))
            seps, invisible, broken, after_digit = 0, False, False, True
            continue
        after_digit = False
        if kind == _SEP:
            seps += 1
        elif kind == _INVISIBLE:
            invisible = True
        else:
            broken = True
    return atoms


def _boundaries(shape: tuple[int, ...]) -> frozenset[int]:
    return frozenset(sum(shape[:n]) for n in range(1, len(shape)))


_SHAPE_BOUNDARIES = [_boundaries(shape) for shape in _SHAPES]


def _enough_digits(text: str) -> bool:
    if text.isascii():
        return sum(c.isdigit() for c in text) >= 13
    return sum(1 for c in text if c.isnumeric()) >= 7  # ⑩ or ㉑ hold two digits


def find_rrns(text: str) -> list[RRNMatch]:
    """Every resident registration number in `text`, left to right, not overlapping.

    The digits form runs split by separators (where the groups of the number must split) and by
    invisible characters (where they may split or not: `8501\u200b011234567`, `85 01 01\u200b1234567`).
    """
    if not _enough_digits(text):
        return []
    found: list[RRNMatch] = []
    for start, end in _stretches(text):
        if end - start >= 7 and _enough_digits(text[start:end]):
            found += _scan(_atoms(text, start, end))
    return found


def _scan(atoms: list[_Atom]) -> list[RRNMatch]:
    found: list[RRNMatch] = []
    k = 0
    while k < len(atoms):
        end = _match_from(atoms, k)
        if end is None:
            k += 1
            continue
        digits = "".join(a.digits for a in atoms[k:end])
        born = _birth_date(digits)
        assert born is not None
        found.append(RRNMatch(atoms[k].start, atoms[end - 1].end, digits, checksum_valid(digits),
                              check_digit_applies=born < NEW_SCHEME))
        k = end
    return found


def _match_from(atoms: list[_Atom], k: int) -> int | None:
    """The end (exclusive) of the runs from `k` that hold 13 digits written as a number, or None."""
    must: set[int] = set()
    may: set[int] = set()
    total = 0
    for j in range(k, len(atoms)):
        if j > k:
            if atoms[j].link == _OTHER:
                return None
            (must if atoms[j].link == _SEP else may).add(total)
        total += len(atoms[j].digits)
        if total > 13:
            return None
        if total == 13:
            fits = any(must <= b <= must | may for b in _SHAPE_BOUNDARIES)
            digits = "".join(a.digits for a in atoms[k:j + 1])
            return j + 1 if fits and _birth_date(digits) is not None else None
    return None


def contains_rrn(text: str) -> bool:
    """True if `text` holds a resident registration number, however it is written."""
    return bool(find_rrns(text))


def redact(text: str, mask: str = MASK) -> str:
    """`text` with every resident registration number replaced by `mask`; the rest is left as given."""
    matches = find_rrns(text)
    if not matches:
        return text
    parts, last = [], 0
    for m in matches:
        parts += [text[last:m.start], mask]
        last = m.end
    return "".join(parts) + text[last:]


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        yield path, str(value)  # a 13-digit integer field could hold one as well
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
    """Paths (`resident.notes`, `items[2]`) of every string or integer in `payload` holding one."""
    return [path or "(root)" for path, text in _walk(payload, "") if contains_rrn(text)]


def assert_no_rrn(payload: Any) -> None:
    """Raise RRNFound naming the fields if any value in `payload` holds one."""
    paths = rrn_paths(payload)
    if paths:
        raise RRNFound(paths)


def redact_payload(value: Any) -> Any:
    """`value` (JSON-like) with every string redacted; other values unchanged."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_payload(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_payload(v) for v in value]
    return value
