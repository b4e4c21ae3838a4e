"""Where each party's webhooks go, and which parties are waiting for an operator.

A message goes to its own `target_url` (a partner's subscription), else to the party's configured
endpoint. A party with no endpoint is simulated in-process in demo mode (`/sim/<party>/webhooks`);
outside demo mode there is no simulation and nothing falls back to the hub itself: the message waits as
`no-endpoint` until an operator sets one (`PUT /v1/ops/endpoints/<party>`). A disabled endpoint (by the
operator, or by a receiver answering 410 Gone — Standard Webhooks' "stop sending") holds its messages as
`disabled` in every mode until the operator enables it again. Held messages are picked up again by the
relay as soon as the party has an enabled endpoint.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from shared.platform import Platform

NO_ENDPOINT = "no-endpoint"
DISABLED = "disabled"
HELD = (NO_ENDPOINT, DISABLED)  # outbox statuses of messages waiting for an operator
GONE = "gone"  # delivery attempt outcome: the receiver answered 410 and its endpoint was disabled


@dataclass(frozen=True)
class Target:
    """Where one message goes: its URL, its budget key (`party:<party>` for a party's endpoint, the
    URL's origin for a subscription URL, `sim:<party>` for a simulated party), the signing secret."""

    url: str
    key: str
    secret_version: int
    include_previous: bool
    party_endpoint: bool  # the party's configured endpoint (a 410 disables it)


@dataclass(frozen=True)
class Hold:
    status: str  # NO_ENDPOINT or DISABLED
    reason: str


def origin(url: str) -> str:
    """The budget key of a URL: scheme, host and port (one receiving server)."""
    try:
        u = httpx.URL(url)
        return f"{u.scheme}://{u.host}:{u.port or (443 if u.scheme == 'https' else 80)}"
    except (httpx.InvalidURL, TypeError, ValueError):
        return url


def hold_reason(status: str, party: str) -> str:
    if status == NO_ENDPOINT:
        return (f"No webhook endpoint configured for party {party!r}: the message waits until an operator "
                f"sets one (PUT /v1/ops/endpoints/{party}).")
    return (f"The endpoint of party {party!r} is disabled: the message waits until an operator enables it "
            f"(PUT /v1/ops/endpoints/{party} with enabled=true).")


def resolve(platform: Platform, to_party: str, target_url: str | None, row: Any | None,
            rotating: bool) -> Target | Hold:
    """Where a message to `to_party` goes; `row` is the party's endpoint row (None: not configured)."""
    settings = platform.settings
    version = row.secret_version if row is not None and row.enabled else settings.webhook_secret_version
    include_prev = rotating if row is not None and row.enabled else True
    if target_url:
        return Target(target_url, origin(target_url), version, include_prev, party_endpoint=False)
    if row is not None:
        if not row.enabled:
            return Hold(DISABLED, hold_reason(DISABLED, to_party))
        # One budget per party endpoint, so a full one can be left out of the relay's claim query.
        return Target(row.url, f"party:{to_party}", version, include_prev, party_endpoint=True)
    if settings.demo_mode:
        return Target(platform.sim_url(to_party), f"sim:{to_party}", version, True, party_endpoint=False)
    return Hold(NO_ENDPOINT, hold_reason(NO_ENDPOINT, to_party))


def receiving_parties(platform: Platform) -> list[str]:
    """Every party the hub may send webhooks to (all but the operator)."""
    return [p.code for p in platform.parties if p.code != platform.parties.operator]


def overview(session: Session, platform: Platform) -> list[dict[str, Any]]:
    """Every receiving party at a glance: its endpoint state and the messages waiting for it.

    `state`: `configured` (enabled endpoint), `disabled`, `simulated` (demo mode, no endpoint) or
    `unconfigured` (outside demo mode, no endpoint: its messages wait as `no-endpoint`).
    """
    t = platform.tables
    e, o = t.endpoint, t.outbox
    rows = {r.party: r for r in session.execute(select(e)).all()}
    waiting: dict[str, dict[str, int]] = {}
    for party, status, n in session.execute(
            select(o.c.to_party, o.c.status, func.count())
            .where(o.c.status.in_(("pending", "delivering", *HELD))).group_by(o.c.to_party, o.c.status)).all():
        waiting.setdefault(party, {})[status] = n
    # A 410 leaves its mark on the message that received it (indexed by status; no scan of attempts).
    gone = set(session.scalars(select(o.c.to_party).distinct()
                               .where(o.c.status == DISABLED, o.c.last_status_code == 410)))
    out = []
    for party in receiving_parties(platform):
        r = rows.get(party)
        if r is None:
            state = "simulated" if platform.settings.demo_mode else "unconfigured"
        else:
            state = "configured" if r.enabled else "disabled"
        out.append({
            "party": party, "state": state, "url": r.url if r is not None else None,
            "enabled": bool(r.enabled) if r is not None else None,
            "secret_version": r.secret_version if r is not None else None,
            "updated_at": r.updated_at.isoformat() if r is not None else None,
            "disabled_by": (("receiver (410 Gone)" if party in gone else "operator") if state == "disabled" else None),
            "waiting": waiting.get(party, {}),
        })
    return out


def readiness(session: Session, platform: Platform) -> dict[str, Any]:
    """What `/readyz` says about webhooks: parties without a usable endpoint and what waits for them."""
    parties = overview(session, platform)
    return {
        "unconfigured": [p["party"] for p in parties if p["state"] == "unconfigured"],
        "disabled": [p["party"] for p in parties if p["state"] == "disabled"],
        "held": {p["party"]: {s: n for s, n in p["waiting"].items() if s in HELD}
                 for p in parties if any(s in HELD for s in p["waiting"])},
    }
