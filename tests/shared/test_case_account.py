"""shared.case_account: a case's account refuses any fact without a provenance, names the bad field, and reads
the three shipped accounts and the framework (Tables 2 and 9)."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.case_account import (
    CONSIDERATION_KEYS,
    CaseAccount,
    Fact,
    about_response,
    account_of,
    framework,
    load_account,
)
from shared.reference import ReferenceDataError, validate

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = {s: ROOT / "services" / s / "data" / "about.json" for s in ("roadkill", "peaks", "onestop")}
DOCS = {s: json.loads(p.read_text(encoding="utf-8")) for s, p in ACCOUNTS.items()}


def fact_paths(node: Any, path: tuple = ()) -> list[tuple]:
    """JSON paths (as key/index tuples) of every fact object in a document."""
    out = []
    if isinstance(node, dict):
        if "text" in node and "by" in node:
            out.append(path)
        for k, v in node.items():
            out += fact_paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += fact_paths(v, (*path, i))
    return out


def at(doc: Any, path: tuple) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@pytest.mark.parametrize("service", sorted(ACCOUNTS))
def test_shipped_accounts_load(service):
    account = load_account(ACCOUNTS[service])
    assert account.service == service
    assert len(account.facts()) == len(fact_paths(DOCS[service]))
    assert all(f.by in ("handbook", "source", "assumption", "extension") for _, f in account.facts())


SHIPPED_FACTS = [(s, p) for s in sorted(DOCS) for p in fact_paths(DOCS[s])]


@given(st.sampled_from(SHIPPED_FACTS), st.sampled_from(["drop", "unknown", "handbook-no-ref", "quoted-ours"]))
def test_a_fact_without_a_valid_provenance_is_refused_naming_its_path(target, damage):
    service, path = target
    doc = copy.deepcopy(DOCS[service])
    fact = at(doc, path)
    if damage == "drop":
        del fact["by"]
    elif damage == "unknown":
        fact["by"] = "folklore"
    elif damage == "handbook-no-ref":
        fact.update(by="handbook", ref="somewhere in the text")
    else:
        fact.update(by="assumption", quoted=True)
    with pytest.raises(ReferenceDataError) as err:
        validate(doc, CaseAccount, "about.json")
    assert dotted(path) in str(err.value)


@given(st.text(min_size=1, max_size=40).filter(str.strip), st.text(max_size=30))
def test_handbook_facts_need_a_table_or_chapter(text, ref):
    word, _, rest = ref.partition(" ")
    digits = "1234" if word == "Chapter" else "123456789"
    # A table (1-9) or chapter (1-4) number standing alone: "Table 4", "Table 3, note 1", never "Table 45".
    ok = (word in ("Table", "Tables", "Chapter") and rest[:1] != "" and rest[0] in digits
          and not (rest[1:2].isalnum() or rest[1:2] == "_"))
    try:
        f = Fact.model_validate({"text": text, "by": "handbook", "ref": ref})
    except ValueError:
        assert not ok
    else:
        assert f.mark == f"handbook, {ref}"


@given(st.sampled_from(["source", "assumption", "extension"]), st.text(max_size=20))
def test_marks_name_the_kind_of_provenance(by, ref):
    doc = {"text": "a statement", "by": by, "ref": ref}
    if by == "source" and not ref.strip():
        with pytest.raises(ValueError):
            Fact.model_validate(doc)
        return
    f = Fact.model_validate(doc)
    assert f.mark == (f"source: {ref}" if by == "source" else by)


def test_extensions_must_be_marked_extensions_and_links_stay_inside():
    doc = copy.deepcopy(DOCS["peaks"])
    doc["extensions"][0]["by"] = "assumption"
    with pytest.raises(ReferenceDataError, match="extensions"):
        validate(doc, CaseAccount, "about.json")
    doc = copy.deepcopy(DOCS["peaks"])
    doc["shown_at"]["targets"] = [{"label": "elsewhere", "href": "https://example.org/"}]
    with pytest.raises(ReferenceDataError, match="inside the service"):
        validate(doc, CaseAccount, "about.json")


def test_a_note_on_an_inconsistency_shows_two_readings():
    doc = copy.deepcopy(DOCS["onestop"])
    doc["notes"][0]["readings"] = doc["notes"][0]["readings"][:1]
    with pytest.raises(ReferenceDataError, match="two readings"):
        validate(doc, CaseAccount, "about.json")


def test_account_of_tells_accounts_from_other_about_texts():
    assert account_of({"name": "mini"}) is None
    broken = {**DOCS["roadkill"], "considerations": {}}
    with pytest.raises(ReferenceDataError):
        account_of(broken)  # meant to be an account: a broken one is an error, not "no account"
    about = dict(DOCS["roadkill"])
    assert account_of(about) is account_of(about)  # validated once per object


def test_framework_rows_cover_the_considerations_tables():
    fw = framework()
    assert sorted(r for q in fw.considerations for r in q.rows) == sorted(CONSIDERATION_KEYS)
    assert [f.feature for f in fw.features] == ["Target", "Participants", "Duration", "Service fields", "Types",
                                                "Resource sharing", "Technology", "Sustainability"]
    assert all(f.social_innovation.by == f.administrative_innovation.by == "handbook" for f in fw.features)


def test_about_response_adds_live_counts_and_known_extras_only():
    account = load_account(ACCOUNTS["peaks"])
    about = about_response(account, live={"messages": 3}, extra={"clock": {"mode": "real"}, "stray": 1})
    body = json.loads(about.model_dump_json())
    assert body["live"] == {"messages": 3} and body["clock"] == {"mode": "real"} and "stray" not in body
    assert body["figures"] == json.loads(account.model_dump_json())["figures"]
