"""Problems a client can act on (RFC 9457): the exception and its body, with no web framework.

Domain modules raise these; `shared.errors` turns them into `application/problem+json` responses.
"""
from __future__ import annotations

from http import HTTPStatus
from typing import Any

PROBLEM_JSON = "application/problem+json"
# Problem `type`s are absolute URIs under the service's base URL (`PUBLIC_BASE_URL`): `problem_type`.
# Each resolves to a page describing the problem and how to fix it (`shared.problem_pages`).
PROBLEM_BASE = "/problems/"


def problem_type(slug: str, base_url: str = "") -> str:
    """The `type` URI of a problem: `<base_url>/problems/<slug>` (relative when no base is known)."""
    return base_url.rstrip("/") + PROBLEM_BASE + slug


def json_pointer(parts: Any) -> str:
    """RFC 6901 pointer to a field, from its path parts (`("items", 0, "name")` → `/items/0/name`)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)

# Slugs used when an HTTP status is raised without a more specific problem.
_STATUS_SLUGS = {
    400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 406: "not-acceptable", 409: "conflict", 410: "gone",
    413: "payload-too-large", 415: "unsupported-media-type", 422: "validation-error",
    429: "rate-limited", 500: "internal-error", 503: "service-unavailable",
}


class Problem(Exception):
    """An error a client can act on: what was wrong, which field, what is accepted."""

    def __init__(self, status: int, slug: str | None = None, detail: str = "", *,
                 title: str | None = None, headers: dict[str, str] | None = None, **extensions: Any):
        self.status = status
        self.slug = slug or _STATUS_SLUGS.get(status, "error")
        self.title = title or HTTPStatus(status).phrase
        self.detail = detail or self.title
        self.headers = headers or {}
        self.extensions = extensions
        super().__init__(f"{status} {self.slug}: {self.detail}")

    def body(self, instance: str | None = None, base_url: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {"type": problem_type(self.slug, base_url), "title": self.title,
                               "status": self.status, "detail": self.detail}
        if instance:
            out["instance"] = instance
        out.update(self.extensions)
        if isinstance(out.get("errors"), list):  # every invalid field also named by a JSON Pointer
            out["errors"] = [{**e, "pointer": json_pointer(str(e["field"]).split("."))}
                             if isinstance(e, dict) and "field" in e and "pointer" not in e else e
                             for e in out["errors"]]
        return out


def field_problem(field: str, message: str, *, status: int = 422, slug: str = "validation-error",
                  **extensions: Any) -> Problem:
    """A problem about one input field, shaped like a validation error."""
    return Problem(status, slug, f"{field}: {message}", title="Request validation failed",
                   errors=[{"field": field, "message": message}], **extensions)


class FieldInvalid(ValueError):
    """A rule across several fields of an input model, blamed on the one field the client should change.

    Raised in a model validator, pydantic reports it at the model itself; `shared.errors` appends `field`
    (dotted, relative to that model) so the problem names the field and its JSON Pointer.
    """

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)
