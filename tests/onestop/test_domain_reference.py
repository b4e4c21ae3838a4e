"""Reference data: the directory, rules and consent files load, agree with each other and keep their id scheme."""

from __future__ import annotations

import copy
import json
import uuid

import pytest

from services.onestop.domain import consent_policy, eligibility, reference
from services.onestop.domain.consent_policy import parse_consent
from services.onestop.domain.reference import ReferenceDataError, parse_directory, read_data_file

PARTIES = {
    "kamco",
    "ccrs",
    "kinfa",
    "kead",
    "cnu-job",
    "bukgu-livelihood",
    "bukgu-employment",
    "gewpc",
    "microcredit",
    "midlife-job",
    "bukgu-women",
    "bukgu-hub",
}


def test_directory_has_the_eleven_agencies_and_the_operator():
    d = reference.directory()
    assert set(d.agencies) == PARTIES
    assert d.operator == "bukgu-hub"
    assert all(1 <= len(a.services) <= 3 for a in d.agencies.values())
    assert {a.sector for a in d.agencies.values()} == {
        "public",
        "private",
        "local government",
        "central government",
    }


def test_ids_follow_the_uuid5_scheme_and_are_unique():
    d = reference.directory()
    assert d.namespace == uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/cpa/onestop/directory")
    ids = []
    for a in d.agencies.values():
        assert a.id == d.expected_id("organization", a.code)
        ids.append(a.id)
        for s in a.services:
            assert s.id == d.expected_id("service", s.key)
            ids.append(s.id)
    for loc in d.locations.values():
        assert loc.id == d.expected_id("location", loc.key)
    assert len(ids) == len(set(ids))


def test_every_phone_and_location_is_marked_approximate():
    d = reference.directory()
    assert all(p.approximate for a in d.agencies.values() for p in a.phones)
    assert all(loc.approximate and loc.region == "Buk-gu" for loc in d.locations.values())


def test_rule_fields_belong_to_categories_the_service_declares():
    """A rule may only read data the service is allowed to receive (PIPA Art. 17(2) items)."""
    d, policy, rules = reference.directory(), consent_policy.consent_policy(), eligibility.rules()
    for rule in rules.rules:
        service = d.service(rule.service_key)
        for field in rule.fields:
            assert policy.category_of(field) in service.data_categories, (rule.service_key, field)


def test_consent_policy_covers_every_agency_and_marks_health_sensitive():
    policy = consent_policy.consent_policy()
    assert set(policy.agencies) == PARTIES
    assert [c for c, cat in policy.categories.items() if cat.sensitive] == ["health"]
    assert policy.category_of("disability_registered") == "health"
    assert policy.category_of("resident_registration_number") is None
    assert [i.code for i in policy.notice_items] == ["recipient", "purpose", "items", "retention", "refusal"]


def test_every_rule_threshold_names_a_source():
    doc = read_data_file("eligibility_rules.json")

    def leaves(node):
        for key in ("all", "any"):
            for child in node.get(key, []):
                yield from leaves(child)
        if "not" in node:
            yield from leaves(node["not"])
        if "field" in node:
            yield node

    for key, raw in doc["services"].items():
        for leaf in leaves(raw["rule"]):
            assert leaf["source"] in doc["sources"], key


def test_broken_directory_errors_say_where():
    doc = read_data_file("directory.json")
    bad = copy.deepcopy(doc)
    bad["agencies"][0]["sector"] = "semi-public"
    with pytest.raises(ReferenceDataError, match=r"agencies\[0\]\.sector: 'semi-public' is not one of"):
        parse_directory(bad)
    bad = copy.deepcopy(doc)
    bad["agencies"][1]["services"][0]["taxonomy"] = ["finance/crypto"]
    with pytest.raises(ReferenceDataError, match="unknown taxonomy term 'finance/crypto'"):
        parse_directory(bad)
    bad = copy.deepcopy(doc)
    bad["agencies"][2]["services"][0]["id"] = "42"
    with pytest.raises(ReferenceDataError, match="not a UUID"):
        parse_directory(bad)


def test_consent_file_rejects_a_field_in_two_categories():
    bad = copy.deepcopy(read_data_file("consent.json"))
    bad["categories"]["welfare"]["fields"].append("credit_score")
    with pytest.raises(ReferenceDataError, match="'credit_score' already belongs to category 'finance'"):
        parse_consent(bad)


def test_unversioned_file_is_refused(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"agencies": []}))
    with pytest.raises(ReferenceDataError, match="versioned"):
        read_data_file("x.json", tmp_path)


