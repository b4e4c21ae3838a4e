"""Reference data: read a versioned JSON file and validate it with a Pydantic model (pure: no web, no database).

Every service ships reference data as JSON files under `services/<svc>/data/`. A service describes each file with
frozen Pydantic models built on `Frozen` (strict: `"35.6"` is not a number, `1` is not `true`) and reads it with
`load(path, Model)`. Any failure - missing file, invalid JSON, wrong type, missing field, out-of-range value,
unknown enum member, a failed cross-field or cross-file check - becomes a `ReferenceDataError` whose message names
the file and the JSON path of the bad field (`directory.json: agencies[0].sector: 'semi-public' is not one of:
'public', ...`); `.file` and `.fields` carry the same for programs.

Checks that need another file (a season's peaks must exist in peaks.json) read it from the validation context:
`load(path, Seasons, context={"peaks": peaks})`, and a validator reads `info.context`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Strict,
    TypeAdapter,
    ValidationError,
    model_validator,
)

T = TypeVar("T")
Source = str | os.PathLike[str] | Traversable


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a non-empty string")
    return value


# A string with at least one non-space character.
Text = Annotated[str, AfterValidator(_non_blank)]
# An immutable list for a model field: a JSON array (strict mode alone refuses arrays for tuples), items strict.
Items = Annotated[tuple[T, ...], Strict(False)]

MAX_REPORTED_ERRORS = 5

# Pydantic error types that mean "wrong JSON type", and the type name the message shows.
_TYPE_NAMES = {
    "string_type": "str",
    "int_type": "int",
    "int_from_float": "int",
    "float_type": "int/float",
    "bool_type": "bool",
    "list_type": "list",
    "tuple_type": "list",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
    "date_type": "ISO date string (YYYY-MM-DD)",
    "datetime_type": "ISO 8601 date-time string",
    "uuid_type": "UUID string",
}


# Pydantic error types with a message in the words the reference files' readers have always used.
_MESSAGES = {
    "date_parsing": "not an ISO date (YYYY-MM-DD): {input!r}",
    "date_from_datetime_parsing": "not an ISO date (YYYY-MM-DD): {input!r}",
    "datetime_parsing": "not an ISO 8601 date-time: {input!r}",
    "datetime_from_date_parsing": "not an ISO 8601 date-time: {input!r}",
    "timezone_aware": "needs a UTC offset (e.g. +09:00): {input!r}",
    "uuid_parsing": "not a UUID: {input!r}",
    "greater_than": "must be > {gt}, got {input!r}",
    "greater_than_equal": "must be >= {ge}, got {input!r}",
    "less_than": "must be < {lt}, got {input!r}",
    "less_than_equal": "must be <= {le}, got {input!r}",
    "too_short": "needs at least {min_length} item(s), found {actual_length}",
    "too_long": "allows at most {max_length} item(s), found {actual_length}",
    "finite_number": "must be a finite number, got {input!r}",
}


class ReferenceDataError(ValueError):
    """A reference data file is missing, malformed or inconsistent; the message names the file and the field.

    `file` is the file (or document) name and `fields` the JSON paths of the bad fields (`seasons[0].peaks`).
    """

    def __init__(self, message: str, *, file: str = "", fields: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.file, self.fields = file, fields


class Frozen(BaseModel):
    """Base of reference-data models: immutable, strict types, unknown keys (descriptions, notes) ignored.

    Use `Items[X]` for lists (a tuple, so the model stays hashable and immutable).
    """

    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")


class Versioned(Frozen):
    """A whole reference file: it must carry a `version` string, so loaded data says which version it is."""

    version: str = ""  # checked below, so a missing version gets the message that says why it matters

    @model_validator(mode="after")
    def _needs_version(self) -> Versioned:
        # An "after" check: a "before" one would hand Pydantic parsed Python values, and strict mode would then
        # refuse the ISO date strings the JSON file carries.
        if not self.version.strip():
            raise ValueError("missing a `version` string (reference data must be versioned)")
        return self


def unique_by(items: tuple[Any, ...], key: str = "", attr: str = "code") -> dict[str, Any]:
    """The items of list `key` by their `attr`; a ValueError naming `key[i]` if two share one (for validators)."""
    found: dict[str, Any] = {}
    for i, item in enumerate(items):
        if (value := getattr(item, attr)) in found:
            raise ValueError(f"{key}[{i}].{attr}: duplicate {attr} {value!r}")
        found[value] = item
    return found


def _distinct_codes(items: tuple[Any, ...]) -> tuple[Any, ...]:
    unique_by(items)
    return items


# A list field of reference items whose `code`s are distinct (the error names the field and the index).
Coded = Annotated[Items[T], AfterValidator(_distinct_codes)]


# --------------------------------------------------------------------------- reading


def _name(source: Source) -> str:
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else str(source)


def _read_text(source: Source) -> str:
    path = Path(source) if isinstance(source, (str, os.PathLike)) else source
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ReferenceDataError(f"{_name(source)}: file not found", file=_name(source)) from exc
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(f"{_name(source)}: not valid UTF-8: {exc}", file=_name(source)) from exc


def _parse(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(f"{where}: invalid JSON at line {exc.lineno}: {exc.msg}", file=where) from exc


def read_json(source: Source) -> dict[str, Any]:
    """Read a JSON object from a file, turning every failure into a ReferenceDataError naming the file."""
    where = _name(source)
    doc = _parse(_read_text(source), where)
    if not isinstance(doc, dict):
        raise ReferenceDataError(f"{where}: expected a JSON object at the top level", file=where)
    return doc


def read_versioned(source: Source, version_keys: tuple[str, ...] = ("version",)) -> dict[str, Any]:
    """`read_json`, refusing a file without a version string under one of `version_keys`."""
    doc = read_json(source)
    if not any(isinstance(doc.get(k), str) for k in version_keys):
        where = _name(source)
        raise ReferenceDataError(
            f"{where}: missing a `{version_keys[0]}` string (reference data must be versioned)", file=where
        )
    return doc


# --------------------------------------------------------------------------- validating


@lru_cache(maxsize=128)
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def json_path(loc: tuple[int | str, ...]) -> str:
    """A Pydantic error location as a JSON path: ('seasons', 0, 'peaks') -> 'seasons[0].peaks'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(err: Mapping[str, Any]) -> str:
    kind, value = err["type"], err.get("input")
    if kind == "missing":
        return "missing (required)"
    if kind in ("literal_error", "enum"):
        return f"{value!r} is not one of: {err.get('ctx', {}).get('expected', '')}"
    if kind in _MESSAGES:
        return _MESSAGES[kind].format(input=value, **err.get("ctx", {}))
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, got {type(value).__name__} {value!r}"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def _error(exc: ValidationError, where: str) -> ReferenceDataError:
    errors = exc.errors(include_url=False)
    # A list whose items all failed also reads as "too short" to Pydantic: report the items, not the length.
    inner = {tuple(e["loc"][:n]) for e in errors for n in range(len(e["loc"]))}
    errors = [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in inner)] or errors
    lines, fields = [], []
    for err in errors[:MAX_REPORTED_ERRORS]:
        path = json_path(tuple(err["loc"]))
        if path:
            fields.append(path)
        lines.append(f"{path}: {_message(err)}" if path else _message(err))
    if len(errors) > MAX_REPORTED_ERRORS:
        lines.append(f"and {len(errors) - MAX_REPORTED_ERRORS} more")
    return ReferenceDataError(f"{where}: " + "; ".join(lines), file=where, fields=tuple(fields))


