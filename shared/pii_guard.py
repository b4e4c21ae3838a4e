"""Resident registration numbers at the boundary: refused in query parameters, paths and request fields,
redacted in the free text a service must accept (the detector is `shared.rrn`).

* `RRNQueryGuard` (ASGI, registered by `shared.platform.build_app` for every service) answers 422
  problem+json naming the query parameter (or the path) before routing, so the value reaches no route,
  no idempotency record, no access log and no resident's access log; the value is never echoed.
* `RRNGuarded` is a Pydantic base for request bodies: every field (nested, unknown fields and keys
  included) is checked on the raw input and refused with 422 naming it, except the fields listed in
  `rrn_redacted`, whose text is accepted with each number replaced by `shared.rrn.MASK` before any
  code sees it.
"""
from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, model_validator
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from shared import rrn
from shared.errors import problem_response
from shared.problems import Problem

MESSAGE = ("looks like a resident registration number (주민등록번호); it is never stored or shared "
           "(PIPA Art. 24-2): remove it")


def rrn_problem(fields: list[str], where: str) -> Problem:
    """422 naming every field that holds one (and never the value)."""
    return Problem(422, "rrn-refused",
                   f"Resident registration numbers are refused (PIPA Art. 24-2); found in {where}: "
                   f"{', '.join(fields)}.",
                   title="Resident registration number refused",
                   errors=[{"field": f, "in": where, "message": MESSAGE} for f in fields])


def refuse_rrn(payload: Any, where: str = "body") -> None:
    """Raise the 422 problem if any value (or key) in `payload` holds a resident registration number."""
    paths = rrn.rrn_paths(payload)
    if paths:
        raise rrn_problem(paths, where)


class RRNGuarded(BaseModel):
    """A request body in which no field may hold a resident registration number (`rrn_redacted` fields:
    free text that must be accepted, redacted instead)."""

    # Unknown fields are refused (422 naming them): nothing a client sends is silently dropped, and the documents
    # say `additionalProperties: false`, which is what the platform's checks of the whole body (NUL) rely on.
    model_config = ConfigDict(extra="forbid")

    rrn_redacted: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _guard_rrn(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        refuse_rrn({k: v for k, v in data.items() if k not in cls.rrn_redacted})
        redacted = {k: rrn.redact_payload(data[k]) for k in cls.rrn_redacted if k in data}
        return {**data, **redacted} if redacted else data


def query_fields(scope: Scope) -> list[str]:
    """Names of the query parameters (and `path`) of a request that hold a resident registration number."""
    fields = ["path"] if rrn.contains_rrn(scope.get("path", "")) else []
    raw = scope.get("query_string", b"")
    if raw:
        for name, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True,
                                     encoding="utf-8", errors="replace"):
            if rrn.contains_rrn(name) or rrn.contains_rrn(value):
                fields.append(name if not rrn.contains_rrn(name) else "(parameter name)")
    return list(dict.fromkeys(fields))


class RRNQueryGuard:
    """Refuses a request whose path or query string holds a resident registration number, before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            fields = query_fields(scope)
            if fields:
                where = "path" if fields == ["path"] else "query"
                # The problem's `instance` is the path: with the number masked, as everywhere else.
                masked = {**scope, "path": rrn.redact(scope.get("path", "")), "raw_path": None}
                response = problem_response(Request(masked, receive), rrn_problem(fields, where))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
