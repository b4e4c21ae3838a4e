"""Cursor (keyset) pagination: opaque `next_cursor`, stable under inserts, index-friendly."""
from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.sql import ColumnElement

from shared.errors import field_problem


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise field_problem("cursor", "is not a cursor returned by this API; omit it to start from the first page",
                            status=400, slug="bad-cursor") from None
    if not isinstance(values, list) or len(values) != arity or not all(
            isinstance(v, str | int | float) for v in values):
        raise field_problem("cursor", "is not a cursor returned by this API; omit it to start from the first page",
                            status=400, slug="bad-cursor")
    return values


def keyset(query: Select, columns: Sequence[ColumnElement], cursor: str | None, limit: int, *,
           descending: bool = True, parse: Sequence[Any] | None = None) -> Select:
    """Adds the WHERE and ORDER BY of a keyset page, fetching one extra row to detect the end.

    `columns` must be unique together (end with the id). `parse` optionally converts cursor
    values back to column types (e.g. `datetime.fromisoformat`).
    """
    order = [c.desc() if descending else c.asc() for c in columns]
    query = query.order_by(*order).limit(limit + 1)
    if cursor:
        values = decode_cursor(cursor, len(columns))
        if parse:
            try:
                values = [fn(v) if fn else v for fn, v in zip(parse, values, strict=True)]
            except (TypeError, ValueError):
                raise field_problem("cursor", "is not a cursor returned by this API", status=400,
                                    slug="bad-cursor") from None
        query = query.where(_after(columns, values, descending))
    return query


def _after(columns: Sequence[ColumnElement], values: Sequence[Any], descending: bool) -> ColumnElement:
    # (a, b, c) < (x, y, z) expanded for portability (SQLite lacks row-value comparisons on old builds).
    clauses = []
    for i, col in enumerate(columns):
        eqs = [columns[j] == values[j] for j in range(i)]
        cmp = col < values[i] if descending else col > values[i]
        clauses.append(and_(*eqs, cmp))
    return or_(*clauses)


def page(rows: Sequence[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    """Splits the extra row off and builds `next_cursor` from the last row's key values."""
    rows = list(rows)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(key(rows[-1]))
