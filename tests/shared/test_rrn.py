"""The shared resident registration number detector: every way of writing one is caught (property tests
generate dates, gender digits, digit scripts, separators, invisible characters and groupings), and
phone numbers, dates, amounts and the services' ids are not."""
from __future__ import annotations

import base64
import secrets
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.ids import _FROM_RFC4648
from shared.rrn import (
    MASK,
    RRNFound,
    assert_no_rrn,
    checksum_valid,
    contains_rrn,
    find_rrns,
    redact,
    redact_payload,
    rrn_paths,
)
from tests.shared.rrn_variants import ISSUE_VARIANTS, rrns, written


def with_check_digit(first12: str) -> str:
    total = sum(int(d) * w for d, w in zip(first12, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5), strict=True))
    return first12 + str((11 - total % 11) % 10)


VALID = with_check_digit("720110123456")  # a checksum-valid pre-2020 number
SURROUNDINGS = st.sampled_from([("", ""), ("주민번호 ", " 입니다"), ("RRN: ", "."), ("(", ")"),
                                ("전화 010-1234-5678, 번호 ", " 확인"), ("id rpt_01J9ZC3K ", " ok"), ("no.", "")])


@given(rrns().flatmap(lambda d: st.tuples(st.just(d), written(d))), SURROUNDINGS)
def test_every_way_of_writing_one_is_found_and_redacted(number, around):
    digits, text = number
    before, after = around
    whole = before + text + after
    found = find_rrns(whole)
    assert [m.digits for m in found] == [digits]
    assert contains_rrn(whole)
    assert redact(whole) == before + MASK + after
    assert not contains_rrn(redact(whole))


@pytest.mark.parametrize(
    "text",
    [
        f"{VALID[:6]}-{VALID[6:]}",
        VALID,
        f"주민번호 {VALID[:6]} - {VALID[6:]} 입니다",
        "９００１０１－２２３４５６７",  # full-width digits and hyphen
        "040229-3123456",  # born 29 Feb 2004 (gender digit 3 = 2000s)
        "010101-5123456",  # foreign resident registration number
        "note:880315–2345678.",  # en dash
        *ISSUE_VARIANTS,
    ],
)
def test_positives(text):
    assert contains_rrn(text)


@pytest.mark.parametrize(
    "text",
    [
        "010-1234-5678", "01012345678", "+82 10-1234-5678", "062-410-8114", "1588-3570", "8,000,000 KRW",
        "1234567890123",  # month 34: not a date
        "720132-1234567",  # 32 January
        "720110-9234567",  # gender digit 9 (1800s) is out of scope
        "720110-0234567",
        "050229-1123456",  # 29 Feb 1905 does not exist
        "17201101234567",  # 14 digits: part of a longer number
        "8501011234567890",  # a card number holding an RRN-shaped slice
        "account 110-234-567890",
        "011-123-4567 011-123-4567",  # two old mobile numbers: 3+3 is not how a date part is written
        "2024-05-01 12:34:56", "2024.05.01 - 2024.06.30", "20240501 123456",
        "850101-12345678",  # 8 digits after the date
        "850101 phone 1234567",  # words in between
        "",
    ],
)
def test_negatives(text):
    assert not contains_rrn(text)


def test_check_digit_is_reported_where_it_applies():
    assert checksum_valid(VALID)
    assert not checksum_valid(VALID[:-1] + str((int(VALID[-1]) + 1) % 10))
    [old] = find_rrns(VALID)
    assert old.checksum_valid and old.check_digit_applies
    # Born after October 2020: random digits, no check digit; still found.
    [new] = find_rrns("210315-4000000")
    assert not new.check_digit_applies and not new.checksum_valid


@given(st.from_regex(r"01[016789][- .]?[0-9]{3,4}[- .]?[0-9]{4}", fullmatch=True))
def test_mobile_numbers_are_not_flagged(phone):
    assert not contains_rrn(phone)
    assert not contains_rrn(f"{phone}, {phone} / {phone}")


@given(st.from_regex(r"0(2|[3-6][1-5])[- )]?[0-9]{3,4}[- ]?[0-9]{4}", fullmatch=True))
def test_landlines_are_not_flagged(phone):
    assert not contains_rrn(phone)
    assert not contains_rrn(f"{phone} {phone}")


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2099, 12, 31)),
       st.sampled_from(["%Y-%m-%d", "%Y.%m.%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                        "%Y/%m/%d %H:%M", "%y.%m.%d", "%Y년 %m월 %d일 %H시 %M분", "%d.%m.%Y"]))
def test_dates_and_times_are_not_flagged(moment, fmt):
    text = moment.strftime(fmt)
    assert not contains_rrn(text)
    assert not contains_rrn(f"{text} ~ {text}")


@given(st.integers(min_value=0, max_value=10**18))
def test_formatted_amounts_are_not_flagged(amount):
    assert not contains_rrn(f"{amount:,} KRW")
    assert not contains_rrn(f"{amount:,}원")


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_plain_amounts_up_to_twelve_digits_are_not_flagged(amount):
    assert not contains_rrn(str(amount))


@given(st.integers(min_value=1_600_000_000_000, max_value=4_000_000_000_000), st.binary(min_size=10, max_size=10),
       st.sampled_from(["inc", "rpt", "msg", "res", "ref", "con", "pho", "clb"]))
def test_the_services_ids_are_not_flagged(ms, random, prefix):
    value = (ms << 80) | int.from_bytes(random, "big")
    ulid = base64.b32encode(value.to_bytes(20, "big"))[6:].translate(_FROM_RFC4648).decode()
    assert not contains_rrn(f"{prefix}_{ulid}")


@given(st.integers(min_value=2020, max_value=2099), st.integers(min_value=1, max_value=999_999))
def test_certificate_numbers_and_tokens_are_not_flagged(year, rank):
    assert not contains_rrn(f"YA-{year}-{rank:06d}")
    assert not contains_rrn(f"1AA-{year % 100:02d}{rank % 100:02d}-{rank:07d}")  # ACRC-style complaint number
    assert not contains_rrn(secrets.token_urlsafe(18).replace("-", "x").replace("_", "y"))


@given(st.text(alphabet=st.sampled_from(list("0123456789 -.\n/_가ab٣５\u200b")), max_size=60))
def test_redaction_leaves_none_and_is_stable(text):
    once = redact(text)
    assert not contains_rrn(once)
    assert redact(once) == once
    if not contains_rrn(text):
        assert once == text


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
    assert redact(f"RRN {VALID} tel 010-1234-5678") == f"RRN {MASK} tel 010-1234-5678"
    assert redact("전화 ０１０－１２３４ 그대로") == "전화 ０１０－１２３４ 그대로"  # untouched text keeps its form
    assert redact_payload({"a": [f"x {VALID}"], "n": 3}) == {"a": [f"x {MASK}"], "n": 3}
    assert_no_rrn({"phone": "010-1234-5678", "debt_total_krw": 8_000_000, "flag": True})
