"""The referral state machine as data (the same table the API and the autopilot use)."""
from __future__ import annotations

from fastapi import APIRouter

from services.onestop.answers import ReferralStates
from services.onestop.domain import referral_states
from shared.auth import PUBLIC

router = APIRouter(prefix="/v1", tags=["referrals"])


@router.get("/referral-states", dependencies=[PUBLIC])
def get_referral_states() -> ReferralStates:
    """Every allowed move (from, to, who may make it, whether a reason is needed) and the outcome codes."""
    t = referral_states.table()
    return {"version": t.version, "initial_state": t.initial_state, "states": t.states,
            "transitions": referral_states.describe(), "outcome_codes": t.outcome_codes,
            "completion_outcomes": {k: {"requires_amount": v} for k, v in t.completion_outcomes.items()}}
