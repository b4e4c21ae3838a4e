"""Climber bearer tokens, and the dependency for routes a climber (or listed staff parties) may call.

A climber gets a random token once, at registration (`clt_…`); only its SHA-256 is stored
(256 random bits need no slow hash, and the digest doubles as the lookup key). The token is
compared in constant time after the lookup, and a valid one is remembered for `TOKEN_CACHE_S`
(the dependency is async: a remembered token costs no thread hop and no query).

`ClimberAuth(...)` IS a `RequireParty` (so the authorization-matrix test reads its staff
decision from `.parties`/`.roles` like any other route) and additionally carries
`.climber = True`: a climber token is accepted as well. For a party key it behaves exactly
like `RequireParty` (401 without or with a wrong key, 403 for a party not listed); a
climber-only route is `ClimberAuth()` with no parties, so every party key gets 403.
Whether a climber may act on a *particular* resource (its own photos) is checked in the
route with `Caller.owns(...)`.
"""
from __future__ import annotations

import hashlib
import hmac
import inspect
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from services.peaks.models import Climber
from shared.auth import Principal, RequireParty
from shared.errors import Problem

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

TOKEN_PREFIX = "clt_"
_bearer = HTTPBearer(auto_error=False, description="A climber's token (clt_…) or a party's API key")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


def climber_for_token(platform: PeaksPlatform, token: str) -> str | None:
    """The climber id a token belongs to, or None."""
    digest = hash_token(token)
    with platform.db.read_session() as s:
        row = s.execute(select(Climber.id, Climber.token_hash).where(Climber.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row.id


# Tokens known valid, per platform: {digest: (valid until, climber id)}. Climbers are never deleted
# nor their tokens changed, and every write re-reads the climber row in its own transaction, so a
# few seconds of trust spare each request of a busy climber (uploads) a thread hop and a query.
TOKEN_CACHE_S = 5.0
_TOKEN_CACHE_MAX = 10_000


async def climber_of(platform: PeaksPlatform, token: str) -> str | None:
    """`climber_for_token` for async code: the database is read (in a worker thread) only on a miss."""
    known = platform.parts.climber_tokens
    digest = hash_token(token)
    hit = known.get(digest)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    climber_id = await run_in_threadpool(climber_for_token, platform, token)
    if climber_id is not None:
        if len(known) >= _TOKEN_CACHE_MAX:
            known.clear()
        known[digest] = (time.monotonic() + TOKEN_CACHE_S, climber_id)
    return climber_id


class ClimberAuth(RequireParty):
    """Allows a climber token, plus the listed parties/roles (read by the authorization matrix)."""

    climber = True  # decision metadata: climber tokens are accepted on this route

    async def __call__(self, request: Request,  # type: ignore[override]
                       creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Caller:
        token = (creds.credentials.strip() if creds and creds.credentials else
                 request.headers.get("x-api-key", ""))
        if token.startswith(TOKEN_PREFIX):
            climber_id = await climber_of(request.app.state.platform, token)
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
