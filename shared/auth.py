"""API-key authentication of parties: keys stored hashed, each with a public id; demo keys only in demo mode."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

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
# A key's public id: 10 characters from an alphabet without look-alikes (l/1, o/0): 50 random bits.
PUBLIC_ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
PUBLIC_ID_LENGTH = 10
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Principal:
    party: str
    roles: frozenset[str]
    via: str  # demo | key | autopilot


class IssuedKey(NamedTuple):
    public_id: str  # stored and shown by `cpa keys list`; names the key in `cpa keys revoke`
    key: str  # the secret itself: shown once, only its SHA-256 is stored


def hash_key(key: str) -> str:
    # API keys are 256-bit random strings, so a plain SHA-256 is a safe one-way store
    # (no salt or slow hash needed, unlike passwords) and lets us look keys up by hash.
    return hashlib.sha256(key.encode()).hexdigest()


def new_public_id() -> str:
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


def generate_key(party: str, public_id: str | None = None) -> str:
    """`cpa_<party>_<public id>_<secret>`: whoever holds a key can tell which stored key it is."""
    return f"cpa_{party.replace('-', '')}_{public_id or new_public_id()}_{secrets.token_urlsafe(32)}"


def autopilot_key(secret_key: str, party: str) -> str:
    """The key the in-process autopilot uses to act as a simulated party (never stored)."""
    return "ap_" + hmac.new(secret_key.encode(), f"autopilot:{party}".encode(), hashlib.sha256).hexdigest()


def issue_key(session, tables, *, party: str, label: str = "") -> IssuedKey:
    public_id = new_public_id()
    key = generate_key(party, public_id)
    session.execute(insert(tables.api_key).values(
        id=new_id("key"), public_id=public_id, key_hash=hash_key(key), prefix=key[:12], party=party,
        label=label, created_at=utcnow()))
    return IssuedKey(public_id, key)


def create_key(session, tables, *, party: str, label: str = "") -> str:
    return issue_key(session, tables, party=party, label=label).key


def find_keys(session, tables, *, id_start: str | None = None, prefix: str | None = None) -> list:
    """The active keys whose public id starts with `id_start`, or whose first 12 characters are `prefix`."""
    t = tables.api_key
    query = select(t).where(t.c.revoked_at.is_(None)).order_by(t.c.party, t.c.created_at)
    if id_start is not None:
        query = query.where(t.c.public_id.startswith(id_start, autoescape=True))
    if prefix is not None:
        query = query.where(t.c.prefix == prefix)
    return list(session.execute(query).all())


def revoke_key(session, tables, *, public_id: str, resolver: KeyResolver | None = None) -> int:
    """Revokes the one key with this public id if it is active; returns 1, or 0 if there was none.

    Pass the running service's resolver (`platform.keys`) to drop its cache at once;
    other processes stop accepting the key within `KeyResolver.CACHE_S`.
    """
    t = tables.api_key
    n = session.execute(update(t).where(t.c.public_id == public_id, t.c.revoked_at.is_(None))
                        .values(revoked_at=utcnow())).rowcount
    if resolver is not None:
        # Cleared after the commit too: a request between now and the commit could
        # otherwise re-cache the key as still valid.
        resolver.clear()
        event.listen(session, "after_commit", lambda _s: resolver.clear(), once=True)
    return n


def presented_key(authorization: str | None, x_api_key: str | None) -> str | None:
    """The credential a request presents: `Authorization: Bearer <key>` (the scheme in any case, as
    RFC 9110 has it), else `X-API-Key`. One credential is one caller however it is sent."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    if x_api_key and x_api_key.strip():
        return x_api_key.strip()
    return None


async def caller_identity(platform: Platform, headers: dict[bytes, bytes]) -> str | None:
    """Who an ASGI request's headers authenticate (`KeyResolver.identity`), or None (no valid credential).

    For the middlewares that must know the caller before routing (idempotency, anonymous body limits).
    """
    auth, api_key = headers.get(b"authorization"), headers.get(b"x-api-key")
    key = presented_key(auth.decode("latin-1") if auth else None, api_key.decode("latin-1") if api_key else None)
    return None if key is None else await platform.keys.identity(key)


class KeyResolver:
    """Turns a presented key into a Principal; caches successful lookups briefly.

    The cache is short because a key revoked by another process (`cpa keys revoke`)
    stays valid here until its entry expires.
    """

    CACHE_S = 5.0

    def __init__(self, platform: Platform):
        self.platform = platform
        self._cache: dict[str, tuple[float, str]] = {}
        self._kinds: list[tuple[str, Callable[[str], Awaitable[str | None]]]] = []

    def accept(self, prefix: str, identify: Callable[[str], Awaitable[str | None]]) -> None:
        """Another kind of credential (peaks climber tokens `clt_…`): `identify(token)` names its holder
        (e.g. `climber:<id>`) or returns None. Used where the caller must be known before routing."""
        self._kinds.append((prefix, identify))

    async def identity(self, key: str) -> str | None:
        """Who presents `key`, normalised (`party:<code>`, or what a registered kind says), or None."""
        for prefix, identify in self._kinds:
            if key.startswith(prefix):
                return await identify(key)
        principal = await self.aresolve(key)
        return None if principal is None else f"party:{principal.party}"

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
        key = presented_key(request.headers.get("authorization"), request.headers.get("x-api-key"))
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
    """Marker dependency for routes open to anyone (the authorization matrix expects it).

    An `Idempotency-Key` is scoped to the caller who sends it; an anonymous caller proves nothing, so
    a public writing route refuses the header unless the idempotency layer scoped the request to an
    authenticated credential (a replay by another client must never receive, say, a climber's token).
    """

    def __call__(self, request: Request) -> None:
        if request.method in WRITING_METHODS and "idempotency-key" in request.headers \
                and not getattr(request.state, "idempotency_scoped", False):
            raise Problem(400, "idempotency-key-not-accepted",
                          "Idempotency-Key: not accepted without an API key on this public endpoint (a stored "
                          "answer could only be replayed to whoever sends the same key); send the request "
                          "without it.", errors=[{"field": "Idempotency-Key", "in": "header",
                                                  "message": "not accepted without an API key"}])
        return None


PUBLIC = Depends(Public())

