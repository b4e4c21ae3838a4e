"""The landing page's view of a case: about.json and the party registry, shaped for templates."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.parties import PartyRegistry

# The handbook's six considerations, in its order, with the question each one asks.
CONSIDERATIONS: list[tuple[str, str, str]] = [
    ("diversity_of_participants", "Diversity of participants", "Public only, or public and private?"),
    ("service_field", "Service field", "Hardware or software service, and in which field?"),
    ("policy_effect_and_target", "Policy effect and target",
     "External customers (citizens) or internal customers (public bodies)?"),
    ("resource_sharing", "Resource sharing", "Are budget, people, information and technology shared?"),
    ("innovation", "Innovation", "Which science and technology is applied?"),
    ("sustainability", "Sustainability", "Legal basis, dedicated departments, people, agreements?"),
]
RESOURCES = ("budget", "people", "information", "technology")


def parties_view(parties: PartyRegistry, about: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Parties in registry order; the role sentence from about.json when it has one."""
    role_text = {p.get("code"): p.get("role", "") for p in about.get("parties", []) if isinstance(p, Mapping)}
    return [{"code": p.code, "name": p.name, "name_ko": p.name_ko, "roles": sorted(p.roles),
             "role": role_text.get(p.code) or p.description, "operator": p.code == parties.operator,
             "simulated": p.simulated} for p in parties]


def considerations_view(about: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per consideration (missing ones say so rather than disappearing from the table)."""
    given = about.get("considerations") or {}
    rows = []
    for key, label, question in CONSIDERATIONS:
        item = given.get(key) or {}
        if key == "resource_sharing" and item:
            shared = [r for r in RESOURCES if item.get(r) is True]
            not_shared = [r for r in RESOURCES if item.get(r) is False]
            value = ("shared: " + ", ".join(shared) if shared else "nothing shared") + (
                "; not shared: " + ", ".join(not_shared) if not_shared else "")
            sharing = [{"resource": r, "shared": item.get(r)} for r in RESOURCES]
        else:
            value = str(item.get("value", "")) if item else ""
            sharing = []
        rows.append({"key": key, "label": label, "question": question, "value": value or "not stated",
                     "detail": str(item.get("detail", "")) if item else "", "sharing": sharing})
    return rows


def case_view(spec: Any) -> dict[str, Any]:
    about: Mapping[str, Any] = spec.about or {}
    return {
        "case": about.get("case") or spec.title,
        "case_ko": about.get("case_ko", ""),
        # about.json has no separate purpose yet; the service description says what it is for.
        "purpose": about.get("purpose") or spec.description,
        "launched": about.get("launched", ""),
        "source": about.get("source", ""),
        "parties": parties_view(spec.parties, about),
        "considerations": considerations_view(about),
    }
