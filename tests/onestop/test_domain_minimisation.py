"""Minimisation: agencies receive only consented, needed fields; health data only with its own consent."""

from __future__ import annotations

import pytest

from services.onestop.domain import reference
from services.onestop.domain.minimisation import (
    ConsentScopeError,
    consent_notice,
    fields_for,
    project_payload,
    referral_payload,
)
from shared.rrn import RRNFound

RESIDENT = {
    "name": "김민수",
    "birth_date": "1972-01-10",
    "gender": "male",
    "phone": "010-1234-5678",
    "address_district": "buk-gu",
    "annual_income_krw": 9_600_000,
    "debt_total_krw": 8_000_000,
    "months_overdue": 132,
    "credit_score": 610,
    "employment_status": "unemployed",
    "household_size": 1,
    "basic_livelihood": False,
    "disability_registered": True,
    "counsellor_notes": "lives alone, anxious about calls from collectors",
}
ENVELOPE = {"referral_id": "ref_01J0000000000000000000000", "service_id": "x", "resident_ref": "a1b2c3"}


def test_kamco_payload_with_finance_consent_has_debt_but_not_disability():
    body = referral_payload(
        referral_id="ref_1",
        service_key="kamco-bad-debt-adjustment",
        resident_ref="a1b2c3",
        data=RESIDENT,
        consented_categories=["identity", "contact", "finance"],
    )
    assert body["debt_total_krw"] == 8_000_000 and body["months_overdue"] == 132
    assert body["service_id"] == reference.directory().service("kamco-bad-debt-adjustment").id
    assert body["resident_ref"] == "a1b2c3" and body["agency"] == "kamco"
    for field in ("disability_registered", "employment_status", "household_size", "counsellor_notes"):
        assert field not in body


def test_kamco_never_gets_disability_even_when_consented_because_it_does_not_need_it():
    body = referral_payload(
        referral_id="ref_1",
        service_key="kamco-bad-debt-adjustment",
        resident_ref="r",
        data=RESIDENT,
        consented_categories=["identity", "finance"],
        separate_consents=["health"],
    )
    assert "disability_registered" not in body
    assert "phone" not in body  # contact was not consented


def test_disability_only_with_separate_consent():
    with pytest.raises(ConsentScopeError, match="sensitive \\(PIPA Art. 23\\)"):
        project_payload(RESIDENT, ["identity", "health"])
    without = project_payload(RESIDENT, ["identity", "employment"])
    assert "disability_registered" not in without
    kead = referral_payload(
        referral_id="ref_2",
        service_key="kead-employment-support",
        resident_ref="r",
        data=RESIDENT,
        consented_categories=["identity", "employment"],
        separate_consents=["health"],
    )
    assert kead["disability_registered"] is True


def test_envelope_always_kept_and_unknown_fields_dropped():
    out = project_payload({**RESIDENT, **ENVELOPE, "rrn_hint": "n/a"}, [])
    assert out == ENVELOPE


def test_fields_for():
    assert fields_for(["finance"]) == {
        "annual_income_krw",
        "debt_total_krw",
        "months_overdue",
        "credit_score",
        "income_pct_median",
    }
    assert "disability_registered" in fields_for([], separate_consents=["health"])
    with pytest.raises(ConsentScopeError, match="unknown consent categories \\['medical'\\]"):
        fields_for(["medical"])


def test_an_rrn_in_a_kept_field_is_refused():
    with pytest.raises(RRNFound, match="name"):
        project_payload({**RESIDENT, "name": "김민수 720110-1234563"}, ["identity"])


def test_consent_notice_states_the_five_items():
    notice = consent_notice("ccrs", ["identity", "finance"])
    assert [i["code"] for i in notice] == ["recipient", "purpose", "items", "retention", "refusal"]
    assert notice[0]["text"] == "Recipient: Credit Counseling & Recovery Service (CCRS)"
    assert "debt_total_krw" in notice[2]["text"]
    assert "5 years" in notice[3]["text"]
    assert "right to refuse" in notice[4]["text"]
    ko = consent_notice("ccrs", ["finance"], language="ko")
    assert ko[0]["text"] == "개인정보를 제공받는 자: 신용회복위원회"
