"""Consent policy of the onestop hub: data categories, their fields, purposes, retention and the PIPA notice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import model_validator

from services.onestop.domain.reference import read_data_file
from shared.reference import Frozen, Items, Versioned, validate


@dataclass(frozen=True, slots=True)
class ConsentCategory:
    code: str
    label_en: str
    label_ko: str
    fields: frozenset[str]
    derived_fields: frozenset[str]
    sensitive: bool
    legal_basis: str

    @property
    def all_fields(self) -> frozenset[str]:
        return self.fields | self.derived_fields


class AgencyPurpose(Frozen):
    purpose_en: str
    purpose_ko: str
    retention: str  # ISO 8601 duration, e.g. "P5Y"
    retention_en: str
    retention_ko: str


class NoticeItem(Frozen):
    """One of the five things a third-party consent must state (PIPA Art. 17(2))."""

    code: str
    article: str
    text_en: str
    text_ko: str


@dataclass(frozen=True)
class ConsentPolicy:
    version: str
    envelope_fields: tuple[str, ...]
    never_collect: frozenset[str]
    categories: dict[str, ConsentCategory]
    agencies: dict[str, AgencyPurpose]
    notice_items: tuple[NoticeItem, ...]

    def category_of(self, field: str) -> str | None:
        """The category a resident field belongs to, or None for fields no consent covers."""
        for cat in self.categories.values():
            if field in cat.all_fields:
                return cat.code
        return None


NOTICE_ORDER = ["recipient", "purpose", "items", "retention", "refusal"]


class _CategoryEntry(Frozen):
    label_en: str
    label_ko: str
    fields: Items[str]
    derived_fields: Items[str] = ()
    sensitive: bool
    legal_basis: str


class _NeverCollect(Frozen):
    fields: Items[str]


class ConsentFile(Versioned):
    """consent.json: each field in at most one category, the five PIPA notice items, never-collected fields."""

    envelope_fields: Items[str]
    never_collect: _NeverCollect
    categories: dict[str, _CategoryEntry]
    agencies: dict[str, AgencyPurpose]
    notice_items: Items[NoticeItem]

    @model_validator(mode="after")
    def _consistent(self) -> ConsentFile:
        owner: dict[str, str] = {}
        for code, cat in self.categories.items():
            for field in (*cat.fields, *cat.derived_fields):
                if field in owner and owner[field] != code:
                    raise ValueError(
                        f"categories.{code}: field {field!r} already belongs to category {owner[field]!r}"
                    )
                owner[field] = code
        # PIPA Art. 17(2) lists exactly five items; a notice missing one makes the consent invalid.
        if [i.code for i in self.notice_items] != NOTICE_ORDER:
            raise ValueError(f"notice_items: need {', '.join(NOTICE_ORDER)} in order")
        if clash := sorted(set(self.never_collect.fields) & owner.keys()):
            raise ValueError(f"never-collected fields {clash} are in a category")
        return self


def parse_consent(doc: Mapping[str, Any], where: str = "consent.json") -> ConsentPolicy:
    """Validate a parsed consent document (as read from the file)."""
    f = validate(doc, ConsentFile, where)
    return ConsentPolicy(
        version=f.version,
        envelope_fields=f.envelope_fields,
        never_collect=frozenset(f.never_collect.fields),
        categories={
            code: ConsentCategory(
                code=code,
                label_en=c.label_en,
                label_ko=c.label_ko,
                fields=frozenset(c.fields),
                derived_fields=frozenset(c.derived_fields),
                sensitive=c.sensitive,
                legal_basis=c.legal_basis,
            )
            for code, c in f.categories.items()
        },
        agencies=dict(f.agencies),
        notice_items=f.notice_items,
    )


@cache
def consent_policy() -> ConsentPolicy:
    """The shipped consent policy, parsed once."""
    return parse_consent(read_data_file("consent.json"))
