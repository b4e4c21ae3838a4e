"""Simulated agencies: they answer referrals through their own API, following the transition table.

What happens to a referral is decided by a hash of its id, so a demo shows a mix of outcomes
(completed, rejected with a reason, failed) that is the same every time for the same referral.
"""
from __future__ import annotations

import hashlib
from typing import Any

from services.onestop.domain import eligibility, referral_states
from services.onestop.domain.reference import directory
from shared.sim import Action, AutopilotPolicy, InboxItem

HUB = "bukgu-hub"
# What "completed" means for each kind of service (taxonomy term -> completion outcome code).
_OUTCOMES = {"finance/debt-relief": "debt-adjusted", "finance/loans": "loan-granted",
             "finance/counselling": "counselling-provided", "employment/job-placement": "job-placed",
             "employment/training": "training-enrolled", "employment/career-counselling": "counselling-provided",
             "employment/unemployment-benefit": "benefit-granted", "employment/disability-employment": "job-placed"}


def _hash(referral_id: str) -> int:
    return int.from_bytes(hashlib.sha256(referral_id.encode()).digest()[:8], "big")


def outcome_for(service_key: str) -> tuple[str, int | None]:
    svc = directory().service(service_key)
    outcome = next((_OUTCOMES[t] for t in svc.taxonomy if t in _OUTCOMES),
                   "benefit-granted" if svc.taxonomy[0].startswith("welfare") else "got-help")
    amount = None
    if referral_states.table().completion_outcomes.get(outcome):
        cap = next((r.max_amount_krw for r in eligibility.rules().rules if r.service_key == service_key), None)
        amount = min(cap or 5_000_000, 5_000_000)
    return outcome, amount


def plan(referral_id: str, service_key: str, reject_share: float = 0.2,
         fail_share: float = 0.1) -> list[dict[str, Any]]:
    """The status changes a simulated agency makes, each checked against the transition table."""
    t = referral_states.table()
    h = _hash(referral_id)
    roll = (h % 10_000) / 10_000
    if roll < reject_share:
        reasons = t.reasons["rejected"]
        steps = [{"status": "rejected", "reason": reasons[(h // 10_000) % len(reasons)]}]
    elif roll < reject_share + fail_share:
        steps = [{"status": "accepted"}, {"status": "in-progress"},
                 {"status": "failed", "reason": "could-not-contact"}]
    else:
        outcome, amount = outcome_for(service_key)
        done: dict[str, Any] = {"status": "completed", "outcome": outcome}
        if amount:
            done["amount_krw"] = amount
        middle = [{"status": "on-hold", "reason": "awaiting-documents"}] if (h >> 20) % 4 == 0 else []
        steps = [{"status": "accepted"}, *middle, {"status": "in-progress"}, done]
    state = t.initial_state
    for step in steps:  # a plan the table does not allow is a bug here, not a demo surprise
        referral_states.check_transition(state, step["status"], actor="agency", reason=step.get("reason"),
                                         outcome=step.get("outcome"), amount_krw=step.get("amount_krw"))
        state = step["status"]
    return steps


class OnestopAutopilot(AutopilotPolicy):
    """Agencies answer `referral.requested`; everything else (notifications, cancellations) needs no answer."""

    def __init__(self) -> None:
        self.accept_delay_s = 3.0
        self.reject_share = 0.2
        self.fail_share = 0.1

    def configure(self, settings) -> None:
        self.accept_delay_s = settings.autopilot_accept_delay_s
        self.reject_share = settings.autopilot_reject_share
        self.fail_share = settings.autopilot_fail_share

    def delay_s(self, party: str, kind: str, payload: dict[str, Any]) -> float:
        return self.accept_delay_s if kind == "referral.requested" else 0.0

    def actions(self, item: InboxItem) -> list[Action]:
        if item.kind != "referral.requested" or item.receiver == HUB:
            return []
        rid = str(item.payload["referral_id"])
        path = f"/v1/agency/referrals/{rid}/status"
        return [Action("POST", path, json=step)
                for step in plan(rid, str(item.payload["service_key"]), self.reject_share, self.fail_share)]
