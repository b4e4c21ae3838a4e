"""Transcript parsing: species, lane and side hints in Korean and English; robustness on any string."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.roadkill.domain import species_lexicon
from services.roadkill.domain.reference import default_species
from services.roadkill.domain.speech import parse_transcript

SPECIES = set(default_species().by_code)


@pytest.mark.parametrize(
    ("text", "species", "lane", "side", "language"),
    [
        ("고라니가 1차로에 죽어 있어요", "water_deer", "1st lane", None, "ko"),
        ("고라니 한마리 갓길에 있어요", "water_deer", "shoulder", None, "ko"),
        ("반대편 차선에 너구리", "raccoon_dog", None, "opposite direction", "ko"),
        ("진행 방향 2차로에 고양이가 치였어요", "cat", "2nd lane", "same direction", "ko"),
        ("개가 중앙분리대 옆에 죽어 있어요", "dog", "median", None, "ko"),
        ("삵이 도로 한가운데", "leopard_cat", "center", None, "ko"),
        ("멧돼지", "wild_boar", None, None, "ko"),
        ("길 위에 청개구리 여러 마리", "frog_toad", None, None, "ko"),
        ("로드킬 신고", "unknown", None, None, "ko"),
        ("there's a dead deer on the shoulder", "water_deer", "shoulder", None, "en"),
        ("a leopard cat in the left lane", "leopard_cat", "1st lane", None, "en"),
        ("Dead RACCOON DOG, oncoming side!", "raccoon_dog", None, "opposite direction", "en"),
        ("wild boars in lane 2", "wild_boar", "2nd lane", None, "en"),
        ("phesant in my lane", "pheasant", None, "same direction", "en"),
        ("racon dog on the road", "raccoon_dog", None, None, "en"),
    ],
)
def test_examples(text: str, species: str, lane: str | None, side: str | None, language: str) -> None:
    p = parse_transcript(text)
    assert (p.species, p.lane, p.side, p.language) == (species, lane, side, language)


def test_confidence_orders_evidence() -> None:
    exact = parse_transcript("고라니").species_confidence
    vague = parse_transcript("a deer").species_confidence
    typo = parse_transcript("racon dog").species_confidence
    generic = parse_transcript("로드킬 신고")
    nothing = parse_transcript("안녕하세요")
    assert exact > vague > typo > generic.species_confidence > nothing.species_confidence == 0.0
    assert generic.roadkill_mentioned and not nothing.roadkill_mentioned


def test_one_syllable_names_need_a_word_boundary() -> None:
    assert parse_transcript("타이어 두 개가 떨어져 있어요").species == "unknown"  # a counter, not a dog
    assert parse_transcript("안개가 심해요").species == "unknown"  # fog
    assert parse_transcript("개구리").species == "frog_toad"


def test_conflicting_species_lower_confidence() -> None:
    assert (
        parse_transcript("고양이 아니면 개구리").species_confidence
        < parse_transcript("고양이").species_confidence
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\x00\x01\x1b[31m",
        "\u202e\u05e9\u05dc\u05d5\u05dd",
        "🦌" * 1000,
        "고라니" * 40_000,
        "a" * 100_000,
        "(" * 50_000 + "1차로",
        "\ud800",
    ],
)
def test_hostile_inputs(text: str) -> None:
    p = parse_transcript(text)
    assert p.species in SPECIES and 0.0 <= p.species_confidence <= 1.0


def test_non_string_is_unknown() -> None:
    assert parse_transcript(None).species == "unknown"  # type: ignore[arg-type]


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_never_raises(text: str) -> None:
    p = parse_transcript(text)
    assert p.species in SPECIES
    assert 0.0 <= p.species_confidence <= 1.0
    assert p.language in ("ko", "en")
    assert p.side in (None, "same direction", "opposite direction")
    assert p.lane in (None, "1st lane", "2nd lane", "3rd lane", "4th lane", "shoulder", "median", "center")


@given(
    st.sampled_from(["고라니", "너구리", "고양이", "멧돼지", "오소리", "노루", "까치", "꿩", "뱀"]),
    st.sampled_from(["", "가", "이", "를", "는", "도"]),
    st.text(alphabet="차로에 있어요 .!", max_size=20),
)
def test_particles_and_trailing_speech_do_not_hide_the_species(name: str, particle: str, tail: str) -> None:
    assert parse_transcript(f"{name}{particle} {tail}").species != "unknown"


def _fuzzy_by_scan(lex, words: list[str], i: int):
    """The reference: every alias of the phrase's word count compared in list order."""
    for n in range(min(lex.max_words, len(words) - i), 0, -1):
        phrase = " ".join(words[i: i + n])
        if len(phrase) < 5:
            continue
        for alias, (code, conf) in lex.fuzzy.get(n, ()):
            if species_lexicon.within_one_edit(phrase, alias):
                return species_lexicon.Match(code, alias, min(conf, species_lexicon.CONFIDENCE_FUZZY), i), n
    return None


_LEX_ALIASES = sorted({a for group in species_lexicon.lexicon(default_species()).fuzzy.values() for a, _v in group})


@settings(max_examples=400, deadline=None)
@given(alias=st.sampled_from(_LEX_ALIASES), edits=st.lists(
    st.tuples(st.sampled_from("sid"), st.integers(0, 40), st.sampled_from("abcdehnorst -")), max_size=2),
    before=st.lists(st.sampled_from(["the", "a", "dead", "on", "road", "big"]), max_size=3))
def test_fuzzy_index_finds_what_a_full_scan_finds(alias, edits, before):
    """The deletion index is only a shortcut: same alias, same span as comparing every alias."""
    text = alias
    for op, k, ch in edits:
        k = min(k, len(text))
        text = {"s": text[:k] + ch + text[k + 1:], "i": text[:k] + ch + text[k:], "d": text[:k] + text[k + 1:]}[op]
    lex = species_lexicon.lexicon(default_species())
    words = [*before, *text.split(), "there"]
    for i in range(len(words)):
        assert lex._fuzzy_en(words, i) == _fuzzy_by_scan(lex, words, i)
