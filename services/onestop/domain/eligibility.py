"""Declarative eligibility rule engine: versioned rules compiled once, three-valued evaluation with reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from services.onestop.domain.conditions import (
    TYPE_CHECKS,
    Evaluator,
    FieldSpec,
    RuleError,
    Tri,
    compile_condition,
)
from services.onestop.domain.reference import Directory, ReferenceDataError, directory, read_data_file
from shared.reference import Frozen, Items, validate

Status = Literal["eligible", "maybe", "not_eligible"]

_STATUS_ORDER = {True: 0, None: 1, False: 2}
_STATUS: dict[Tri, Status] = {True: "eligible", None: "maybe", False: "not_eligible"}


class AssessmentError(ValueError):
    """An assessment value has the wrong type or an unknown code; the message names the field."""


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    url: str | None
    approximate: bool


@dataclass(frozen=True)
class MedianIncome:
    """Standard median income (monthly KRW) by household size, for `income_pct_median`."""

    year: int
    by_size: dict[int, int]
    source: str
    approximate: bool

    def monthly(self, household_size: int) -> int:
        if household_size < 1:
            raise AssessmentError(f"household_size: must be 1 or more, got {household_size}")
        if household_size in self.by_size:
            return self.by_size[household_size]
        # MOHW rule for households beyond the table: add the last step once per extra member.
        top = max(self.by_size)
        step = self.by_size[top] - self.by_size[top - 1]
        return self.by_size[top] + (household_size - top) * step


@dataclass(frozen=True, slots=True)
class Recommendation:
    service_id: str
    service_key: str
    agency: str
    status: Status
    reasons: list[str]
    sources: list[str]
    rules_version: str
    max_amount_krw: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceRule:
    service_key: str
    service_id: str
    agency: str
    max_amount_krw: int | None
    sources: tuple[str, ...]
    fields: frozenset[str]
    check: Evaluator = field(repr=False)


@dataclass(frozen=True)
class RuleSet:
    version: str
    effective_date: date
    fields: dict[str, FieldSpec]
    sources: dict[str, Source]
    median_income: MedianIncome
    rules: tuple[ServiceRule, ...]


class _FieldEntry(Frozen):
    label: str
    type: Literal["integer", "number", "boolean", "string"]
    unit: str | None = None
    values: Items[str] | None = None


class _SourceEntry(Frozen):
    title: str
    url: str | None = None
    approximate: bool = False


class _MedianIncomeEntry(Frozen):
    year: int
    by_household_size: dict[str, Annotated[int, Field(gt=0)]]  # JSON object keys are strings: "1", "2", …
    source: str
    approximate: bool = False

    @field_validator("by_household_size")
    @classmethod
    def _sizes_one_to_n(cls, by_size: dict[str, int]) -> dict[str, int]:
        sizes = sorted(int(k) if k.isdigit() else 0 for k in by_size)
        if sizes != list(range(1, len(sizes) + 1)) or len(sizes) < 2:
            raise ValueError("needs sizes 1..N with N >= 2")
        return by_size


class _ServiceEntry(Frozen):
    agency: str
    rule: dict[str, Any]  # a condition tree, compiled by `compile_condition`
    max_amount_krw: Annotated[int, Field(ge=0)] | None = None


class RulesFile(Frozen):
    """eligibility_rules.json: the file's shape; conditions and directory agreement are checked by `parse_rules`."""

    rules_version: str
    effective_date: date
    fields: dict[str, _FieldEntry]
    sources: dict[str, _SourceEntry]
    median_income: _MedianIncomeEntry
    services: dict[str, _ServiceEntry]


