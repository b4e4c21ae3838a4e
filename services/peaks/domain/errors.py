"""The refusals a peaks flow raises; routes turn them into problem+json (`routes.deps.problem_of`)."""
from __future__ import annotations


class InputError(ValueError):
    """An input the flow refuses before anything is stored; `field` names the input to fix."""

    def __init__(self, field: str, message: str, *, status: int = 422, code: str = "validation-error"):
        super().__init__(message)
        self.field, self.message, self.status, self.code = field, message, status, code


class FlowError(Exception):
    """A refusal with an HTTP-like status and a stable slug (the route turns it into a Problem)."""

    def __init__(self, status: int, slug: str, detail: str):
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail
