"""Settings of the peaks service (environment variables; see README "Configuration")."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import Field, model_validator

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "peaks"
    port: int = 8002
    # Content-addressed photo store; default: <var_dir>/peaks-store (so tests under tmp_path stay there).
    storage_dir: Path | None = Field(default=None, description="Photo store directory (STORAGE_DIR)")
    # Uploads above this are refused with 413 before being read (phones write 3-12 MB JPEGs).
    photo_max_bytes: int = 25_000_000
    photo_max_pixels: int = 50_000_000
    display_side: int = 1000  # gallery display derivative, long side in px (a 12 MP JPEG decodes straight to it)
    thumb_side: int = 320
    # Open API (gallery/open API/certificates engineer): per-key token bucket; 0 disables limiting.
    open_api_rate_per_minute: float = Field(default=1200, description="Sustained requests/min per API key")
    open_api_burst: int = Field(default=200, description="Requests per API key allowed in a burst")
    # Climber registration is anonymous: per client address, this many at once, then this many an hour.
    registration_burst: int = Field(default=20, description="Registrations per client allowed in a burst")
    registration_per_hour: float = Field(default=20, description="Sustained registrations per client and hour; "
                                                                 "0 disables the limit")
    # How long a process trusts its cached data version stamp (ETags, page cache) before asking the
    # database again; changes made in this process are seen at once, other processes' within this.
    open_api_stamp_ttl_s: float = 1.0
    # Webhook subscription URLs: loopback/private hosts allowed only in demo mode (tests, local demo).
    open_api_allow_private_webhooks: bool | None = None
    # The programme has no season in December: a trainer (or the benchmark) can start the service's
    # clock inside one. The clock then runs on from that moment. Demo mode only.
    clock_at: datetime | None = Field(default=None, description="CLOCK_AT: start the service clock at this "
                                                                "aware ISO time (demo mode only)")

    @model_validator(mode="after")
    def _clock_only_in_demo(self) -> Settings:
        if self.clock_at is not None:
            if not self.demo_mode:
                raise ValueError("CLOCK_AT is for training and benchmarks: it needs DEMO_MODE=true")
            if self.clock_at.tzinfo is None:
                raise ValueError("CLOCK_AT needs a UTC offset, e.g. 2026-10-15T12:00:00+09:00")
        return self

    @property
    def resolved_storage_dir(self) -> Path:
        return self.storage_dir if self.storage_dir is not None else self.var_dir / "peaks-store"
