"""The species lexicon of the speech parser: alias tables (Korean and English) built once per species
list, exact and one-edit fuzzy matching, and the confidence each kind of match carries."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from services.roadkill.domain.reference import SpeciesList

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


@dataclass(frozen=True, slots=True)
class Match:
    species: str
    alias: str
    confidence: float
    position: int


def clean(text: str) -> str:
    """NFKC, case-folded; control/format characters and punctuation become spaces."""
    text = unicodedata.normalize("NFKC", text[:MAX_ANALYSED_CHARS]).casefold()
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        out.append(ch if cat[0] in "LN" or ch == "-" else " ")
    return " ".join("".join(out).split())


def within_one_edit(a: str, b: str) -> bool:
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


class Lexicon:
    """Alias tables built once per species list."""

    def __init__(self, species: SpeciesList) -> None:
        self.ko: list[tuple[str, str, float]] = []
        self.en: dict[tuple[str, ...], tuple[str, float]] = {}
        for sp in species.by_code.values():
            canonical = {sp.name_ko.casefold(), sp.name_en.casefold()}
            for alias in sp.aliases_ko:
                self.ko.append(
                    (clean(alias).replace(" ", ""), sp.code, self._weight(alias, canonical, sp.code))
                )
            for alias in sp.aliases_en:
                words = tuple(_singular(w) for w in clean(alias).split())
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

    def match_ko(self, tokens: list[str]) -> list[Match]:
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
                found.append(Match(code, alias, conf, pos))
                break  # longest alias in this token wins
        return found

    def match_en(self, tokens: list[str]) -> list[Match]:
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

    def _exact_en(self, words: list[str], i: int) -> tuple[Match, int] | None:
        for n in range(min(self.max_words, len(words) - i), 0, -1):
            key = tuple(words[i : i + n])
            if key in self.en:
                code, conf = self.en[key]
                return Match(code, " ".join(key), conf, i), n
        return None

    def _fuzzy_en(self, words: list[str], i: int) -> tuple[Match, int] | None:
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
                return Match(code, alias, min(conf, CONFIDENCE_FUZZY), i), n
        return None

    def _fuzzy_phrase(self, phrase: str, n: int) -> tuple[str, tuple[str, float]] | None:
        """The first alias of n words, in list order, within one edit of the phrase (as a scan would find)."""
        index, aliases = self.fuzzy_index[n], self.fuzzy[n]
        for pos in sorted({p for key in _deletions(phrase) for p in index.get(key, ())}):
            if within_one_edit(phrase, aliases[pos][0]):
                return aliases[pos]
        return None


# Keyed by identity; the species list is kept in the value so its id cannot be reused by another object.
_LEXICONS: dict[int, tuple[SpeciesList, Lexicon]] = {}


def lexicon(species: SpeciesList) -> Lexicon:
    entry = _LEXICONS.get(id(species))
    if entry is None:
        entry = _LEXICONS[id(species)] = (species, Lexicon(species))
    return entry[1]
