"""Condition trees of the eligibility and vulnerability rules: compiled once into closures that give a
three-valued answer (true, false, unknown) and the reasons in words ("age 52 ≥ 40")."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.onestop.domain.reference import ReferenceDataError, req

Tri = bool | None  # True, False, or None = unknown (an input is missing)
Evaluator = Callable[[Mapping[str, Any]], tuple[Tri, list[str]]]

_OPS: dict[str, tuple[Callable[[Any, Any], bool], str, str]] = {
    # op: (test, symbol when it holds, symbol when it does not) - reasons state the fact either way.
    ">=": (operator.ge, "≥", "<"),
    "<=": (operator.le, "≤", ">"),
    ">": (operator.gt, ">", "≤"),
    "<": (operator.lt, "<", "≥"),
    "==": (operator.eq, "=", "≠"),
    "!=": (operator.ne, "≠", "="),
    "in": (lambda a, b: a in b, "∈", "∉"),
    "not_in": (lambda a, b: a not in b, "∉", "∈"),
}
TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
}


class RuleError(ReferenceDataError):
    """The rules file is malformed: unknown field, operator or source, or a value of the wrong type."""



@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    label: str
    type: str
    unit: str | None
    values: tuple[str, ...] | None = None



def _fmt(value: Any, unit: str | None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.1f}"
    elif isinstance(value, int | float):
        text = f"{int(value):,}"
    elif isinstance(value, list | tuple):
        return "{" + ", ".join(str(v) for v in value) + "}"
    else:
        text = str(value)
    if unit is None:
        return text
    return f"{text}{unit}" if unit.startswith("%") else f"{text} {unit}"


def compile_condition(
    raw: Mapping[str, Any], fields: Mapping[str, FieldSpec], sources: Mapping[str, Any] | None, where: str
) -> tuple[Evaluator, set[str], set[str]]:
    """Compile one condition tree into a closure; returns (evaluator, source ids, field names).

    `sources=None` skips the per-leaf source requirement (used for vulnerability weights,
    whose file carries one source for all of them).
    """
    if not isinstance(raw, Mapping):
        raise RuleError(f"{where}: a condition is an object, got {raw!r}")
    for combinator in ("all", "any"):
        if combinator in raw:
            parts = [
                compile_condition(c, fields, sources, f"{where}.{combinator}[{i}]")
                for i, c in enumerate(req(raw, combinator, list, where))
            ]
            children = [p[0] for p in parts]
            srcs = set().union(*(p[1] for p in parts)) if parts else set()
            names = set().union(*(p[2] for p in parts)) if parts else set()
            return (_all(children) if combinator == "all" else _any(children)), srcs, names
    if "not" in raw:
        child, srcs, names = compile_condition(raw["not"], fields, sources, f"{where}.not")
        return _not(child), srcs, names
    return _leaf(raw, fields, sources, where)


def _all(children: list[Evaluator]) -> Evaluator:
    def check(facts: Mapping[str, Any]) -> tuple[Tri, list[str]]:
        results = [c(facts) for c in children]
        if any(v is False for v, _ in results):  # one false condition decides, whatever is unknown
            return False, [r for v, rs in results if v is False for r in rs]
        if any(v is None for v, _ in results):
            return None, [r for v, rs in results if v is not False for r in rs]
        return True, [r for _, rs in results for r in rs]

    return check


def _any(children: list[Evaluator]) -> Evaluator:
    def check(facts: Mapping[str, Any]) -> tuple[Tri, list[str]]:
        results = [c(facts) for c in children]
        for value, reasons in results:
            if value is True:  # one satisfied route is the explanation; others would only add noise
                return True, reasons
        if any(v is None for v, _ in results):
            return None, [r for v, rs in results if v is None for r in rs]
        return False, [r for _, rs in results for r in rs]

    return check


def _not(child: Evaluator) -> Evaluator:
    def check(facts: Mapping[str, Any]) -> tuple[Tri, list[str]]:
        value, reasons = child(facts)
        return (None if value is None else not value), reasons  # reasons state facts, so they stay true

    return check


def _leaf(
    raw: Mapping[str, Any], fields: Mapping[str, FieldSpec], sources: Mapping[str, Any] | None, where: str
) -> tuple[Evaluator, set[str], set[str]]:
    name = req(raw, "field", str, where)
    op = req(raw, "op", str, where)
    if name not in fields:
        raise RuleError(f"{where}.field: unknown field {name!r}; known: {', '.join(sorted(fields))}")
    if op not in _OPS:
        raise RuleError(f"{where}.op: unknown operator {op!r}; accepted: {', '.join(_OPS)}")
    if "value" not in raw:
        raise RuleError(f"{where}: missing `value`")
    spec, value = fields[name], raw["value"]
    is_type = TYPE_CHECKS[spec.type]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not all(is_type(v) for v in value):
            raise RuleError(f"{where}.value: `{op}` needs a list of {spec.type} values, got {value!r}")
        value = tuple(value)
    elif not is_type(value):
        raise RuleError(f"{where}.value: field {name!r} is {spec.type}, got {value!r}")
    if spec.values and not set(value if isinstance(value, tuple) else (value,)) <= set(spec.values):
        raise RuleError(f"{where}.value: {value!r} is not among {name!r} codes {', '.join(spec.values)}")
    source_ids: set[str] = set()
    if sources is not None:
        src = req(raw, "source", str, where)
        if src not in sources:
            raise RuleError(f"{where}.source: unknown source {src!r}; define it under `sources`")
        source_ids.add(src)
    test, yes, no = _OPS[op]
    shown, label, unit = _fmt(value, spec.unit), spec.label, spec.unit
    if spec.type == "boolean" and op in ("==", "!="):
        wanted = value if op == "==" else not value
        missing = f"{label} unknown (needs {_fmt(wanted, None)})"

        def describe(actual: Any, holds: bool) -> str:
            return f"{label}: {_fmt(actual, None)}"
    else:
        missing = f"{label} unknown (needs {yes} {shown})"

        def describe(actual: Any, holds: bool) -> str:
            return f"{label} {_fmt(actual, unit)} {yes if holds else no} {shown}"

    def check(facts: Mapping[str, Any]) -> tuple[Tri, list[str]]:
        actual = facts.get(name)
        if actual is None:
            return None, [missing]
        holds = test(actual, value)
        return holds, [describe(actual, holds)]

    return check, source_ids, {name}
