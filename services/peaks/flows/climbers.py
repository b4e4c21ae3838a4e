"""Climbers: registration (token shown once), the token lookup behind climber auth, the medal address.

Registration is open to anyone, so it is rate-limited per client (`PeaksParts.registrations`, token buckets
keyed by a keyed hash of the client's address: settings `REGISTRATION_BURST` at once, then
`REGISTRATION_PER_HOUR`); over the limit → 429 problem with `Retry-After`. The keyed hash is also stored on
the climber, so the award review can count how many climbers one client registered (`flows.certification`).
"""
from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING

from sqlalchemy import select

from services.peaks.domain.errors import FlowError
from services.peaks.domain.tokens import hash_token, new_token
from services.peaks.models import Certificate, Climber
from services.peaks.schemas import ClimberCreate, ClimberCreated, ShippingAddressOut
from shared.ids import keyed_hash, new_id
from shared.problems import Problem

if TYPE_CHECKING:
    from services.peaks.parts import PeaksPlatform

# Tokens known valid are remembered per platform (`PeaksParts.climber_tokens`: {digest: (valid until,
# climber id)}). Climbers are never deleted nor their tokens changed, and every write re-reads the
# climber row in its own transaction, so a few seconds of trust spare each request of a busy climber
# (uploads) a thread hop and a query.
TOKEN_CACHE_S = 5.0
_TOKEN_CACHE_MAX = 10_000


def client_key(platform: PeaksPlatform, client: str) -> str:
    """The keyed hash of a client address (the address itself is never stored nor logged)."""
    return keyed_hash(platform.settings.secret_key.get_secret_value(), "peaks-client", client)


def register(platform: PeaksPlatform, body: ClimberCreate, *, client: str = "") -> ClimberCreated:
    """A new climber; the answer carries the bearer token, which is never shown again. `client`: the
    caller's address (rate limit and award review); Problem 429 with Retry-After over the limit."""
    key = client_key(platform, client or "unknown")
    decision = platform.parts.registrations.take(key)
    if not decision.allowed:
        raise Problem(429, "rate-limited", f"Too many registrations from your network: at most "
                                           f"{decision.limit} at once; try again in {decision.retry_after_s} s.",
                      headers={"Retry-After": str(decision.retry_after_s)})
    token = new_token()
    now = platform.clock()
    climber = Climber(id=new_id("clm"), display_name=body.display_name, contact=body.contact,
                      birth_year=body.birth_year, gallery_consent=body.gallery_consent,
                      token_hash=hash_token(token), client_hash=key, created_at=now, updated_at=now)
    with platform.db.session() as s:
        s.add(climber)
    return ClimberCreated(id=climber.id, display_name=climber.display_name,
                          gallery_consent=climber.gallery_consent, token=token)


def climber_for_token(platform: PeaksPlatform, token: str) -> str | None:
    """The climber id a token belongs to, or None (compared in constant time after the lookup)."""
    digest = hash_token(token)
    with platform.db.read_session() as s:
        row = s.execute(select(Climber.id, Climber.token_hash).where(Climber.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row.id


def remembered_climber(platform: PeaksPlatform, token: str) -> str | None:
    """The climber of a token remembered valid (no I/O: safe on the event loop), else None."""
    hit = platform.parts.climber_tokens.get(hash_token(token))
    return hit[1] if hit is not None and hit[0] > time.monotonic() else None


def lookup_climber(platform: PeaksPlatform, token: str) -> str | None:
    """`climber_for_token`, remembering a valid token for `TOKEN_CACHE_S` (call from a worker thread)."""
    climber_id = climber_for_token(platform, token)
    if climber_id is not None:
        known = platform.parts.climber_tokens
        if len(known) >= _TOKEN_CACHE_MAX:
            known.clear()
        known[hash_token(token)] = (time.monotonic() + TOKEN_CACHE_S, climber_id)
    return climber_id


def set_shipping_address(platform: PeaksPlatform, climber_id: str, address: str) -> ShippingAddressOut:
    """Where to send the medal; FlowError 409 unless a medal is due and not shipped yet."""
    with platform.db.session() as s:
        cert = s.execute(select(Certificate).where(Certificate.climber_id == climber_id,
                                                   Certificate.medal.is_(True),
                                                   Certificate.shipped_at.is_(None))
                         .order_by(Certificate.issued_at.desc())).scalars().first()
        if cert is None:
            raise FlowError(409, "no-medal-due", "No medal is due to you (yet), so no shipping address is needed.")
        climber = s.get(Climber, climber_id)
        assert climber is not None
        climber.shipping_address = address.strip()
        climber.updated_at = platform.clock()
    return ShippingAddressOut(climber_id=climber_id, certificate=cert.number, shipping_address_set=True)
