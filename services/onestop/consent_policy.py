"""Consent policy of the onestop hub: data categories, their fields, purposes, retention and the PIPA notice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from services.onestop.reference import ReferenceDataError, read_data_file, req


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


@dataclass(frozen=True, slots=True)
class AgencyPurpose:
    purpose_en: str
    purpose_ko: str
    retention: str  # ISO 8601 duration, e.g. "P5Y"
    retention_en: str
    retention_ko: str


@dataclass(frozen=True, slots=True)
class NoticeItem:
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


def parse_consent(doc: Mapping[str, Any], where: str = "consent.json") -> ConsentPolicy:
    categories = {}
    owner: dict[str, str] = {}
    for code, raw in req(doc, "categories", dict, where).items():
        w = f"{where}.categories.{code}"
        cat = ConsentCategory(
            code=code,
            label_en=req(raw, "label_en", str, w),
            label_ko=req(raw, "label_ko", str, w),
            fields=frozenset(req(raw, "fields", list, w)),
            derived_fields=frozenset(raw.get("derived_fields", [])),
            sensitive=req(raw, "sensitive", bool, w),
            legal_basis=req(raw, "legal_basis", str, w),
        )
        for field in cat.all_fields:
            if field in owner:
                raise ReferenceDataError(f"{w}: field {field!r} already belongs to category {owner[field]!r}")
            owner[field] = code
        categories[code] = cat
    items = tuple(
        NoticeItem(
            **{
                k: req(raw, k, str, f"{where}.notice_items[{i}]")
                for k in ("code", "article", "text_en", "text_ko")
            }
        )
        for i, raw in enumerate(req(doc, "notice_items", list, where))
    )
    # PIPA Art. 17(2) lists exactly five items; a notice missing one makes the consent invalid.
    if [i.code for i in items] != ["recipient", "purpose", "items", "retention", "refusal"]:
        raise ReferenceDataError(
            f"{where}.notice_items: need recipient, purpose, items, retention, refusal in order"
        )
    never = frozenset(req(req(doc, "never_collect", dict, where), "fields", list, f"{where}.never_collect"))
    if never & owner.keys():
        raise ReferenceDataError(
            f"{where}: never-collected fields {sorted(never & owner.keys())} are in a category"
        )
    return ConsentPolicy(
        version=req(doc, "version", str, where),
        envelope_fields=tuple(req(doc, "envelope_fields", list, where)),
        never_collect=never,
        categories=categories,
        agencies={
            code: AgencyPurpose(
                **{
                    k: req(raw, k, str, f"{where}.agencies.{code}")
                    for k in ("purpose_en", "purpose_ko", "retention", "retention_en", "retention_ko")
                }
            )
            for code, raw in req(doc, "agencies", dict, where).items()
        },
        notice_items=items,
    )


@cache
def consent_policy() -> ConsentPolicy:
    """The shipped consent policy, parsed once."""
    return parse_consent(read_data_file("consent.json"))