def test_directory_round_trips_through_its_model():
    d = reference.directory()
    again = parse_directory(json.loads(json.dumps(d.model_dump(mode="json", by_alias=True))))
    assert again == d and again.agencies == d.agencies and again.namespace == d.namespace
    assert all(s.agency == code for code, a in again.agencies.items() for s in a.services)


def test_directory_types_are_strict():
    doc = read_data_file("directory.json")
    bad = copy.deepcopy(doc)
    bad["locations"][0]["latitude"] = "35.17"
    with pytest.raises(ReferenceDataError, match=r"locations\[0\]\.latitude: expected int/float, got str"):
        parse_directory(bad)
    bad = copy.deepcopy(doc)
    bad["agencies"][0]["last_modified"] = "2024-03-01T09:00:00"
    with pytest.raises(ReferenceDataError, match=r"agencies\[0\]\.last_modified: needs a UTC offset"):
        parse_directory(bad)
    bad = copy.deepcopy(doc)
    bad["agencies"][0]["services"][0].update(minimum_age=70, maximum_age=60)
    with pytest.raises(ReferenceDataError, match=r"agencies\[0\]\.services\[0\]: minimum_age 70 > maximum_age 60"):
        parse_directory(bad)
    bad = copy.deepcopy(doc)
    bad["operator"] = "nobody"
    with pytest.raises(ReferenceDataError, match="operator: 'nobody' is not an agency code"):
        parse_directory(bad)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["fields"]["age"].update(type="int"), r"fields\.age\.type: 'int' is not one of: 'integer'"),
        (lambda d: d["median_income"]["by_household_size"].pop("1"), r"median_income\.by_household_size: needs sizes 1\.\.N with N >= 2"),
        (lambda d: d.update(effective_date="2024-02-30"), r"effective_date: not an ISO date"),
        (lambda d: d["services"]["kamco-bad-debt-adjustment"].update(max_amount_krw="lots"),
         r"services\.kamco-bad-debt-adjustment\.max_amount_krw: expected int, got str 'lots'"),
        (lambda d: d["sources"]["kamco-npl"].pop("title"), r"sources\.kamco-npl\.title: missing"),
    ],
)
def test_broken_rules_file_errors_say_where(edit, message):
    bad = copy.deepcopy(read_data_file("eligibility_rules.json"))
    edit(bad)
    with pytest.raises(eligibility.RuleError, match=rf"^eligibility_rules\.json: {message}"):
        eligibility.parse_rules(bad, directory=reference.directory())


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["notice_items"].pop(), "notice_items: need recipient, purpose, items, retention, refusal"),
        (lambda d: d["never_collect"]["fields"].append("credit_score"), r"never-collected fields \['credit_score'\]"),
        (lambda d: d["categories"]["health"].update(sensitive="yes"),
         r"categories\.health\.sensitive: expected bool, got str 'yes'"),
        (lambda d: d["agencies"]["kamco"].pop("retention"), r"agencies\.kamco\.retention: missing"),
    ],
)
def test_broken_consent_file_errors_say_where(edit, message):
    bad = copy.deepcopy(read_data_file("consent.json"))
    edit(bad)
    with pytest.raises(ReferenceDataError, match=rf"^consent\.json: {message}"):
        parse_consent(bad)


def test_broken_vulnerability_file_errors_say_where():
    from services.onestop.domain import vulnerability

    doc = read_data_file("vulnerability.json")
    closed = sorted(vulnerability.referral_states.terminal_states())[0]
    bad = copy.deepcopy(doc)
    bad["agenda"]["stalled_days"][closed] = 3
    with pytest.raises(ReferenceDataError, match=rf"agenda: stalled_days: final states cannot stall: \['{closed}'\]"):
        vulnerability.parse_model(bad, ruleset=eligibility.rules())
    bad = copy.deepcopy(doc)
    bad["weights"][0]["points"] = "2"
    with pytest.raises(ReferenceDataError, match=r"^vulnerability\.json: weights\[0\]\.points: expected int, got str"):
        vulnerability.parse_model(bad, ruleset=eligibility.rules())
    again, shipped = vulnerability.parse_model(doc, ruleset=eligibility.rules()), vulnerability.model()
    assert again.agenda == shipped.agenda and again.version == shipped.version
    assert [(w.id, w.points, w.urgent) for w in again.weights] == [(w.id, w.points, w.urgent) for w in shipped.weights]
