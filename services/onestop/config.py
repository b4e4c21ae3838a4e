"""Settings of the onestop service (environment variables; see README "Configuration")."""
from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "onestop"
    port: int = 8003

    # Meeting agenda: days a referral may sit in a status before it counts as stalled.
    # Empty = the defaults of data/vulnerability.json; e.g. STALLED_DAYS='{"requested": 2}'.
    stalled_days: dict[str, int] = Field(default_factory=dict)
    # Simulated agencies (autopilot): seconds before an agency answers a new referral.
    autopilot_accept_delay_s: float = Field(default=3.0, ge=0)
    # Share of simulated referrals an agency rejects (decided by a hash of the referral id).
    autopilot_reject_share: float = Field(default=0.2, ge=0, le=1)
    # Share that is accepted but then fails (could not contact the resident).
    autopilot_fail_share: float = Field(default=0.1, ge=0, le=1)
    # Demo data: a few residents, cases and referrals when the database has none.
    seed_demo_data: bool = True
