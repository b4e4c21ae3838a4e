"""Settings of the roadkill service (environment variables; see README "Configuration")."""
from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "roadkill"
    port: int = 8001

    # Duplicate merging (dedup.DedupParams): 250 m is FixMyStreet's duplicate radius; 6 h keeps
    # yesterday's carcass apart from today's while covering the time until a crew clears it.
    dedup_distance_m: float = Field(default=250.0, gt=0, le=5000)
    dedup_window_h: float = Field(default=6.0, gt=0, le=24 * 30)
    dedup_heading_tolerance_deg: float = Field(default=90.0, ge=0, le=180)
    # A report farther than this from every mapped road goes to the containing city/county.
    max_snap_m: float = Field(default=150.0, ge=0, le=2000)
    # Reports older than this (a partner replaying a backlog) or from the future are refused.
    report_max_age_h: float = Field(default=72.0, gt=0)
    report_future_skew_s: float = Field(default=300.0, ge=0)
    # Simulated parties act after about this many seconds (divided by AUTOPILOT_SPEED).
    autopilot_delay_s: float = Field(default=3.0, ge=0)
    # Demo mode: create a handful of incidents on an empty database so pages are never empty.
    seed_demo_incidents: bool = True
