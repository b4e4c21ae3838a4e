"""Query parameters read strictly: what the OpenAPI document says, nothing the framework would also accept.

- `IsoDateTime`: an ISO 8601 date-time with a UTC offset. Pydantic alone also reads a bare number as Unix
  time; a query string is text written by a person or a client, so `since=1700000000` is refused, naming
  the parameter, instead of silently meaning 2023-11-14.
- `single_valued_query`: an app-wide dependency that refuses a parameter given twice (`party=a&party=b`)
  when the route reads one value; Starlette would take the last one and drop the other without a word.
"""
from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Request
from fastapi.dependencies.utils import field_annotation_is_sequence
from pydantic import AwareDatetime, BeforeValidator

from shared.problems import Problem

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _not_a_number(value: Any) -> Any:
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        raise ValueError("expected an ISO 8601 date-time with a UTC offset (e.g. 2026-05-04T09:00:00+09:00), "
                         "not a number")
    return value


# For a date-time query parameter: refuses a bare number (pydantic would read it as Unix time).
NotANumber = BeforeValidator(_not_a_number)
IsoDateTime = Annotated[AwareDatetime, NotANumber]


def single_valued_query(request: Request) -> None:
    route = request.scope.get("route")
    if getattr(route, "dependant", None) is None:
        return
    repeated = [name for name in _single_valued(route) if len(request.query_params.getlist(name)) > 1]
    if repeated:
        raise Problem(422, "validation-error", "; ".join(f"{name}: give this parameter once" for name in repeated),
                      title="Request validation failed",
                      errors=[{"field": name, "in": "query", "message": "given more than once; it takes one value"}
                              for name in repeated])


def _single_valued(route: Any) -> tuple[str, ...]:
    """The query parameters of a route (its dependencies' included) that take one value; worked out once per
    route and kept on it (routes compare by value, so they cannot key a cache)."""
    names = getattr(route, "_single_valued_query", None)
    if names is None:
        names = tuple(f.alias for f in _query_fields(route.dependant)
                      if not field_annotation_is_sequence(f.field_info.annotation))
        route._single_valued_query = names
    return names


def _query_fields(dependant: Any) -> list[Any]:
    fields = list(dependant.query_params)
    for sub in dependant.dependencies:
        fields += _query_fields(sub)
    return fields
