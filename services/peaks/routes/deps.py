"""Shared pieces of the peaks routes: auth aliases, platform access, flow errors as problems."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.peaks.auth import Caller, ClimberAuth
from services.peaks.photos import FlowError, PhotoInputError
from shared.auth import Principal, RequireParty
from shared.errors import Problem, field_problem

# A climber's own routes (party keys get 403).
ClimberOnly = Annotated[Caller, Depends(ClimberAuth())]
# The owner climber, or Ulju-gun.
ClimberOrOperator = Annotated[Caller, Depends(ClimberAuth("ulju"))]
# The owner climber, or any reviewer (Ulju-gun everywhere; partners within their territory).
ClimberOrReviewer = Annotated[Caller, Depends(ClimberAuth("ulju", roles=("reviewer",)))]
Reviewer = Annotated[Principal, Depends(RequireParty("ulju", roles=("reviewer",)))]


def platform_of(request: Request):
    return request.app.state.platform


def problem_of(exc: PhotoInputError | FlowError) -> Problem:
    if isinstance(exc, PhotoInputError):
        return field_problem(exc.field, exc.message, status=exc.status, slug=exc.code)
    return Problem(exc.status, exc.slug, exc.detail)