def parse_rules(
    doc: Mapping[str, Any], *, directory: Directory, where: str = "eligibility_rules.json"
) -> RuleSet:
    """Validate and compile a rules document against the directory (every service needs exactly one rule)."""
    try:
        f = validate(doc, RulesFile, where)
    except ReferenceDataError as exc:
        raise RuleError(str(exc), file=exc.file, fields=exc.fields) from None
    fields = {
        name: FieldSpec(name, x.label, x.type, x.unit, x.values or None) for name, x in f.fields.items()
    }
    sources = {sid: Source(sid, x.title, x.url, x.approximate) for sid, x in f.sources.items()}
    med = f.median_income
    median = MedianIncome(
        year=med.year,
        by_size={int(k): v for k, v in med.by_household_size.items()},
        source=med.source,
        approximate=med.approximate,
    )
    rules = []
    for svc in directory.services():
        w = f"{where}.services.{svc.key}"
        if svc.key not in f.services:
            raise RuleError(f"{where}.services: no rule for directory service {svc.key!r}")
        raw = f.services[svc.key]
        if raw.agency != svc.agency:
            raise RuleError(f"{w}.agency: {raw.agency!r} but the directory says {svc.agency!r}")
        check, srcs, names = compile_condition(raw.rule, fields, sources, f"{w}.rule")
        rules.append(
            ServiceRule(
                svc.key,
                svc.id,
                svc.agency,
                raw.max_amount_krw,
                tuple(sorted(srcs)),
                frozenset(names),
                check,
            )
        )
    unknown = set(f.services) - {r.service_key for r in rules}
    if unknown:
        raise RuleError(f"{where}.services: rules for services not in the directory: {sorted(unknown)}")
    return RuleSet(f.rules_version, f.effective_date, fields, sources, median, tuple(rules))


@cache
def rules() -> RuleSet:
    """The shipped rules compiled once against the shipped directory."""
    return parse_rules(read_data_file("eligibility_rules.json"), directory=directory())


def age_on(birth_date: date, reference_date: date) -> int:
    """Completed years (만 나이, the legal age since June 2023) on `reference_date`."""
    years = reference_date.year - birth_date.year
    return years - ((reference_date.month, reference_date.day) < (birth_date.month, birth_date.day))


def derive_facts(ruleset: RuleSet, assessment: Mapping[str, Any], *, reference_date: date) -> dict[str, Any]:
    """Check declared field types and add derived fields (`age` on `reference_date`, `income_pct_median`)
    when absent. The caller gives the day (a flow: Korea's date on the service clock); nothing here reads
    a clock."""
    facts = {k: v for k, v in assessment.items() if v is not None}
    for name, spec in ruleset.fields.items():
        if name in facts:
            value = facts[name]
            if not TYPE_CHECKS[spec.type](value):
                raise AssessmentError(f"{name}: expected {spec.type}, got {type(value).__name__} {value!r}")
            if spec.values and value not in spec.values:
                raise AssessmentError(f"{name}: {value!r} is not one of {', '.join(spec.values)}")
    if "age" not in facts and "birth_date" in facts:
        born = facts["birth_date"]
        if isinstance(born, str):
            try:
                born = date.fromisoformat(born)
            except ValueError:
                raise AssessmentError(f"birth_date: expected YYYY-MM-DD, got {born!r}") from None
        if isinstance(born, datetime):
            born = born.date()
        if not isinstance(born, date):
            raise AssessmentError(f"birth_date: expected a date, got {type(born).__name__}")
        facts["age"] = age_on(born, reference_date)
    if "income_pct_median" not in facts and "annual_income_krw" in facts and "household_size" in facts:
        yearly_median = 12 * ruleset.median_income.monthly(facts["household_size"])
        facts["income_pct_median"] = round(facts["annual_income_krw"] * 100 / yearly_median, 1)
    return facts


def evaluate(ruleset: RuleSet, assessment: Mapping[str, Any], *, reference_date: date) -> list[Recommendation]:
    """Recommend every service: eligible first, then maybe (some input missing), then not eligible.

    `assessment` holds the resident's fields as named in the rules file (`birth_date` or `age`,
    `annual_income_krw`, `household_size`, `debt_total_krw`, …); missing or None values are unknown.
    `reference_date` (required: the caller's today) is the day ages are computed for.
    """
    facts = derive_facts(ruleset, assessment, reference_date=reference_date)
    out = []
    for rule in ruleset.rules:
        value, reasons = rule.check(facts)
        if not reasons:
            reasons = ["no conditions: open to every resident"]
        out.append(
            (
                _STATUS_ORDER[value],
                Recommendation(
                    service_id=rule.service_id,
                    service_key=rule.service_key,
                    agency=rule.agency,
                    status=_STATUS[value],
                    reasons=reasons,
                    sources=list(rule.sources),
                    rules_version=ruleset.version,
                    max_amount_krw=rule.max_amount_krw,
                ),
            )
        )
    out.sort(key=lambda pair: pair[0])  # stable: directory order within a status
    return [rec for _, rec in out]
