"""A case's account as data: what the handbook reports and what we added, each fact with its provenance.

Each service ships `data/about.json`, read here as a `CaseAccount` (pure: no web, no database; the loader
style of `shared.reference`). Every fact names where it comes from (`by`):

- `handbook` - the 2023 UN DESA / KRILA handbook; `ref` names the table or chapter ("Table 4",
  "Chapter 3, case 1"). Facts and figures carry over with this citation; `quoted` marks a table's short
  classification quoted word for word (with attribution); all other text is our own wording.
- `source` - another named public source (a law, a named report); `ref` names it.
- `assumption` - our own choice or reading, not a published fact.
- `extension` - a feature this project added to the case; not something the handbook reports.

The framework the accounts follow - Table 2's considerations with their questions and Chapter 4 / Table 9's
two models - is `shared/case_framework.json`, read by `framework()`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import model_validator

from shared.reference import Frozen, Items, ReferenceDataError, Text, Versioned, load, validate

By = Literal["handbook", "source", "assumption", "extension"]
HANDBOOK_REF = re.compile(r"^(Tables? [1-9]|Chapter [1-4])\b")
MODEL_KEYS = ("social-innovation", "administrative-innovation")
FRAMEWORK_FILE = Path(__file__).with_name("case_framework.json")
# The rows of Tables 4, 6 and 8, in their order; Table 2 asks about policy effects and targets together.
CONSIDERATION_KEYS = ("diversity_of_participants", "service_fields", "policy_effects", "targets", "resource_sharing",
                      "innovation", "sustainability")
RESOURCES = ("budget", "people", "information", "technology")


class Fact(Frozen):
    """One statement with its provenance: `{"text": ..., "by": "handbook", "ref": "Table 4"}`."""

    text: Text
    by: By
    ref: str = ""
    quoted: bool = False  # a short table classification quoted from the handbook, with attribution

    @model_validator(mode="after")
    def _provenance(self) -> Fact:
        if self.by == "handbook" and not HANDBOOK_REF.match(self.ref):
            raise ValueError(f"a handbook fact needs `ref` naming its table or chapter ('Table 4', "
                             f"'Chapter 3, case 1'), got {self.ref!r}")
        if self.by == "source" and not self.ref.strip():
            raise ValueError("a fact from another source needs `ref` naming that source")
        if self.quoted and self.by != "handbook":
            raise ValueError("only handbook facts can be quoted")
        return self

    @property
    def mark(self) -> str:
        """The provenance as the pages show it: 'handbook, Table 4', 'source: Road Act', 'assumption'."""
        if self.by == "handbook":
            return f"handbook, {self.ref}"
        if self.by == "source":
            return f"source: {self.ref}"
        return self.by


class Figure(Fact):
    """A number the account reports: `value` (and `before` for a change, e.g. 500 → 1,200) in `unit`."""

    key: Text
    value: int | float
    before: int | float | None = None
    unit: Text


class Role(Frozen):
    """What one participant does; `party` is its code in parties.json when the service models it."""

    name: Text
    party: str | None = None
    does: Items[Fact]


class Sharing(Frozen):
    level: Literal["shared", "partly", "not shared", "not stated"]
    fact: Fact


class ResourceSharing(Frozen):
    budget: Sharing
    people: Sharing
    information: Sharing
    technology: Sharing
    notes: Items[Fact] = ()


class ServiceFields(Frozen):
    kind: Fact  # hardware- or software-related service
    fields: Items[Fact]


class Innovation(Frozen):
    applied: Items[Fact]
    applicability: Items[Fact]


class Considerations(Frozen):
    """Tables 4, 6 and 8: one entry per row of the handbook's considerations table."""

    diversity_of_participants: Items[Fact]
    service_fields: ServiceFields
    policy_effects: Items[Fact]
    targets: Items[Fact]
    resource_sharing: ResourceSharing
    innovation: Innovation
    sustainability: Items[Fact]


class ModelFit(Frozen):
    """Which of Table 9's two models the case fits, and the considerations that say so (or not)."""

    model: Literal["social-innovation", "administrative-innovation"]
    why: Items[Fact]
    against: Items[Fact] = ()


class Note(Frozen):
    """A place where the handbook contradicts itself: both readings, neither silently chosen."""

    title: Text
    readings: Items[Fact]

    @model_validator(mode="after")
    def _two_readings(self) -> Note:
        if len(self.readings) < 2:
            raise ValueError("a note on an inconsistency shows at least two readings")
        return self


class Link(Frozen):
    """A place in the running system that shows a consideration (`/ui/...` of this service)."""

    label: Text
    href: Text


