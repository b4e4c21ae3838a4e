"""The About page's view of a case: its account (about.json, `shared.case_account`) and the party registry,
shaped for templates. Every text shown is a `Fact` with its provenance mark."""
from __future__ import annotations

from typing import Any

from shared.case_account import CONSIDERATION_KEYS, RESOURCES, CaseAccount, Fact, account_of, framework
from shared.parties import PartyRegistry

# The rows of the handbook's considerations tables (Tables 4, 6 and 8), in their order.
ROW_LABELS = {
    "diversity_of_participants": "Diversity of participants",
    "service_fields": "Applicable service fields",
    "policy_effects": "Policy effects",
    "targets": "Targets",
    "resource_sharing": "Resource sharing",
    "innovation": "Innovation",
    "sustainability": "Sustainability",
}
MODEL_NAMES = {m.key: m.name for m in framework().models}
# A party this service models that the handbook does not name (road agencies, cities): its registry description.
MODELLED = "assumption"


def questions_of(row: str) -> tuple[str, ...]:
    """Table 2's questions for one row of the considerations table (policy effects and targets share theirs)."""
    return next((q.questions for q in framework().considerations if row in q.rows), ())


def consideration_groups(account: CaseAccount, row: str) -> list[tuple[str, tuple[Fact, ...]]]:
    """One row's facts in labelled groups: `[("", facts)]`, or per part (innovation, resource sharing)."""
    c = account.considerations
    if row == "service_fields":
        return [("Hardware or software", (c.service_fields.kind,)), ("Field", c.service_fields.fields)]
    if row == "innovation":
        return [("Applied", c.innovation.applied), ("Applicability", c.innovation.applicability)]
    if row == "resource_sharing":
        rs = c.resource_sharing
        groups = [(f"{name}: {getattr(rs, name).level}", (getattr(rs, name).fact,)) for name in RESOURCES]
        return groups + ([("", rs.notes)] if rs.notes else [])
    return [("", getattr(c, row))]


def considerations_view(account: CaseAccount | None) -> list[dict[str, Any]]:
    """One row per row of Tables 4/6/8; with no account each row says "not stated" rather than disappearing."""
    rows = []
    for key in CONSIDERATION_KEYS:
        rows.append({"key": key, "label": ROW_LABELS[key], "questions": questions_of(key),
                     "groups": consideration_groups(account, key) if account is not None else [],
                     "links": list(account.shown_at.get(key, ())) if account is not None else []})
    return rows


def parties_view(parties: PartyRegistry, account: CaseAccount | None) -> list[dict[str, Any]]:
    """Parties in registry order with what they do: the account's role facts, else the registry's description
    marked as this service's own modelling."""
    roles = {r.party: r.does for r in account.roles if r.party} if account is not None else {}
    return [{"code": p.code, "name": p.name, "name_ko": p.name_ko, "roles": sorted(p.roles),
             "does": roles.get(p.code) or ((Fact(text=p.description, by=MODELLED),) if p.description else ()),
             "operator": p.code == parties.operator, "simulated": p.simulated} for p in parties]


def case_view(spec: Any) -> dict[str, Any]:
    account = account_of(spec.about)
    return {
        "case": account.case if account is not None else spec.title,
        "case_ko": account.case_ko if account is not None else "",
        "description": spec.description,
        "account": account,
        "model_name": MODEL_NAMES.get(account.model_fit.model, "") if account is not None else "",
        "source": account.source if account is not None else "",
        "parties": parties_view(spec.parties, account),
        "considerations": considerations_view(account),
    }
