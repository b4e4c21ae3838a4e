"""Faithful to the handbook: every fact a trainer sees is the handbook's (with its table or chapter), another
named source's, our assumption or our extension; and the contradictions once found stay fixed, one test each.

The accounts are read as the services serve them (`GET /v1/about`) and as the About pages show them (`/ui/`).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.case_account import CONSIDERATION_KEYS, HANDBOOK_REF, framework
from tests.reliability.support import SERVICES, bearer, service_client

ROOT = Path(__file__).resolve().parents[1]
BY = {"handbook", "source", "assumption", "extension"}
MAX_QUOTE_WORDS = 15  # a quoted table classification stays a few words


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[dict[str, dict[str, Any]]]:
    """Each service's /v1/about (JSON) and About page (HTML)."""
    out: dict[str, dict[str, Any]] = {}
    for service in SERVICES:
        with service_client(service, tmp_path_factory.mktemp(service), seed_on_start=False) as c:
            about = c.get("/v1/about")
            page = c.get("/ui/")
            assert about.status_code == 200 and page.status_code == 200, (service, about.text[:300])
            out[service] = {"about": about.json(), "page": page.text}
    yield out


def facts(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every fact object (a dict with `text`) in a served account, with its JSON path."""
    if isinstance(node, dict):
        if "text" in node:
            yield path, node
        for k, v in node.items():
            if k not in ("live", "clock"):
                yield from facts(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from facts(v, f"{path}[{i}]")


def all_facts(served) -> list[tuple[str, str, dict[str, Any]]]:
    return [(s, p, f) for s in SERVICES for p, f in facts(served[s]["about"])]


# ---- provenance on every fact -------------------------------------------------------------------------------


def test_every_served_fact_names_its_provenance(served):
    found = all_facts(served)
    assert len(found) > 150
    for service, path, f in found:
        assert f.get("by") in BY, (service, path, f)
        if f["by"] == "handbook":
            assert HANDBOOK_REF.match(f["ref"]), (service, path, f["ref"])
        if f["by"] == "source":
            assert f["ref"].strip(), (service, path)
        if f.get("quoted"):
            assert f["by"] == "handbook" and len(f["text"].split()) <= MAX_QUOTE_WORDS, (service, path, f["text"])


def test_every_fact_on_the_about_pages_carries_a_visible_provenance_mark(served):
    for service in SERVICES:
        page = served[service]["page"]
        spans = re.findall(r'<span class="fact" data-by="(\w+)">(.*?)</span></span>', page, flags=re.S)
        # Every fact of the account is on the page (roles and parties may repeat some), each with its mark.
        assert len(spans) >= len(list(facts(served[service]["about"]))) - 1, service
        for by, inner in spans:
            assert by in BY
            mark = re.search(r'<span class="prov prov-(\w+)"[^>]*>([^<]+)$', inner)
            assert mark and mark.group(1) == by, (service, inner[:200])
            if by == "handbook":
                assert re.match(r"handbook, (Tables? \d|Chapter \d)", mark.group(2)), mark.group(2)
        # No list item of facts without a fact inside: nothing shown unmarked.
        for items in re.findall(r'<ul class="facts">(.*?)</ul>', page, flags=re.S):
            for li in re.findall(r"<li>(.*?)</li>", items, flags=re.S):
                assert 'class="prov prov-' in li, (service, li[:200])


def test_every_handbook_figure_is_served_with_its_table(served):
    expected = {
        "roadkill": {"roadkill_incidents_per_year": (176, None), "tmap_monthly_users": (10_000_000, None),
                     "tmap_probe_cars": (70_000, None), "setup_years": (1, None)},
        "peaks": {"bulletin_board_daily_visitors": (1200, 500), "local_governments": (5, None), "peaks": (9, None)},
        "onestop": {"best_employment_welfare_plus_center": (2019, None), "service_linkage_awards": (2, None),
                    "agencies": (11, None)},
    }
    for service, figures in expected.items():
        served_figures = {f["key"]: f for f in served[service]["about"]["figures"]}
        for key, (value, before) in figures.items():
            f = served_figures[key]
            assert (f["value"], f.get("before")) == (value, before), (service, key)
            assert f["by"] == "handbook" and HANDBOOK_REF.match(f["ref"]), (service, key)
    setup = {f["key"]: f for f in served["roadkill"]["about"]["figures"]}["setup_years"]
    assert "working-level agreements" in setup["unit"] + setup["text"]
    awards = " ".join(f["text"] for f in served["onestop"]["about"]["results"])
    assert "2019" in awards and "gold and bronze" in awards


# ---- the contradictions, one test each ----------------------------------------------------------------------


def _c(served, service: str) -> dict[str, Any]:
    return served[service]["about"]["considerations"]


def test_roadkill_target_is_external_customers_citizens(served):
    targets = _c(served, "roadkill")["targets"]
    assert [(t["text"], t["by"], t["ref"]) for t in targets] == [("External customer: citizens", "handbook", "Table 4")]


def test_onestop_innovation_applies_no_technology_and_names_its_applicability(served):
    inn = _c(served, "onestop")["innovation"]
    assert [f["text"] for f in inn["applied"]] == ["Science and technology are applied: None"]
    assert len(inn["applicability"]) == 1 and "ICT" in inn["applicability"][0]["text"]
    assert "social networks" in inn["applicability"][0]["text"]
    assert all(f["by"] == "handbook" and f["ref"] == "Table 8" for f in inn["applied"] + inn["applicability"])


def test_peaks_sustainability_is_the_tables_and_not_versioned_rules(served):
    sus = _c(served, "peaks")["sustainability"]
    assert [f["text"] for f in sus] == ["Continuous attraction of tourists and promotion of participating local governments"]
    assert "version" not in json.dumps(sus)


def test_service_fields_are_the_tables_and_nothing_added(served):
    expected = {"roadkill": ("Table 4", "Safety/security"), "peaks": ("Table 6", "Culture/tourism"),
                "onestop": ("Table 8", "Life/convenience")}
    for service, (table, field) in expected.items():
        sf = _c(served, service)["service_fields"]
        assert (sf["kind"]["text"], sf["kind"]["ref"]) == ("Software-related service", table)
        assert [(f["text"], f["ref"]) for f in sf["fields"]] == [(field, table)], service


def test_peaks_shares_people_and_money_a_little_not_none(served):
    rs = _c(served, "peaks")["resource_sharing"]
    for resource in ("people", "budget"):
        assert rs[resource]["level"] == "partly"
        assert "Relatively insufficient" in rs[resource]["fact"]["text"] and rs[resource]["fact"]["ref"] == "Table 6"
    assert rs["information"]["level"] == rs["technology"]["level"] == "shared"


def test_policy_effects_and_targets_are_apart_and_innovation_has_two_parts(served):
    for service in SERVICES:
        c = _c(served, service)
        assert list(c) == list(CONSIDERATION_KEYS)
        assert c["policy_effects"] and c["targets"], service
        assert not any("customer" in f["text"] for f in c["policy_effects"]), service
        assert c["innovation"]["applied"] and c["innovation"]["applicability"], service
    table2 = {q.key: q.questions for q in framework().considerations}
    assert "Can science and technology be applied to the collaboration in the future?" in table2["sustainability"]


def test_launch_date_is_our_assumption(served):
    about = served["roadkill"]["about"]
    assert "launched" not in about
    dated = [f for _, f in facts(about) if "2020" in f["text"] and "July" in f["text"]]
    assert dated and all(f["by"] == "assumption" for f in dated)


def test_all_fifteen_cities_and_counties_is_not_credited_to_the_handbook(served):
    claims = [f for _, f in facts(served["roadkill"]["about"]) if "15 cities" in f["text"]]
    assert claims and all(f["by"] != "handbook" for f in claims)
    assert any(f["by"] == "source" and "Statistics Korea" in f["ref"] for f in claims)


def test_road_act_is_cited_as_the_road_act(served):
    cited = [f for _, f in facts(served["roadkill"]["about"]) if "Road Act" in f["text"] + f.get("ref", "")]
    assert cited and all(f["by"] == "source" and "Road Act" in f["ref"] for f in cited)


def test_unsourced_four_thousand_cases_figure_is_gone(served):
    text = json.dumps(served["onestop"]["about"])
    assert "4,000" not in text and "4000" not in text and "eight months" not in text


def test_no_season_credits_its_rules_to_the_handbook():
    """The handbook describes the scheme (Table 5), not any year's rules: those are press reports or assumptions."""
    seasons = json.loads((ROOT / "services/peaks/data/seasons.json").read_text(encoding="utf-8"))
    for season in seasons["seasons"]:
        assert "handbook" not in season["sources"], season["id"]
        assert season["sources"] or season["assumptions"], season["id"]
    assert "none of the year-by-year rules" in seasons["sources"]["handbook"]


def test_peak_elevations_are_our_assumption_not_handbook_figures():
    peaks = json.loads((ROOT / "services/peaks/data/peaks.json").read_text(encoding="utf-8"))
    for peak in peaks["peaks"]:
        assert "assumption" in peak["source"], peak["id"]
        assert "handbook figure" not in peak["source"].replace("not handbook figures", ""), peak["id"]


def test_onestop_thresholds_name_laws_or_agency_rules_not_the_handbook():
    rules = json.loads((ROOT / "services/onestop/data/eligibility_rules.json").read_text(encoding="utf-8"))

    def comparisons(node):
        if isinstance(node, dict):
            if "op" in node:
                yield node
            for v in node.values():
                yield from comparisons(v)
        elif isinstance(node, list):
            for v in node:
                yield from comparisons(v)
    # A threshold is a number other than 0 ("has any debt" is a condition of an agency's role, Table 7).
    numeric = [c for c in comparisons(rules) if isinstance(c["value"], (int, float))
               and not isinstance(c["value"], bool) and c["value"] != 0]
    assert numeric and all(not c["source"].startswith("handbook") for c in numeric)
    template = (ROOT / "services/onestop/ui/templates/os_case_detail.html").read_text(encoding="utf-8")
    assert "taken from the case handbook" not in template


def test_our_additions_are_labelled_extensions(served):
    words = ("Open311", "HSDS", "FHIR", "PIPA", "Vulnerability", "hazard warnings", "own peaks")
    for service, path, f in all_facts(served):
        if any(w.lower() in f["text"].lower() for w in words):
            assert f["by"] == "extension", (service, path, f["text"])
    for service in SERVICES:
        ext = served[service]["about"]["extensions"]
        assert ext and all(f["by"] == "extension" for f in ext)


def test_table_7s_garbled_rows_and_the_sectors_are_shown_both_ways(served):
    notes = {n["title"]: n["readings"] for n in served["onestop"]["about"]["notes"]}
    rows = next(r for t, r in notes.items() if "Table 7" in t)
    assert rows[0]["by"] == "handbook" and rows[0]["ref"] == "Table 7"
    assert "CCRS has two rows" in rows[0]["text"] and "KINFA has none" in rows[0]["text"]
    assert rows[1]["by"] == "assumption"
    sectors = next(r for t, r in notes.items() if "sectors" in t)
    assert {r["ref"] for r in sectors} == {"Table 7", "Table 8"}
    page = served["onestop"]["page"]
    assert page.count('class="note inconsistency"') == 2


def test_each_case_fits_a_model_with_reasons(served):
    names = {m.key: m.name for m in framework().models}
    assert list(names.values()) == ["Social innovation collaboration model",
                                    "Administrative innovation collaboration model"]
    for service in SERVICES:
        fit = served[service]["about"]["model_fit"]
        assert fit["model"] in names and fit["why"], service
        assert names[fit["model"]] in served[service]["page"]


def test_table_2_questions_are_the_handbooks():
    assert [(q.name, q.questions) for q in framework().considerations] == [
        ("Diversity of participants", ("Do only public sector entities participate in collaboration?",)),
        ("Applicable service fields", ("Is the service hardware-related or software-related?",
                                       "Which service fields are included, for example, education, community, "
                                       "culture/tourism, social welfare, life/convenience, safety/security, regional "
                                       "development/environment and/or administrative management?")),
        ("Policy effects and targets", ("Is the policy designed to improve administrative services or work processes?",
                                        "Are the policy targets external customers (citizens) or internal customers "
                                        "(public entities themselves)?")),
        ("Resource sharing", ("Do collaborative entities share budgets, manpower, information and technologies?",)),
        ("Innovation", ("Is there any science or technology applied for the collaboration?",
                        "If so, what is it specifically?")),
        ("Sustainability", ("Can science and technology be applied to the collaboration in the future?",
                            "Are there legal systems, departments and manpower to promote collaboration?")),
    ]


# ---- roles in the data flow (Table 3) -----------------------------------------------------------------------


def test_trace_shows_acrc_sharing_and_mlit_and_me_accumulating(tmp_path):
    from tests.roadkill.conftest import EXPRESSWAY, report_body
    with service_client("roadkill", tmp_path, seed_on_start=False) as c:
        r = c.post("/v1/voice-reports", json=report_body(*EXPRESSWAY), headers=bearer("tmap"))
        assert r.status_code == 201, r.text
        inc = r.json()["incident_id"]
        path = f"/v1/agency/incidents/{inc}/events"
        assert c.post(path, json={"type": "complaint_registered", "complaint_no": "1AA-1"},
                      headers=bearer("acrc")).status_code == 200
        assert c.post(path, json={"type": "assigned"}, headers=bearer("molit")).status_code == 200
        agency = c.get(f"/v1/incidents/{inc}", headers=bearer("chungnam")).json()["agency"]
        assert c.post(path, json={"type": "closed", "outcome": "removed"}, headers=bearer(agency)).status_code == 200
        events = c.get(f"/v1/incidents/{inc}/trace", headers=bearer("chungnam")).json()["events"]
        hops = [(e["from"], e["to"], e["kind"]) for e in events]
        assert ("acrc", "molit", "complaint.forwarded") in hops  # ACRC shares the complaint: ACRC's act
        assert ("chungnam", "molit", "complaint.forwarded") not in hops
        assert ("chungnam", "molit", "outcome.record") in hops  # MLIT accumulates the outcome data
        assert ("chungnam", "me", "processing.record") in hops  # ME accumulates the processing data
        outcome = next(e for e in events if e["kind"] == "outcome.record")
        assert {"outcome", "agency", "time_to_clear_s"} <= set(outcome["fields"])
        assert not {"reporter", "reporter_hash", "transcript"} & set(outcome["fields"])
        mermaid = c.get(f"/v1/incidents/{inc}/trace", params={"format": "mermaid"}, headers=bearer("chungnam")).text
        assert "acrc->>molit" in mermaid and "MLIT" in mermaid
