"""Eligibility engine: the acceptance case, three-valued logic, derived fields and rule validation."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from services.onestop.domain import eligibility, reference
from services.onestop.domain.conditions import RuleError, compile_condition
from services.onestop.domain.eligibility import AssessmentError, evaluate

ON = date(2024, 6, 1)
# The acceptance case: 52, unemployed, 8M KRW overdue 11 years, low income, low credit score.
RESIDENT = {
    "birth_date": "1972-01-10",
    "employment_status": "unemployed",
    "debt_total_krw": 8_000_000,
    "months_overdue": 132,
    "annual_income_krw": 9_600_000,
    "household_size": 1,
    "credit_score": 610,
    "address_district": "buk-gu",
}


def by_key(recs):
    return {r.service_key: r for r in recs}


def test_acceptance_case():
    recs = by_key(evaluate(eligibility.rules(), RESIDENT, reference_date=ON))
    ccrs = recs["ccrs-long-term-small-delinquent"]
    assert ccrs.status == "eligible" and ccrs.agency == "ccrs"
    assert "debt 8,000,000 KRW ≤ 10,000,000 KRW" in ccrs.reasons
    assert "overdue 132 months ≥ 120 months" in ccrs.reasons
    assert "income 35.9% of median ≤ 60% of median" in ccrs.reasons
    assert ccrs.sources == ["ccrs-long-term-small"]
    micro = recs["microcredit-loan"]
    assert micro.status == "eligible" and micro.reasons == ["credit score (NICE) 610 ≤ 749"]
    assert micro.max_amount_krw == 20_000_000
    assert recs["midlife-job-placement"].status == "eligible"
    assert recs["midlife-job-placement"].reasons == ["age 52 ≥ 40"]
    cnu = recs["cnu-youth-career-counselling"]
    assert cnu.status == "not_eligible" and cnu.reasons == ["age 52 > 34"]
    assert {r.rules_version for r in recs.values()} == {"2024.1"}
    assert (
        recs["ccrs-long-term-small-delinquent"].service_id
        == reference.directory().service("ccrs-long-term-small-delinquent").id
    )


def test_results_are_ordered_eligible_maybe_not():
    statuses = [r.status for r in evaluate(eligibility.rules(), RESIDENT, reference_date=ON)]
    order = {"eligible": 0, "maybe": 1, "not_eligible": 2}
    assert statuses == sorted(statuses, key=order.__getitem__)
    assert len(statuses) == len(reference.directory().services())


def test_missing_data_gives_maybe_with_what_is_needed():
    recs = by_key(evaluate(eligibility.rules(), {"age": 52}, reference_date=ON))
    ccrs = recs["ccrs-long-term-small-delinquent"]
    assert ccrs.status == "maybe"
    assert "debt unknown (needs ≤ 10,000,000 KRW)" in ccrs.reasons
    assert recs["kead-employment-support"].reasons == ["registered disability unknown (needs yes)"]
    # A known failing condition decides even when other inputs are missing.
    assert recs["cnu-youth-career-counselling"].status == "not_eligible"


def test_empty_assessment_is_maybe_except_open_services():
    recs = evaluate(eligibility.rules(), {}, reference_date=ON)
    assert {r.service_key for r in recs if r.status == "eligible"} == {"kinfa-finance-counselling"}
    assert not [r for r in recs if r.status == "not_eligible"]


FIELDS = eligibility.rules().fields


def run(cond, facts):
    check, _, _ = compile_condition(cond, FIELDS, None, "test")
    return check(facts)[0]


A40 = {"field": "age", "op": ">=", "value": 40}
DIS = {"field": "disability_registered", "op": "==", "value": True}


@pytest.mark.parametrize(
    ("cond", "facts", "expected"),
    [
        ({"all": [A40, DIS]}, {"age": 50}, None),
        ({"all": [A40, DIS]}, {"age": 30}, False),
        ({"all": [A40, DIS]}, {"age": 50, "disability_registered": True}, True),
        ({"any": [A40, DIS]}, {"age": 30}, None),
        ({"any": [A40, DIS]}, {"age": 50}, True),
        ({"any": [A40, DIS]}, {"age": 30, "disability_registered": False}, False),
        ({"not": A40}, {}, None),
        ({"not": A40}, {"age": 30}, True),
        ({"not": {"any": [A40, DIS]}}, {"age": 30}, None),
        ({"all": []}, {}, True),
        ({"any": []}, {}, False),
    ],
)
def test_three_valued_logic(cond, facts, expected):
    assert run(cond, facts) is expected


def test_age_is_derived_on_the_reference_date():
    facts = eligibility.derive_facts(eligibility.rules(), {"birth_date": date(1984, 6, 2)}, reference_date=ON)
    assert facts["age"] == 39  # the day before the 40th birthday
    facts = eligibility.derive_facts(eligibility.rules(), {"birth_date": "1984-06-01"}, reference_date=ON)
    assert facts["age"] == 40


def test_income_percent_of_median_uses_household_size():
    rules = eligibility.rules()
    facts = eligibility.derive_facts(
        rules, {"annual_income_krw": 4_714_657 * 12 * 6 // 10, "household_size": 3}, reference_date=ON
    )
    assert facts["income_pct_median"] == 60.0
    # Beyond the table: MOHW adds the last step per extra member.
    median = rules.median_income
    assert median.monthly(9) == median.monthly(7) + 2 * (median.monthly(7) - median.monthly(6))


def test_wrong_assessment_types_are_named():
    with pytest.raises(AssessmentError, match="debt_total_krw: expected integer, got str"):
        evaluate(eligibility.rules(), {"debt_total_krw": "8000000"}, reference_date=ON)
    with pytest.raises(AssessmentError, match="employment_status: 'jobless' is not one of"):
        evaluate(eligibility.rules(), {"employment_status": "jobless"}, reference_date=ON)
    with pytest.raises(AssessmentError, match="birth_date: expected YYYY-MM-DD"):
        evaluate(eligibility.rules(), {"birth_date": "10/01/1972"}, reference_date=ON)


def test_rule_file_errors_are_actionable():
    doc = reference.read_data_file("eligibility_rules.json")
    d = reference.directory()
    bad = copy.deepcopy(doc)
    bad["services"]["midlife-job-placement"]["rule"] = {
        "field": "age",
        "op": "≥",
        "value": 40,
        "source": "midlife-40",
    }
    with pytest.raises(RuleError, match="unknown operator '≥'"):
        eligibility.parse_rules(bad, directory=d)
    bad = copy.deepcopy(doc)
    bad["services"]["midlife-job-placement"]["rule"]["source"] = "hearsay"
    with pytest.raises(RuleError, match="unknown source 'hearsay'"):
        eligibility.parse_rules(bad, directory=d)
    bad = copy.deepcopy(doc)
    bad["services"]["midlife-job-placement"]["rule"]["value"] = "40"
    with pytest.raises(RuleError, match="field 'age' is integer"):
        eligibility.parse_rules(bad, directory=d)
    bad = copy.deepcopy(doc)
    del bad["services"]["midlife-job-placement"]
    with pytest.raises(RuleError, match="no rule for directory service 'midlife-job-placement'"):
        eligibility.parse_rules(bad, directory=d)
