"""Parse a driver's spoken roadkill report (Korean or English transcript) into species, lane and side hints."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from services.roadkill.reference import SpeciesList, default_species

# A spoken report is a sentence or two. Only the start of longer input is analysed, which bounds
# the work on any input (the HTTP layer still rejects oversized bodies).
MAX_ANALYSED_CHARS = 2000
MAX_FUZZY_TOKENS = 60

# Korean particles and endings that may follow a one-syllable noun ("개가", "뱀이에요").
_PARTICLES = frozenset(
    "이 가 은 는 을 를 도 만 의 에 랑 과 와 한 이다 이에요 예요 이요 요 같아요 같은 인데 인지 있어요 들 들이 한마리 두마리 새끼".split()
)
# Korean counters: "타이어 두 개" is two tyres, not a dog.
_NUMERALS = frozenset("한 두 세 네 다섯 여섯 일곱 여덟 아홉 열 몇 여러".split())
# Aliases that name more than one species, so a match is weaker evidence.
_AMBIGUOUS = frozenset(
    {"deer", "돼지", "pig", "hog", "swine", "wild cat", "wildcat", "raccoon", "racoon", "견"}
)

CONFIDENCE_CANONICAL = 0.95
CONFIDENCE_ALIAS = 0.85
CONFIDENCE_AMBIGUOUS = 0.6
CONFIDENCE_FUZZY = 0.55
CONFIDENCE_GENERIC = 0.2  # "an animal", "roadkill": certainly a report, species unknown
CONFLICT_FACTOR = 0.75  # two different species named in one report

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


@dataclass(frozen=True, slots=True)
class _Match:
    species: str
    alias: str
    confidence: float
    position: int


def _clean(text: str) -> str:
    """NFKC, case-folded; control/format characters and punctuation become spaces."""
    text = unicodedata.normalize("NFKC", text[:MAX_ANALYSED_CHARS]).casefold()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        out.append(ch if cat[0] in "LN" or ch == "-" else " ")
    return " ".join("".join(out).split())


def _language(text: str) -> str:
    hangul = sum(1 for ch in text if "\uac00" <= ch <= "\ud7a3" or "\u3131" <= ch <= "\u318e")
    latin = sum(1 for ch in text if "a" <= ch <= "z")
    return "en" if latin > hangul else "ko"


def _within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance ≤ 1, in linear time."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


_UNSEEN = object()
_FUZZY_CACHE_SIZE = 20_000


def _deletions(text: str) -> set[str]:
    """The string itself and every string made by deleting one of its characters."""
    return {text} | {text[:k] + text[k + 1:] for k in range(len(text))}


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("es") and word[-3] in "sxh":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


class _Lexicon:
    """Alias tables built once per species list."""

    def __init__(self, species: SpeciesList) -> None:
        self.ko: list[tuple[str, str, float]] = []
        self.en: dict[tuple[str, ...], tuple[str, float]] = {}
        for sp in species.by_code.values():
            canonical = {sp.name_ko.casefold(), sp.name_en.casefold()}
            for alias in sp.aliases_ko:
                self.ko.append(
                    (_clean(alias).replace(" ", ""), sp.code, self._weight(alias, canonical, sp.code))
                )
            for alias in sp.aliases_en:
                words = tuple(_singular(w) for w in _clean(alias).split())
                self.en[words] = (sp.code, self._weight(alias, canonical, sp.code))
        self.ko.sort(key=lambda a: -len(a[0]))  # longest first: "개구리" before "개"
        self.max_words = max((len(k) for k in self.en), default=1)
        self.fuzzy: dict[int, list[tuple[str, tuple[str, float]]]] = {}
        for words, value in self.en.items():
            phrase = " ".join(words)
            if len(phrase) >= 5 and value[0] != "unknown":
                self.fuzzy.setdefault(len(words), []).append((phrase, value))
        # Deletion index (the SymSpell idea): two strings within one edit always share a string
        # that is either of them or one of them less one character, so only aliases sharing one
        # of the phrase's deletions are compared, not the whole list.
        self.fuzzy_index: dict[int, dict[str, list[int]]] = {}
        # Phrases recur ("on the road", "there is"): their answer is kept (bounded, cleared when full).
        self._fuzzy_cache: dict[str, tuple[str, tuple[str, float]] | None] = {}
        for n, aliases in self.fuzzy.items():
            index = self.fuzzy_index[n] = {}
            for pos, (alias, _value) in enumerate(aliases):
                for key in _deletions(alias):
                    index.setdefault(key, []).append(pos)

    @staticmethod
    def _weight(alias: str, canonical: set[str], code: str) -> float:
        a = alias.casefold()
        if code == "unknown":
            return CONFIDENCE_GENERIC
        if a in _AMBIGUOUS:
            return CONFIDENCE_AMBIGUOUS
        return CONFIDENCE_CANONICAL if a in canonical else CONFIDENCE_ALIAS

    def match_ko(self, tokens: list[str]) -> list[_Match]:
        found = []
        for pos, token in enumerate(tokens):
            if not any("\uac00" <= ch <= "\ud7a3" for ch in token):
                continue
            for alias, code, conf in self.ko:
                if alias not in token:
                    continue
                if len(alias) == 1:
                    rest = token[1:] if token.startswith(alias) else None
                    if rest is None or (rest and rest not in _PARTICLES):
                        continue
                    if pos > 0 and (tokens[pos - 1] in _NUMERALS or tokens[pos - 1].isdigit()):
                        continue
                found.append(_Match(code, alias, conf, pos))
                break  # longest alias in this token wins
        return found

    def match_en(self, tokens: list[str]) -> list[_Match]:
        words = [_singular(t) for t in tokens]
        found, i = [], 0
        while i < len(words):
            hit = self._exact_en(words, i) or (self._fuzzy_en(words, i) if i < MAX_FUZZY_TOKENS else None)
            if hit:
                found.append(hit[0])
                i += hit[1]
            else:
                i += 1
        return found

    def _exact_en(self, words: list[str], i: int) -> tuple[_Match, int] | None:
        for n in range(min(self.max_words, len(words) - i), 0, -1):
            key = tuple(words[i : i + n])
            if key in self.en:
                code, conf = self.en[key]
                return _Match(code, " ".join(key), conf, i), n
        return None

    def _fuzzy_en(self, words: list[str], i: int) -> tuple[_Match, int] | None:
        """One typo per alias ("racon dog", "phesent"); only aliases of 5+ letters, too short otherwise."""
        for n in range(min(self.max_words, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + n])
            if len(phrase) < 5 or n not in self.fuzzy:
                continue
            hit = self._fuzzy_cache.get(phrase, _UNSEEN)
            if hit is _UNSEEN:
                hit = self._fuzzy_phrase(phrase, n)
                if len(self._fuzzy_cache) >= _FUZZY_CACHE_SIZE:
                    self._fuzzy_cache.clear()
                self._fuzzy_cache[phrase] = hit
            if hit is not None:
                alias, (code, conf) = hit
                return _Match(code, alias, min(conf, CONFIDENCE_FUZZY), i), n
        return None

    def _fuzzy_phrase(self, phrase: str, n: int) -> tuple[str, tuple[str, float]] | None:
        """The first alias of n words, in list order, within one edit of the phrase (as a scan would find)."""
        index, aliases = self.fuzzy_index[n], self.fuzzy[n]
        for pos in sorted({p for key in _deletions(phrase) for p in index.get(key, ())}):
            if _within_one_edit(phrase, aliases[pos][0]):
                return aliases[pos]
        return None


# Keyed by identity; the species list is kept in the value so its id cannot be reused by another object.
_LEXICONS: dict[int, tuple[SpeciesList, _Lexicon]] = {}


def _lexicon(species: SpeciesList) -> _Lexicon:
    entry = _LEXICONS.get(id(species))
    if entry is None:
        entry = _LEXICONS[id(species)] = (species, _Lexicon(species))
    return entry[1]


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
    lex = _lexicon(species or default_species())
    clean = _clean(text)
    language = _language(clean)
    tokens = clean.split()
    matches = lex.match_ko(tokens) + lex.match_en(tokens)
    specific = [m for m in matches if m.species != "unknown"]
    roadkill = any(c in clean for c in _ROADKILL) or any(m.species == "unknown" for m in matches)
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
        lane=_lane(clean),
        side=_side(clean),
        language=language,
        roadkill_mentioned=roadkill,
    )
