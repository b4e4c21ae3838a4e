"""RFC 9457 problem+json for every error a service returns, with a stable `type` per problem."""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.problems import (
    PROBLEM_BASE,
    PROBLEM_JSON,
    FieldInvalid,
    Problem,
    field_problem,
    json_pointer,
    problem_type,
)

__all__ = ["PROBLEM_BASE", "PROBLEM_JSON", "ErrorFormatter", "Problem", "base_url_of", "field_problem",
           "install_error_handlers", "problem_body", "problem_response"]

log = logging.getLogger("shared.errors")


# A formatter turns a Problem into a response; services register their own for paths
# whose standard prescribes another error shape (Open311's [{code, description}]).
ErrorFormatter = Callable[[Request, Problem], Response]


def base_url_of(app: Any) -> str:
    """The service's public base URL (`PUBLIC_BASE_URL`), under which problem `type`s resolve."""
    platform = getattr(getattr(app, "state", None), "platform", None)
    return platform.settings.base_url if platform is not None else ""


def problem_body(app: Any, status: int, slug: str, detail: str, **extensions: Any) -> dict[str, Any]:
    """A problem body for the ASGI middlewares that answer before the app runs (absolute `type`)."""
    title = slug.replace("-", " ").capitalize()
    return {"type": problem_type(slug, base_url_of(app)), "title": title, "status": status, "detail": detail,
            **extensions}


def problem_response(request: Request, problem: Problem) -> Response:
    for prefix, formatter in getattr(request.app.state, "error_formatters", ()):
        if request.url.path.startswith(prefix):
            return formatter(request, problem)
    headers = dict(problem.headers)
    return JSONResponse(problem.body(instance=request.url.path, base_url=base_url_of(request.app)),
                        status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


def _loc_to_field(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        blamed = (err.get("ctx") or {}).get("error")
        if isinstance(blamed, FieldInvalid):  # a cross-field rule names the field to change
            loc = (*loc, *blamed.field.split("."))
        where = [str(p) for p in loc[1:]] if len(loc) > 1 else []
        item: dict[str, Any] = {"field": _loc_to_field(loc), "in": str(loc[0]) if loc else "body",
                                "pointer": json_pointer(where),
                                "message": err.get("msg", "invalid"), "type": err.get("type", "")}
        ctx = err.get("ctx") or {}
        accepted = {k: v for k, v in ctx.items() if k in {"expected", "ge", "le", "gt", "lt", "min_length",
                                                         "max_length", "pattern", "permitted"}}
        if accepted:
            item["accepted"] = {k: (v if isinstance(v, int | float | str | bool) else str(v))
                                for k, v in accepted.items()}
        errors.append(item)
    return errors


def install_error_handlers(app: FastAPI, formatters: Sequence[tuple[str, ErrorFormatter]] = ()) -> None:
    """Every error as problem+json, documented as it is: the `Problem` schema on every operation of the
    OpenAPI document (`shared.openapi`) and a page at each problem `type` URI (`shared.problem_pages`)."""
    from shared import openapi, problem_pages  # local: both import shared.auth, which imports this module

    app.state.error_formatters = list(formatters)
    app.include_router(problem_pages.router())
    openapi.install(app)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]) or "invalid request"
        return problem_response(request, Problem(422, "validation-error", detail,
                                                 title="Request validation failed", errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(getattr(exc, "problem", None), Problem):  # shared.middleware.InputProblem
            return problem_response(request, exc.problem)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}"
        if exc.status_code == 405:
            detail = f"Method {request.method} is not allowed on {request.url.path}"
        return problem_response(request, Problem(exc.status_code, None, detail,
                                                 headers=dict(exc.headers or {})))

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _db_down(request: Request, exc: Exception) -> Response:
        log.warning("database unavailable", extra={"error": type(exc).__name__})
        return problem_response(request, Problem(
            503, "database-unavailable", "The database is unreachable; retry shortly.",
            headers={"Retry-After": "5"}))

    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> Response:
        if exc.connection_invalidated:
            return await _db_down(request, exc)
        return await _unhandled(request, exc)

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> Response:
        log.error("unhandled error", exc_info=exc, extra={"path_template": _route_path(request)})
        return problem_response(request, Problem(500, "internal-error",
                                                 "An unexpected error occurred; it has been logged."))


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", "unmatched")
