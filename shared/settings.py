"""Settings common to every service, read from the environment with pydantic-settings."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that mean "nobody configured this": refused outside demo mode so a production
# deployment can never run with a secret that is printed in our README.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "demo", "secret", "demo-secret-not-for-production"})
DEMO_SECRET = "demo-secret-not-for-production"


class ServiceSettings(BaseSettings):
    """Base settings; each service subclasses it and sets `service` and `port`."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", env_file=None)

    service: str = "service"
    port: int = 8000
    host: str = "127.0.0.1"
    demo_mode: bool = Field(default=True, description="Demo keys demo-<party> accepted; autopilot on")
    # `{service}` is replaced by the service name, so one DATABASE_URL serves all three
    # services: one SQLite file each, or one PostgreSQL schema each.
    database_url: str = "sqlite:///var/{service}.db"
    db_schema: str | None = Field(default=None, description="PostgreSQL schema; default: the service name")
    db_pool_size: int = 10
    var_dir: Path = Path("var")
    secret_key: str = DEMO_SECRET
    public_base_url: str | None = None  # where simulated parties reach the hub; default http://host:port

    relay_enabled: bool = True
    relay_poll_interval_s: float = 0.2
    relay_batch_size: int = 50
    relay_concurrency: int = 16
    relay_max_attempts: int = 8
    relay_backoff_base_s: float = 1.0
    relay_backoff_max_s: float = 600.0
    relay_timeout_s: float = 5.0
    relay_lease_s: float = 30.0
    webhook_tolerance_s: int = 300
    webhook_secret_version: int = 1
    webhook_rotation_window_s: int = 86400

    autopilot_enabled: bool | None = None  # default: on in demo mode
    autopilot_speed: float = 1.0  # >1 plays the simulated parties faster
    autopilot_poll_interval_s: float = 0.25

    auto_migrate: bool = True  # embedded default: upgrade to head on start; production runs `cpa migrate`
    seed_on_start: bool = True  # reference data and demo parties
    max_body_bytes: int = 1_048_576
    idempotency_ttl_s: int = 86400
    idempotency_lock_s: int = 60
    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> ServiceSettings:
        if not self.demo_mode and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                "SECRET_KEY is a placeholder; set a random value (e.g. `python -c 'import secrets;"
                " print(secrets.token_urlsafe(32))'`) or run with DEMO_MODE=true"
            )
        if not self.demo_mode and len(self.secret_key) < 16:
            raise ValueError("SECRET_KEY must be at least 16 characters outside demo mode")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url.replace("{service}", self.service)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def schema(self) -> str | None:
        if self.is_sqlite:
            return None
        return self.db_schema or self.service.replace("-", "_")

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def autopilot(self) -> bool:
        return self.demo_mode if self.autopilot_enabled is None else self.autopilot_enabled
