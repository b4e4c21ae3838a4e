"""API-key authentication of parties: keys stored hashed, demo keys only in demo mode."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import event, insert, select, update

from shared.db import utcnow
from shared.errors import Problem
from shared.ids import new_id

if TYPE_CHECKING:
    from shared.platform import Platform

DEMO_PREFIX = "demo-"
MISS = object()  # KeyResolver.resolve_cached: not known without the database
_bearer = HTTPBearer(auto_error=False, description="A party's API key")


@dataclass(frozen=True)
class Principal:
    party: str
    roles: frozenset[str]
    via: str  # demo | key | autopilot


def hash_key(key: str) -> str:
    # API keys are 256-bit random strings, so a plain SHA-256 is a safe one-way store
    # (no salt or slow hash needed, unlike passwords) and lets us look keys up by hash.
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key(party: str) -> str:
    return f"cpa_{party.replace('-', '')}_{secrets.token_urlsafe(32)}"


def autopilot_key(secret_key: str, party: str) -> str:
    """The key the in-process autopilot uses to act as a simulated party (never stored)."""
    return "ap_" + hmac.new(secret_key.encode(), f"autopilot:{party}".encode(), hashlib.sha256).hexdigest()


def create_key(session, tables, *, party: str, label: str = "") -> str:
    key = generate_key(party)
    session.execute(insert(tables.api_key).values(
        id=new_id("key"), key_hash=hash_key(key), prefix=key[:12], party=party, label=label,
        created_at=utcnow()))
    return key


def revoke_key(session, tables, *, prefix: str, resolver: KeyResolver | None = None) -> int:
    """Revokes the active keys with this prefix; returns how many.

    Pass the running service's resolver (`platform.keys`) to drop its cache at once;
    other processes stop accepting the key within `KeyResolver.CACHE_S`.
    """
    t = tables.api_key
    n = session.execute(update(t).where(t.c.prefix == prefix, t.c.revoked_at.is_(None))
                        .values(revoked_at=utcnow())).rowcount
    if resolver is not None:
        # Cleared after the commit too: a request between now and the commit could
        # otherwise re-cache the key as still valid.
        resolver.clear()
        event.listen(session, "after_commit", lambda _s: resolver.clear(), once=True)
    return n


class KeyResolver:
    """Turns a presented key into a Principal; caches successful lookups briefly.

    The cache is short because a key revoked by another process (`cpa keys revoke`)
    stays valid here until its entry expires.
    """

    CACHE_S = 5.0

    def __init__(self, platform: Platform):
        self.platform = platform
        self._cache: dict[str, tuple[float, str]] = {}

    def clear(self) -> None:
        self._cache.clear()

    def resolve(self, key: str) -> Principal | None:
        found = self.resolve_cached(key)
        return self.resolve_stored(key) if found is MISS else found

    def resolve_cached(self, key: str):
        """What is known without the database: a Principal, None (refused) or MISS (look it up).

        Cheap enough for the event loop, so routes pay no thread hop for authentication.
        """
        p = self.platform
        registry, settings = p.parties, p.settings
        if key.startswith(DEMO_PREFIX):
            party = key[len(DEMO_PREFIX):]
            # Demo keys are documented in the README, so they must never open a real deployment.
            if settings.demo_mode and party in registry:
                return Principal(party, registry.get(party).roles, "demo")
            return None
        if key.startswith("ap_"):
            if not settings.autopilot:
                return None
            for party in registry.codes():
                if hmac.compare_digest(key, autopilot_key(settings.secret_key.get_secret_value(), party)):
                    return Principal(party, registry.get(party).roles, "autopilot")
            return None
        cached = self._cache.get(hash_key(key))
        if cached and cached[0] > time.monotonic():
            return self._principal(cached[1])
        return MISS

    def resolve_stored(self, key: str) -> Principal | None:
        """Looks a stored key up in the database (blocking) and caches it briefly."""
        p = self.platform
        digest = hash_key(key)
        with p.db.read_session() as s:
            row = s.execute(select(p.tables.api_key.c.party, p.tables.api_key.c.key_hash)
                            .where(p.tables.api_key.c.key_hash == digest,
                                   p.tables.api_key.c.revoked_at.is_(None))).first()
        if row is None or not hmac.compare_digest(row.key_hash, digest):
            return None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (time.monotonic() + self.CACHE_S, row.party)
        return self._principal(row.party)

    def _principal(self, party: str) -> Principal | None:
        registry = self.platform.parties
        if party not in registry:
            return None
        return Principal(party, registry.get(party).roles, "key")

    async def aresolve(self, key: str) -> Principal | None:
        """`resolve` for async code: the database is only touched (in a worker thread) on a cache miss."""
        found = self.resolve_cached(key)
        if found is MISS:
            return await run_in_threadpool(self.resolve_stored, key)
        return found


def _presented_key(request: Request, creds: HTTPAuthorizationCredentials | None) -> str | None:
    if creds and creds.credentials:
        return creds.credentials.strip()
    return request.headers.get("x-api-key")


class RequireParty:
    """Dependency allowing only the listed parties (or parties holding one of the roles).

    The instance keeps `parties` and `roles` so the authorization-matrix test can read
    every route's decision from the route table.
    """

    def __init__(self, *parties: str, roles: tuple[str, ...] = ()):
        self.parties = frozenset(parties)
        self.roles = frozenset(roles)

    def allows(self, principal: Principal) -> bool:
        return principal.party in self.parties or bool(self.roles & principal.roles)

    async def __call__(self, request: Request,
                       creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
        key = _presented_key(request, creds)
        if not key:
            raise Problem(401, "unauthorized", "An API key is required: send `Authorization: Bearer <key>`.",
                          headers={"WWW-Authenticate": "Bearer"})
        principal = await request.app.state.platform.keys.aresolve(key)
        if principal is None:
            raise Problem(401, "unauthorized", "The API key is not valid.",
                          headers={"WWW-Authenticate": "Bearer"})
        if not self.allows(principal):
            allowed = sorted(self.parties | {f"role:{r}" for r in self.roles})
            raise Problem(403, "forbidden", f"Party '{principal.party}' may not use this operation.",
                          allowed=allowed)
        request.state.principal = principal
        return principal


class Public:
    """Marker dependency for routes open to anyone (the authorization matrix expects it)."""

    def __call__(self) -> None:
        return None


PUBLIC = Depends(Public())
