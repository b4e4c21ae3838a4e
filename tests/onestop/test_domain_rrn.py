"""Resident registration number detector: real shapes are caught, phone numbers and amounts are not."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.onestop.domain.rrn import (
    RRNFound,
    assert_no_rrn,
    checksum_valid,
    contains_rrn,
    redact,
    rrn_paths,
)


def with_check_digit(first12: str) -> str:
    total = sum(int(d) * w for d, w in zip(first12, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True))
    return first12 + str((11 - total % 11) % 10)


VALID = with_check_digit("720110123456")  # 720110-1234563-style, checksum-valid


@pytest.mark.parametrize(
    "text",
    [
        f"{VALID[:6]}-{VALID[6:]}",
        VALID,
        f"주민번호 {VALID[:6]} - {VALID[6:]} 입니다",
        f"{VALID[:6]} {VALID[6:]}",
        "９００１０１－２２３４５６７",  # full-width digits and hyphen
        "040229-3123456",  # born 29 Feb 2004 (gender digit 3 = 2000s)
        "010101-5123456",  # foreign resident registration number
        "note:880315–2345678.",  # en dash
    ],
)
def test_positives(text):
    assert contains_rrn(text)


@pytest.mark.parametrize(
    "text",
    [
        "010-1234-5678",
        "01012345678",
        "+82 10-1234-5678",
        "062-410-8114",
        "1588-3570",
        "8,000,000 KRW",
        "1234567890123",  # month 34: not a date
        "720132-1234567",  # 32 January
        "720110-9234567",  # gender digit 9 (1800s) is out of scope
        "720110-0234567",
        "050229-1123456",  # 29 Feb 1905 does not exist
        "17201101234567",  # 14 digits: part of a longer number
        "account 110-234-567890",
        "",
    ],
)
def test_negatives(text):
    assert not contains_rrn(text)


def test_checksum():
    assert checksum_valid(VALID)
    assert not checksum_valid(VALID[:-1] + str((int(VALID[-1]) + 1) % 10))


@given(st.from_regex(r"01[016789]-[0-9]{3,4}-[0-9]{4}", fullmatch=True))
def test_mobile_numbers_are_not_flagged(phone):
    assert not contains_rrn(phone)
    assert not contains_rrn(phone.replace("-", ""))
    assert not contains_rrn(phone.replace("-", " "))


@given(st.from_regex(r"0(2|[3-6][1-5])-[0-9]{3,4}-[0-9]{4}", fullmatch=True))
def test_landlines_are_not_flagged(phone):
    assert not contains_rrn(phone)


@given(st.integers(min_value=0, max_value=10**18))
def test_formatted_amounts_are_not_flagged(amount):
    assert not contains_rrn(f"{amount:,} KRW")
    assert not contains_rrn(f"{amount:,}원")


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_plain_amounts_up_to_twelve_digits_are_not_flagged(amount):
    assert not contains_rrn(str(amount))


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.sampled_from(["-", "", " "]),
)
def test_any_real_birth_date_with_gender_digit_is_flagged(born, rest, sep):
    gender = "1" if born.year < 2000 else "3"
    assert contains_rrn(f"ref {born:%y%m%d}{sep}{gender}{rest} end")


def test_payload_paths_and_redaction():
    payload = {
        "name": "Kim",
        "notes": [f"called, RRN {VALID}"],
        "nested": {"ok": "010-1234-5678"},
        "amount": int(VALID),
        f"{VALID[:6]}-{VALID[6:]}": True,
    }
    assert rrn_paths(payload) == ["notes[0]", "amount", f"{VALID[:6]}-{VALID[6:]} (key)"]
    with pytest.raises(RRNFound, match="PIPA Art. 24-2") as info:
        assert_no_rrn(payload)
    assert info.value.paths[0] == "notes[0]"
    assert redact(f"RRN {VALID} tel 010-1234-5678") == "RRN ******-******* tel 010-1234-5678"
    assert_no_rrn({"phone": "010-1234-5678", "debt_total_krw": 8_000_000, "flag": True})
