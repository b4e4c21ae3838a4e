"""Cursor (keyset) pagination: opaque `next_cursor`, stable under inserts, index-friendly."""
from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.sql import ColumnElement

from shared.errors import field_problem


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_BAD = "is not a cursor returned by this API; omit it to start from the first page"


def _bad_cursor():
    return field_problem("cursor", _BAD, status=400, slug="bad-cursor")


def _python_type(col: ColumnElement) -> type | None:
    # A TypeDecorator that defines no python_type reports `object`: ask its impl then.
    for t in (col.type, getattr(col.type, "impl", None)):
        try:
            kind = t.python_type if t is not None else None
        except NotImplementedError:
            continue
        if kind is not object:
            return kind
    return None


def _coerce(col: ColumnElement, value: Any) -> Any:
    """A cursor value (JSON: str/int/float) back to the column's type, or a 400 problem.

    Without this a datetime key (serialised with isoformat()) reaches the column type as
    a string and the query fails with a 500 on the second page; a tampered cursor
    holding the wrong type would do the same.
    """
    kind = _python_type(col)
    if kind is datetime:
        if not isinstance(value, str):
            raise _bad_cursor()
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise _bad_cursor() from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if kind is date:
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise _bad_cursor() from None
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise _bad_cursor()
    if kind is str and not isinstance(value, str):
        raise _bad_cursor()
    return value


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None
    if not isinstance(values, list) or len(values) != arity or not all(
            isinstance(v, str | int | float) for v in values):
        raise _bad_cursor()
    return values


def keyset(query: Select, columns: Sequence[ColumnElement], cursor: str | None, limit: int, *,
           descending: bool = True, parse: Sequence[Any] | None = None) -> Select:
    """Adds the WHERE and ORDER BY of a keyset page, fetching one extra row to detect the end.

    `columns` must be unique together (end with the id). Cursor values are converted back
    to the columns' types (datetimes from ISO strings); `parse` optionally overrides that
    per column (e.g. `Decimal`), None meaning the default conversion.
    """
    order = [c.desc() if descending else c.asc() for c in columns]
    query = query.order_by(*order).limit(limit + 1)
    if cursor:
        values = decode_cursor(cursor, len(columns))
        parsers = list(parse) if parse else [None] * len(columns)
        try:
            values = [fn(v) if fn else _coerce(col, v) for fn, col, v in zip(parsers, columns, values, strict=True)]
        except (TypeError, ValueError):
            raise _bad_cursor() from None
        query = query.where(_after(columns, values, descending))
    return query


def _after(columns: Sequence[ColumnElement], values: Sequence[Any], descending: bool) -> ColumnElement:
    # A row-value comparison, (a, b, c) < (x, y, z): PostgreSQL turns it into one index range
    # (the expanded OR form is only a filter there, so a deep page read every newer row), and
    # SQLite supports it since 3.15.
    row = tuple_(*columns)
    bound = tuple_(*(literal(v, type_=c.type) for c, v in zip(columns, values, strict=True)))  # columns' own binds
    return row < bound if descending else row > bound


def page(rows: Sequence[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    """Splits the extra row off and builds `next_cursor` from the last row's key values."""
    rows = list(rows)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(key(rows[-1]))