def validate(doc: Any, model: type[T] | Any, where: str, *, context: Mapping[str, Any] | None = None) -> T:
    """Validate an already-parsed JSON document (dict/list) as `model` (a model class or any type).

    The document goes through JSON mode, as a file would, so ISO dates and UUIDs in strings are accepted and
    the same strict rules apply to a dict built in a test as to the shipped file.
    """
    try:
        text = json.dumps(doc, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ReferenceDataError(f"{where}: not a JSON document: {exc}", file=where) from exc
    return validate_json(text, model, where, context=context)


def validate_json(text: str | bytes, model: type[T] | Any, where: str, *,
                  context: Mapping[str, Any] | None = None) -> T:
    """Validate JSON text as `model`; a ValidationError becomes a ReferenceDataError naming `where` and the path."""
    try:
        return _adapter(model).validate_json(text, context=dict(context or {}))
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            _parse(text.decode("utf-8") if isinstance(text, bytes) else text, where)  # raises, with the line
        raise _error(exc, where) from None


def load(source: Source, model: type[T] | Any, *, context: Mapping[str, Any] | None = None) -> T:
    """Read the JSON file `source` (a path or a package file from `importlib.resources`) as `model`.

    Raises ReferenceDataError naming the file and, for an invalid value, the JSON path of the field.
    """
    where = _name(source)
    text = _read_text(source)
    doc = _parse(text, where)
    if not isinstance(doc, dict):
        raise ReferenceDataError(f"{where}: expected a JSON object at the top level", file=where)
    return validate_json(text, model, where, context=context)


# --------------------------------------------------------------------------- hand validation (legacy readers)


def req(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """Return `obj[key]`, raising ReferenceDataError that says where and what type was expected.

    For readers not (yet) described by a model; `bool` never passes for `int`.
    """
    if not isinstance(obj, Mapping):
        raise ReferenceDataError(f"{where}: expected an object, got {type(obj).__name__}", file=where)
    if key not in obj:
        raise ReferenceDataError(f"{where}: missing `{key}`", file=where, fields=(key,))
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = "/".join(k.__name__ for k in kinds)
        raise ReferenceDataError(
            f"{where}.{key}: expected {names}, got {type(value).__name__} {value!r}", file=where, fields=(key,)
        )
    return value
