"""Settings of the onestop service (environment variables; see README "Configuration")."""
from __future__ import annotations

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "onestop"
    port: int = 8003
