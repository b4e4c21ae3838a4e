"""Shared pieces of the peaks routes: who is calling (climber tokens, party keys), flow errors as problems.

`ClimberAuth(...)` IS a `RequireParty` (so the authorization-matrix test reads its staff decision from
`.parties`/`.roles` like any other route) and additionally carries `.climber = True`: a climber token
(`clt_…`, see `domain.tokens`) is accepted as well. For a party key it behaves exactly like
`RequireParty` (401 without or with a wrong key, 403 for a party not listed); a climber-only route is
`ClimberAuth()` with no parties, so every party key gets 403. Whether a climber may act on a
*particular* resource (its own photos) is checked with `Caller.owns(...)`. The dependency is async:
a token remembered valid (`flows.climbers`) costs no thread hop and no query.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, cast

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.peaks.domain.errors import FlowError, InputError
from services.peaks.domain.tokens import TOKEN_PREFIX
from services.peaks.flows import climbers
from shared.auth import Principal, RequireParty
from shared.deps import find_platform
from shared.errors import Problem, field_problem

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

_bearer = HTTPBearer(auto_error=False, description="A climber's token (clt_…) or a party's API key")


@dataclass(frozen=True)
class Caller:
    """Who is calling: a climber (by id) or a staff party (its Principal)."""

    climber_id: str | None = None
    principal: Principal | None = None

    @property
    def party(self) -> str | None:
        return self.principal.party if self.principal else None

    @property
    def is_climber(self) -> bool:
        return self.climber_id is not None

    def owns(self, climber_id: str) -> bool:
        return self.climber_id is not None and self.climber_id == climber_id  # ids are not secrets


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


async def climber_of(platform: PeaksPlatform, token: str) -> str | None:
    """The climber a `clt_…` token belongs to, or None (remembered tokens cost no thread hop)."""
    return (climbers.remembered_climber(platform, token)
            or await run_in_threadpool(climbers.lookup_climber, platform, token))


def accept_climber_tokens(platform: PeaksPlatform) -> None:
    """Climber tokens name their holder before routing too (`climber:<id>`), so an Idempotency-Key on a
    climber's upload is scoped to that climber (shared.idempotency)."""

    async def identify(token: str) -> str | None:
        climber_id = await climber_of(platform, token)
        return None if climber_id is None else f"climber:{climber_id}"

    platform.keys.accept(TOKEN_PREFIX, identify)


class ClimberAuth(RequireParty):
    """Allows a climber token, plus the listed parties/roles (read by the authorization matrix)."""

    climber = True  # decision metadata: climber tokens are accepted on this route

    async def __call__(self, request: Request,  # type: ignore[override]
                       creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Caller:
        token = (creds.credentials.strip() if creds and creds.credentials else
                 request.headers.get("x-api-key", ""))
        if token.startswith(TOKEN_PREFIX):
            climber_id = await climber_of(cast("PeaksPlatform", find_platform(request)), token)
            if climber_id is None:
                raise _unauthorized("The climber token is not valid.")
            return Caller(climber_id=climber_id)
        if not token:
            raise _unauthorized("A climber token is required: send `Authorization: Bearer <token>` "
                                "(issued once by POST /v1/climbers).")
        principal = super().__call__(request, creds)
        if inspect.isawaitable(principal):  # RequireParty's check may be a coroutine
            principal = await principal
        return Caller(principal=principal)


# A climber's own routes (party keys get 403).
ClimberOnly = Annotated[Caller, Depends(ClimberAuth())]
# The owner climber, or Ulju-gun.
ClimberOrOperator = Annotated[Caller, Depends(ClimberAuth("ulju"))]
# The owner climber, or any reviewer (Ulju-gun everywhere; partners within their territory).
ClimberOrReviewer = Annotated[Caller, Depends(ClimberAuth("ulju", roles=("reviewer",)))]
Reviewer = Annotated[Principal, Depends(RequireParty("ulju", roles=("reviewer",)))]


def problem_of(exc: InputError | FlowError) -> Problem:
    if isinstance(exc, InputError):
        return field_problem(exc.field, exc.message, status=exc.status, slug=exc.code)
    return Problem(exc.status, exc.slug, exc.detail)
