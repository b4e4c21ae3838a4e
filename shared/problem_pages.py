"""The problem types as data, and the page each `type` URI resolves to (RFC 9457 §3.1.1).

The platform's types are in `shared/data/problem_types.json`; a service adds its own in
`services/<svc>/data/problem_types.json`. `GET /problems/<slug>` describes one problem and how to fix it:
HTML for a browser, JSON for `Accept: application/json`; `GET /problems/` lists them all.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.params import Path as PathParam
from fastapi.responses import HTMLResponse
from markupsafe import escape
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import PUBLIC
from shared.problems import Problem, problem_type
from shared.reference import read_json

PLATFORM_TYPES = Path(__file__).parent / "data" / "problem_types.json"
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


class ProblemType(BaseModel):
    """One problem a client can meet: what it means and how to fix it."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{
        "type": "http://127.0.0.1:8001/problems/validation-error", "slug": "validation-error", "status": 422,
        "title": "Request validation failed",
        "description": "One or more inputs are invalid. `errors[]` names each one.",
        "fix": "Correct each field listed in `errors[]` and send the request again."}]})

    type: str = Field(default="", description="The absolute URI problems of this kind carry in `type`")
    slug: str = Field(default="", pattern=r"^$|" + SLUG)
    status: int = Field(ge=400, le=599, description="The HTTP status it comes with")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1, description="What it means")
    fix: str = Field(min_length=1, description="What the client should do")


class ProblemTypes(BaseModel):
    items: list[ProblemType]


@functools.cache
def _read(path: Path) -> dict[str, ProblemType]:
    raw = read_json(path) if path.exists() else {}
    return {slug: ProblemType.model_validate({**entry, "slug": slug})
            for slug, entry in raw.items() if not slug.startswith("_")}


def registry(service_dir: Path | None = None) -> dict[str, ProblemType]:
    """The platform's problem types, with those of the service in `service_dir` (its own win)."""
    own = _read(service_dir / "data" / "problem_types.json") if service_dir is not None else {}
    return {**_read(PLATFORM_TYPES), **own}


def _service_dir(request: Request) -> Path | None:
    platform = getattr(request.app.state, "platform", None)
    return platform.spec.migrations_dir.parent if platform is not None else None


def _with_uri(entry: ProblemType, base_url: str) -> ProblemType:
    return entry.model_copy(update={"type": problem_type(entry.slug, base_url)})


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split("text/html")[0]


def _html(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
                        f'</title></head><body style="font-family:sans-serif;max-width:46rem;margin:2rem auto">'
                        f"{body}</body></html>")


def _base(request: Request) -> str:
    from shared.errors import base_url_of  # local: shared.errors installs these pages

    return base_url_of(request.app)


def router() -> APIRouter:
    r = APIRouter(prefix="/problems", tags=["problem types"], dependencies=[PUBLIC])
    html = {"text/html": {"schema": {"type": "string"}}}

    @r.get("/", operation_id="list_problem_types", summary="Every problem type this service can return",
           responses={200: {"content": html}})
    def list_types(request: Request) -> ProblemTypes:
        """The problem types (RFC 9457) of this service: each `type` URI, its status, meaning and fix."""
        entries = [_with_uri(e, _base(request)) for e in registry(_service_dir(request)).values()]
        if _wants_html(request):
            rows = "".join(f'<li><a href="{escape(e.slug)}">{escape(e.slug)}</a> ({e.status}): {escape(e.title)}'
                           f"</li>" for e in entries)
            return _html("Problem types", f"<h1>Problem types</h1><ul>{rows}</ul>")  # type: ignore[return-value]
        return ProblemTypes(items=entries)

    @r.get("/{slug}", operation_id="get_problem_type", summary="What a problem type means and how to fix it",
           responses={200: {"content": html}})
    def get_type(request: Request, slug: Annotated[str, PathParam(pattern=SLUG)]) -> ProblemType:
        """The page a problem's `type` URI resolves to: HTML for browsers, JSON for `Accept: application/json`."""
        entry = registry(_service_dir(request)).get(slug)
        if entry is None:
            raise Problem(404, "not-found", f"No problem type {slug!r}; GET /problems/ lists them.")
        entry = _with_uri(entry, _base(request))
        if _wants_html(request):
            return _html(entry.title, (  # type: ignore[return-value]
                f"<h1>{escape(entry.title)}</h1><p>HTTP {entry.status} · <code>{escape(entry.type)}</code></p>"
                f"<h2>What it means</h2><p>{escape(entry.description)}</p>"
                f"<h2>How to fix it</h2><p>{escape(entry.fix)}</p><p><a href=\"./\">All problem types</a></p>"))
        return entry

    return r

