"""Settings of the roadkill service (environment variables; see README "Configuration")."""
from __future__ import annotations

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "roadkill"
    port: int = 8001
