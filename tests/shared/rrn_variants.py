"""Ways of writing a resident registration number, for the detector's and the services' tests:
the variants a security test got past the old filter (issue 14, M2) and Hypothesis strategies that
generate more (dates, gender digits, digit scripts, separators, invisible characters, groupings)."""
from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

# Each holds 850101-1234567 (or a real number of the same shape).
ISSUE_VARIANTS = [
    "850101\u200b-1234567", "850101-\u200b1234567", "850101\u00ad1234567", "850101\u22121234567",
    "850101\n1234567", "850101--1234567", "850101/1234567", "850101.1234567", "850101_1234567",
    "8 5 0 1 0 1 - 1 2 3 4 5 6 7", "٨٥٠١٠١-١٢٣٤٥٦٧", "८५०१०१-१२३४५६७", "𝟖𝟓𝟎𝟏𝟎𝟏-𝟏𝟐𝟑𝟒𝟓𝟔𝟕",
    "85 01 01 1234567", "850101-1-234567", "８５０１０１\u200d１２３４５６７", "850101-1234567",
]

# Zero digits of scripts with decimal digits; NFKC folds the full-width and mathematical ones to ASCII,
# `unicodedata.digit` reads the others.
DIGIT_ZEROS = [0x30, 0xFF10, 0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0x1040, 0x1D7CE, 0x1D7D8, 0x1D7EC]
SEPARATORS = ["-", "", " ", "  ", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\ufe63", "\uff0d",
              "\u2212", "\u00ad", "\n", "\r\n", "\t", "--", " - ", "/", ".", "_", ",", "\u3000", "\u00a0"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f", "\u202a", "\u2066"]
GROUPINGS = ["13", "6+7", "6+1+6", "2+2+2+7", "singles", "singles+7", "6+singles"]


@st.composite
def rrns(draw) -> str:
    """13 ASCII digits: a real birth date, its century's gender digit (Korean or foreign), six more."""
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
    gender = draw(st.sampled_from("1256" if born.year < 2000 else "3478"))
    rest = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    return f"{born:%y%m%d}{gender}{rest}"


@st.composite
def written(draw, digits: str) -> str:
    """`digits` as someone might write them to get past a filter."""
    zero = draw(st.sampled_from(DIGIT_ZEROS))
    glyphs = [chr(zero + int(d)) for d in digits]
    sep = draw(st.sampled_from(SEPARATORS))
    small = draw(st.sampled_from([" ", "", "\u200b", "-", "."])) if sep else ""
    grouping = draw(st.sampled_from(GROUPINGS))
    date_part, rest = "".join(glyphs[:6]), "".join(glyphs[6:])
    spaced_date = small.join(glyphs[:6]) if small else " ".join(glyphs[:6])
    spaced_rest = small.join(glyphs[6:]) if small else " ".join(glyphs[6:])
    text = {
        "13": date_part + rest,
        "6+7": date_part + sep + rest,
        "6+1+6": date_part + sep + glyphs[6] + draw(st.sampled_from(["-", " ", ""])) + "".join(glyphs[7:]),
        "2+2+2+7": " ".join(["".join(glyphs[0:2]), "".join(glyphs[2:4]), "".join(glyphs[4:6])]) + (sep or " ") + rest,
        "singles": spaced_date + (sep or " ") + spaced_rest,
        "singles+7": spaced_date + (sep or " ") + rest,
        "6+singles": date_part + (sep or " ") + spaced_rest,
    }[grouping]
    # Invisible characters anywhere between the digits change nothing.
    chars = list(text)
    for _ in range(draw(st.integers(0, 3))):
        chars.insert(draw(st.integers(1, len(chars) - 1)), draw(st.sampled_from(INVISIBLE)))
    return "".join(chars)




def written_rrns() -> st.SearchStrategy[str]:
    """Real numbers, each written in one of the ways above."""
    return rrns().flatmap(written)
