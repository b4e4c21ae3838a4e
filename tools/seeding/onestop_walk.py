"""How a seeded referral moves (`cpa seed onestop`): weighted moves through the shipped transition table
with log-normal delays, the reasons and completion outcomes it gives, and a withdrawn consent's effect."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.onestop.domain import referral_states
from services.onestop.flows.common import HUB
from tools.seeding.common import pick

# The walk of a referral: from a state, (target, actor, weight, median days until it happens).
# Checked against the shipped transition table when the module loads.
WALK: dict[str, tuple[tuple[str, str, float, float], ...]] = {
    "requested": (("accepted", "agency", 75, 2.0), ("rejected", "agency", 13, 3.0), ("cancelled", "hub", 4, 7.0),
                  ("entered-in-error", "hub", 0.5, 1.0)),
    "accepted": (("in-progress", "agency", 60, 3.0), ("completed", "agency", 15, 10.0),
                 ("on-hold", "agency", 8, 5.0), ("failed", "agency", 7, 14.0), ("cancelled", "hub", 3, 10.0)),
    "in-progress": (("completed", "agency", 65, 25.0), ("failed", "agency", 15, 30.0), ("on-hold", "agency", 10, 15.0),
                    ("cancelled", "hub", 3, 20.0)),
    "on-hold": (("in-progress", "agency", 60, 10.0), ("completed", "agency", 10, 20.0), ("failed", "agency", 20, 20.0),
                ("cancelled", "hub", 10, 15.0)),
}
DELAY_SIGMA = 0.8
# Reasons a seeded move gives, by target (a subset of the table's accepted ones; consent-withdrawn
# only comes from a withdrawal).
REASONS = {
    "rejected": ("not-eligible", "no-capacity", "out-of-area", "could-not-contact", "duplicate"),
    "cancelled": ("no-longer-interested", "referred-elsewhere", "got-help", "duplicate"),
    "on-hold": ("could-not-contact", "awaiting-documents", "resident-request", "no-capacity"),
    "failed": ("could-not-contact", "not-eligible", "no-longer-interested", "no-capacity"),
}


def _check_walk() -> None:
    t = referral_states.table()
    for src, moves in WALK.items():
        for dst, actor, _w, _d in moves:
            referral_states.check_transition(src, dst, actor=actor, reason=REASONS.get(dst, (None,))[0],
                                             outcome=_outcome_check(dst, t), amount_krw=1 if dst == "completed" else None)
    for target, codes in REASONS.items():
        assert set(codes) <= set(t.reasons[target]), (target, codes)


def _outcome_check(dst: str, t: referral_states.TransitionTable) -> str | None:
    return next(iter(t.completion_outcomes)) if dst == t.completion_state else None


_check_walk()


def completion_outcome(service_key: str, max_amount: int | None, rng: random.Random) -> tuple[str, int | None]:
    """A completion outcome that fits the service (loans carry an amount)."""
    if "loan" in service_key:
        top = max_amount or 15_000_000
        return "loan-granted", max(500_000, round(rng.uniform(0.2, 1.0) * top / 100_000) * 100_000)
    if "debt" in service_key or "delinquent" in service_key:
        return "debt-adjusted", None
    if "training" in service_key:
        return "training-enrolled", None
    if "counselling" in service_key:
        return ("counselling-provided" if rng.random() < 0.7 else "job-placed"), None
    if any(k in service_key for k in ("job", "placement", "career", "employment-support", "restart")):
        return ("job-placed" if rng.random() < 0.75 else "training-enrolled"), None
    if any(k in service_key for k in ("benefit", "welfare", "livelihood", "caregiver", "national-employment")):
        return "benefit-granted", None
    if "finance-link" in service_key:
        return "counselling-provided", None
    return "got-help", None


def walk(rng: random.Random, t0: datetime, until: datetime) -> list[tuple[str, str, datetime]]:
    """The status changes after `requested` at t0 that happen before `until`: [(to, actor, at)]."""
    state, at, out = "requested", t0, []
    while state in WALK:
        moves = WALK[state]
        to, actor, _w, median = pick(rng, [(m, m[2]) for m in moves])
        at = at + timedelta(days=median * math.exp(rng.gauss(0, DELAY_SIGMA)))
        if at >= until:
            break
        out.append((to, actor, at))
        state = to
    return out


@dataclass
class History:
    """A referral's walk through the transition table, as its row and its events store it."""
    status: str
    reason: str | None
    outcome: str | None
    amount: int | None
    accepted_at: datetime | None
    completed_at: datetime | None
    revoked: bool
    events: list[tuple[str | None, str, str, str | None, str | None, int | None, datetime]]


def history(rng: random.Random, t: referral_states.TransitionTable, *, key: str, agency: str, sent: datetime,
            withdrawn: datetime | None, now: datetime, max_amount: int | None) -> History:
    """What happened to a referral sent at `sent` up to now; a withdrawn consent revokes and cancels it."""
    moves = walk(rng, sent, min(now, withdrawn) if withdrawn else now)
    events = [(None, "requested", HUB, None, None, None, sent)]
    status, reason, outcome, amount, accepted_at, completed_at = "requested", None, None, None, None, None
    for to, actor, when in moves:
        reason = rng.choice(REASONS[to]) if to in t.reasons else None
        if to == t.completion_state:
            outcome, amount = completion_outcome(key, max_amount, rng)
        if to == "accepted" and accepted_at is None:
            accepted_at = when
        if to == t.completion_state:
            completed_at = when
        events.append((status, to, HUB if actor == "hub" else agency, reason,
                       outcome if to == t.completion_state else None,
                       amount if to == t.completion_state else None, when))
        status = to
    revoked = False
    if withdrawn and status != "completed":  # as flows.consents.withdraw: revoke, cancel if still open
        revoked = True
        if "cancelled" in referral_states.allowed_from(status, "hub", t=t):
            reason = "consent-withdrawn"
            events.append((status, "cancelled", HUB, reason, None, None, withdrawn))
            status = "cancelled"
    return History(status, reason, outcome, amount, accepted_at, completed_at, revoked, events)
