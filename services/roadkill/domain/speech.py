"""Parse a driver's spoken roadkill report (Korean or English transcript) into species, lane and side hints."""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.roadkill.domain.reference import SpeciesList, default_species
from services.roadkill.domain.species_lexicon import CONFIDENCE_GENERIC, CONFLICT_FACTOR, clean, lexicon

_LANES_KO = [
    (re.compile(r"(?:^|[^0-9])([1-4])\s?차\s?(?:로|선)"), None),
    (re.compile(r"(첫|일|1)\s?번째\s?차\s?(?:로|선)|(?<![가-힣])일\s?차\s?(?:로|선)"), "1st lane"),
    (re.compile(r"두\s?번째\s?차\s?(?:로|선)|(?<![가-힣])이\s?차로"), "2nd lane"),
    (re.compile(r"세\s?번째\s?차\s?(?:로|선)|(?<![가-힣])삼\s?차\s?(?:로|선)"), "3rd lane"),
    (re.compile(r"갓길|노견|길가|길섶|도로\s?가장자리"), "shoulder"),
    (re.compile(r"중앙\s?분리대|분리대|가드레일"), "median"),
    (re.compile(r"중앙선|도로\s?(?:한\s?)?가운데|한가운데|도로\s?중앙|도로\s?중간"), "center"),
]
_LANES_EN = [
    (re.compile(r"\b(?:1st|first|left|fast|passing|overtaking)\s+lane\b|\blane\s+(?:1|one)\b"), "1st lane"),
    (re.compile(r"\b(?:2nd|second)\s+lane\b|\blane\s+(?:2|two)\b"), "2nd lane"),
    (re.compile(r"\b(?:3rd|third)\s+lane\b|\blane\s+(?:3|three)\b"), "3rd lane"),
    (re.compile(r"\b(?:4th|fourth)\s+lane\b|\blane\s+(?:4|four)\b"), "4th lane"),
    (
        re.compile(r"\b(?:hard\s+)?shoulder\b|\bverge\b|\broadside\b|\bside of the road\b|\bkerb\b|\bcurb\b"),
        "shoulder",
    ),
    (
        re.compile(r"\bmedian\b|\bcentral reservation\b|\bdivider\b|\bcrash barrier\b|\bguard\s?rail\b"),
        "median",
    ),
    (re.compile(r"\bmiddle of the road\b|\bcent(?:er|re)(?:\s+line)?\b|\bmiddle lane\b"), "center"),
]
_ORDINAL = {"1": "1st lane", "2": "2nd lane", "3": "3rd lane", "4": "4th lane"}
_OPPOSITE_KO = (
    "반대편",
    "반대쪽",
    "반대차선",
    "반대차로",
    "반대방향",
    "맞은편",
    "건너편",
    "상대차선",
    "마주오는",
    "맞은쪽",
    "상행선",
    "하행선",
)
_SAME_KO = (
    "진행방향",
    "같은방향",
    "같은쪽",
    "내차선",
    "제차선",
    "우리차선",
    "이쪽차선",
    "가는방향",
    "바로앞",
    "앞에",
)
_OPPOSITE_EN = (
    "opposite",
    "other side",
    "oncoming",
    "other direction",
    "across the road",
    "other carriageway",
    "other way",
    "far side",
    "wrong side",
)
_SAME_EN = (
    "my lane",
    "my side",
    "same direction",
    "my direction",
    "ahead of me",
    "in front of me",
    "our side",
    "this side",
    "our lane",
    "same side",
)
_ROADKILL = (
    "로드킬",
    "roadkill",
    "road kill",
    "치인",
    "치였",
    "죽어",
    "죽은",
    "사체",
    "dead",
    "hit by",
    "run over",
    "carcass",
)


@dataclass(frozen=True, slots=True)
class ParsedTranscript:
    species: str  # species code from species.json, "unknown" when nothing was recognised
    species_confidence: float  # 0..1
    matched: str | None  # the alias that was recognised
    lane: str | None  # "1st lane".."4th lane" | "shoulder" | "median" | "center"
    side: str | None  # "same direction" | "opposite direction"
    language: str  # "ko" | "en"
    roadkill_mentioned: bool  # the driver said "roadkill", "dead", "치였" …


def _language(text: str) -> str:
    hangul = sum(1 for ch in text if "\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e")
    latin = sum(1 for ch in text if "a" <= ch <= "z")
    return "en" if latin > hangul else "ko"


def _lane(text: str) -> str | None:
    best: tuple[int, str] | None = None
    for pattern, label in _LANES_KO + _LANES_EN:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            value = label or _ORDINAL[m.group(1)]
            best = (m.start(), value)
    return best[1] if best else None


def _side(text: str) -> str | None:
    squashed = text.replace(" ", "")
    padded = f" {text} "
    # An explicit "opposite" cue beats "ahead" cues, which often co-occur ("반대편 앞에").
    if any(c in squashed for c in _OPPOSITE_KO) or any(f" {c} " in padded for c in _OPPOSITE_EN):
        return "opposite direction"
    if any(c in squashed for c in _SAME_KO) or any(f" {c} " in padded for c in _SAME_EN):
        return "same direction"
    return None


def parse_transcript(text: str, species: SpeciesList | None = None) -> ParsedTranscript:
    """Recognise species, lane and side in a transcript. Never raises; unknown input → species "unknown"."""
    if not isinstance(text, str):
        text = ""
    lex = lexicon(species or default_species())
    text = clean(text)
    language = _language(text)
    tokens = text.split()
    matches = lex.match_ko(tokens) + lex.match_en(tokens)
    specific = [m for m in matches if m.species != "unknown"]
    roadkill = any(c in text for c in _ROADKILL) or any(m.species == "unknown" for m in matches)
    if specific:
        best = max(specific, key=lambda m: (m.confidence, -m.position))
        conf = best.confidence
        if len({m.species for m in specific}) > 1:
            conf *= CONFLICT_FACTOR
        code, alias = best.species, best.alias
    else:
        generic = next((m for m in matches if m.species == "unknown"), None)
        code, alias = "unknown", generic.alias if generic else None
        conf = CONFIDENCE_GENERIC if generic or roadkill else 0.0
    return ParsedTranscript(
        species=code,
        species_confidence=round(max(0.0, min(1.0, conf)), 3),
        matched=alias,
        lane=_lane(text),
        side=_side(text),
        language=language,
        roadkill_mentioned=roadkill,
    )