class CaseAccount(Versioned):
    """One case: the handbook's overview table (purpose, contents, flow, roles, results), its considerations
    table, its figures, which model it fits, our extensions and the places in the running system that show it."""

    service: Text
    case: Text
    case_ko: str = ""
    handbook: Text  # where the case is in the handbook: "Chapter 3, case 1: Tables 3 and 4"
    purpose: Items[Fact]
    contents: Items[Fact]
    system_flow: Items[Fact]
    roles: Items[Role]
    results: Items[Fact]
    considerations: Considerations
    figures: Items[Figure]
    model_fit: ModelFit
    context: Items[Fact] = ()
    extensions: Items[Fact] = ()
    notes: Items[Note] = ()
    shown_at: Mapping[str, Items[Link]] = {}
    source: Text

    @model_validator(mode="after")
    def _consistent(self) -> CaseAccount:
        if bad := [f.text for f in self.extensions if f.by != "extension"]:
            raise ValueError(f"extensions: every entry needs by='extension': {bad}")
        if unknown := sorted(set(self.shown_at) - set(CONSIDERATION_KEYS)):
            raise ValueError(f"shown_at: {unknown} are not considerations; known: {', '.join(CONSIDERATION_KEYS)}")
        if bad := [link.href for links in self.shown_at.values() for link in links if not link.href.startswith("/")]:
            raise ValueError(f"shown_at: links stay inside the service (start with '/'): {bad}")
        return self

    def facts(self) -> list[tuple[str, Fact]]:
        """Every fact with its JSON path, so a test or a page can check each one's provenance."""
        out: list[tuple[str, Fact]] = []

        def walk(value: Any, path: str) -> None:
            if isinstance(value, Fact):
                out.append((path, value))
            elif isinstance(value, Frozen):
                for name in type(value).model_fields:
                    walk(getattr(value, name), f"{path}.{name}" if path else name)
            elif isinstance(value, tuple):
                for i, item in enumerate(value):
                    walk(item, f"{path}[{i}]")
        walk(self, "")
        return out

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)


class About(CaseAccount):
    """`GET /v1/about`: the account plus what the service computes per request (live counts; peaks' clock)."""

    live: dict[str, Any] | None = None
    clock: dict[str, Any] | None = None


# --------------------------------------------------------------------------- the framework (Tables 2 and 9)


class Question(Frozen):
    key: Text  # the consideration's key in Table 2 (policy effects and targets are one item there)
    name: Text
    questions: Items[Text]
    rows: Items[Text]  # the rows of Tables 4, 6 and 8 that answer it


class ModelFeature(Frozen):
    feature: Text
    group: Literal["basic attributes", "considerations"]
    social_innovation: Fact
    administrative_innovation: Fact


class CollaborationModel(Frozen):
    key: Literal["social-innovation", "administrative-innovation"]
    name: Text
    summary: Fact


class Framework(Versioned):
    source: Text
    considerations: Items[Question]
    models: Items[CollaborationModel]
    features: Items[ModelFeature]

    @model_validator(mode="after")
    def _complete(self) -> Framework:
        rows = [r for q in self.considerations for r in q.rows]
        if sorted(rows) != sorted(CONSIDERATION_KEYS):
            raise ValueError(f"considerations: the rows must cover each of {', '.join(CONSIDERATION_KEYS)} once")
        if tuple(m.key for m in self.models) != MODEL_KEYS:
            raise ValueError(f"models: expected {MODEL_KEYS}")
        return self


@lru_cache(maxsize=1)
def framework() -> Framework:
    return load(FRAMEWORK_FILE, Framework)


# --------------------------------------------------------------------------- reading


def load_account(path: Path | str) -> CaseAccount:
    """Read `data/about.json` as a CaseAccount; a ReferenceDataError names the file and the bad field."""
    return load(path, CaseAccount)


_ACCOUNTS: dict[int, tuple[Mapping[str, Any], CaseAccount | None]] = {}


def account_of(about: Mapping[str, Any] | CaseAccount | None) -> CaseAccount | None:
    """The account behind a spec's `about` (a parsed about.json), or None when it is not one (test services).

    Validated once per `about` object: the spec keeps its dict for the service's lifetime.
    """
    if about is None or isinstance(about, CaseAccount):
        return about
    hit = _ACCOUNTS.get(id(about))
    if hit is not None and hit[0] is about:
        return hit[1]
    try:
        account: CaseAccount | None = validate(dict(about), CaseAccount, "about.json")
    except ReferenceDataError:
        if "considerations" in about and "version" in about:
            raise  # meant to be an account: a broken one must not pass as "no account"
        account = None
    _ACCOUNTS[id(about)] = (about, account)
    return account


def about_response(account: CaseAccount, *, live: dict[str, Any] | None = None,
                   extra: Mapping[str, Any] | None = None) -> About:
    """`GET /v1/about`: the (already validated) account with the live counts and the service's extra fields."""
    fields = {name: getattr(account, name) for name in type(account).model_fields}
    return About.model_construct(**fields, live=live, **{k: v for k, v in (extra or {}).items()
                                                       if k in About.model_fields})
