"""Settings of the peaks service (environment variables; see README "Configuration")."""
from __future__ import annotations

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "peaks"
    port: int = 8002
