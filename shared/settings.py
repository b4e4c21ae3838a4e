"""Settings common to every service, read from the environment with pydantic-settings."""
from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

# Values that mean "nobody configured this": refused outside demo mode so a production
# deployment can never run with a secret that is printed in our README.
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "demo", "secret", "demo-secret-not-for-production"})
DEMO_SECRET = "demo-secret-not-for-production"
# Outside demo mode SECRET_KEY keys every keyed hash, signing secret and sealed value: at least 32
# characters, and zxcvbn (the password-strength estimator) must put it at 10^24 guesses (~80 bits) or
# more, which refuses repeats (`aaaa…`), sequences, keyboard patterns and words while any random
# value of 32+ characters (`secrets.token_urlsafe(24)` or longer, `openssl rand -base64 32`) passes.
SECRET_MIN_LENGTH = 32
SECRET_MIN_GUESSES_LOG10 = 24
SECRET_HINT = ("set SECRET_KEY to a random value of 32+ characters, e.g. "
               "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, or run with DEMO_MODE=true")
DATABASE_HINT = "set DATABASE_URL to sqlite:///var/{service}.db or postgresql+psycopg://user:password@host:5432/db"
SUPPORTED_DIALECTS = ("sqlite", "postgresql")
S = TypeVar("S", bound=BaseSettings)


class OperatorError(Exception):
    """A problem the operator fixes (configuration, database, port): `cpa` prints it in two lines, exit 2.

    `problem` says what is wrong, `hint` what to do; neither may carry a secret or a password.
    """

    exit_code = 2

    def __init__(self, problem: str, hint: str = ""):
        super().__init__(problem)
        self.problem = problem
        self.hint = hint

    def lines(self) -> list[str]:
        return [f"error: {self.problem}"] + ([f"hint: {self.hint}"] if self.hint else [])


def masked_url(url: str) -> str:
    """A database URL without its password (`make_url` parses it; unparseable text is not shown)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable URL)"


def check_database_url(url: str) -> None:
    """Raises ValueError (without the URL's password) unless SQLAlchemy can use this URL here."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("DATABASE_URL is not a database URL (expected dialect://…)") from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
        raise ValueError(f"DATABASE_URL {shown}: unsupported database {parsed.get_backend_name()!r}"
                         f" (supported: {', '.join(SUPPORTED_DIALECTS)})")
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise ValueError(f"DATABASE_URL {shown}: unknown driver {parsed.drivername!r}") from None
    try:
        dialect.import_dbapi()
    except ImportError:
        raise ValueError(f"DATABASE_URL {shown}: the driver for {parsed.drivername!r} is not installed"
                         " (use postgresql+psycopg://…)") from None


def env_name(settings_cls: type[BaseSettings], field: str) -> str:
    """The environment variable that sets `field` (pydantic-settings: prefix + name, any case)."""
    prefix = str(settings_cls.model_config.get("env_prefix") or "")
    info = settings_cls.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return (alias if isinstance(alias, str) else f"{prefix}{field}").upper()


def explain_validation_error(exc: ValidationError, settings_cls: type[BaseSettings] | None = None) -> OperatorError:
    """One line naming each invalid environment variable and why, then a hint; never the value."""
    problems: list[str] = []
    hint = 'fix the environment variable (see README "Configuration")'
    for err in exc.errors(include_input=False, include_url=False):
        msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        loc = [str(part) for part in err["loc"] if not isinstance(part, int)]
        if loc and settings_cls is not None and loc[0] in settings_cls.model_fields:
            name = env_name(settings_cls, loc[0])
            problems.append(msg if msg.startswith(name) else f"{name}: {msg}")
        elif loc:
            problems.append(f"{loc[0].upper()}: {msg}")
        else:
            problems.append(msg)
        if "SECRET_KEY" in msg:
            hint = SECRET_HINT
        elif "DATABASE_URL" in msg:
            hint = DATABASE_HINT
    return OperatorError("; ".join(problems) or "invalid settings", hint)


def load_settings(settings_cls: type[S], **overrides) -> S:
    """`settings_cls(**overrides)`, with a validation failure as an OperatorError (no values echoed)."""
    try:
        return settings_cls(**overrides)
    except ValidationError as exc:
        raise explain_validation_error(exc, settings_cls) from None


# The services' default addresses (`make run`), for the three-cases page; CASES_BASE_URLS (JSON) overrides.
CASES_BASE_URLS = {"roadkill": "http://127.0.0.1:8001", "peaks": "http://127.0.0.1:8002",
                   "onestop": "http://127.0.0.1:8003"}


def _guesses_log10(secret: str) -> float:
    """zxcvbn's estimate of the guesses needed (log10); it reads the first 72 characters, so a longer
    value is judged by its weakest 72-character window."""
    from zxcvbn import zxcvbn  # local: its dictionaries load on first use, only outside demo mode

    windows = [secret[i:i + 72] for i in range(0, max(len(secret) - 72, 0) + 1, 36)] + [secret[-72:]]
    return min(zxcvbn(w)["guesses_log10"] for w in windows)


class ServiceSettings(BaseSettings):
    """Base settings; each service subclasses it and sets `service` and `port`."""

    # hide_input_in_errors: a validation error must never echo a value (SECRET_KEY, a password in a URL).
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", env_file=None, hide_input_in_errors=True)

    service: str = "service"
    port: int = 8000
    host: str = "127.0.0.1"
    demo_mode: bool = Field(default=True, description="Demo keys demo-<party> accepted; autopilot on")
    # `{service}` is replaced by the service name, so one DATABASE_URL serves all three
    # services: one SQLite file each, or one PostgreSQL schema each.
    # A SecretStr: the URL may carry a password; show it with `masked_database_url`.
    database_url: SecretStr = SecretStr("sqlite:///var/{service}.db")
    db_schema: str | None = Field(default=None, description="PostgreSQL schema; default: the service name")
    db_pool_size: int = 10
    var_dir: Path = Path("var")
    secret_key: SecretStr = SecretStr(DEMO_SECRET)  # `.get_secret_value()` where it is used
    public_base_url: str | None = None  # where simulated parties reach the hub; default http://host:port
    # Where the three-cases page (`shared.ui.cases`) reads each service's /v1/about over HTTP.
    cases_base_urls: dict[str, str] = Field(default_factory=lambda: dict(CASES_BASE_URLS))
    cases_timeout_s: float = Field(default=1.0, gt=0, le=10)

    relay_enabled: bool = True
    relay_poll_interval_s: float = 0.2
    relay_claim_gap_s: float = 0.02  # at most one claim per gap: a burst of wake-ups is claimed together
    relay_batch_size: int = 50
    relay_concurrency: int = 16
    relay_endpoint_concurrency: int = 4  # deliveries at once to one endpoint (each within relay_timeout_s)
    relay_max_attempts: int = 8
    relay_backoff_base_s: float = 1.0
    relay_backoff_max_s: float = 600.0
    relay_timeout_s: float = 5.0
    relay_lease_s: float = 30.0
    webhook_tolerance_s: int = 300  # receiving side: how far a webhook-timestamp may be from now
    webhook_secret_version: int = 1
    webhook_rotation_window_s: int = 86400

    autopilot_enabled: bool | None = None  # default: on in demo mode
    autopilot_speed: float = 1.0  # >1 plays the simulated parties faster
    autopilot_poll_interval_s: float = 0.25

    auto_migrate: bool = True  # embedded default: upgrade to head on start; production runs `cpa migrate`
    seed_on_start: bool = True  # reference data and demo parties
    max_body_bytes: int = 1_048_576
    # Callers without a valid key or token send at most this much (shared/body_limits.py).
    max_anonymous_body_bytes: int = Field(default=65_536, ge=1024)
    # Outside demo mode /metrics needs the operator's key or this token (`Authorization: Bearer …`).
    metrics_token: SecretStr | None = None
    # Outside demo mode /docs and /redoc are served only when the operator opts in (/openapi.json always is).
    public_api_docs: bool = False
    idempotency_ttl_s: int = 86400
    idempotency_lock_s: int = 60
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("database_url", mode="after")
    @classmethod
    def _usable_database_url(cls, value: SecretStr) -> SecretStr:
        check_database_url(value.get_secret_value().replace("{service}", "service"))
        return value

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> ServiceSettings:
        if self.demo_mode:
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEMO_SECRET:
            raise ValueError("SECRET_KEY is not set (the demo placeholder is refused outside demo mode)")
        if secret.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("SECRET_KEY is a placeholder, refused outside demo mode")
        if len(secret) < SECRET_MIN_LENGTH:
            raise ValueError(f"SECRET_KEY is too weak: at least {SECRET_MIN_LENGTH} characters outside demo mode")
        if _guesses_log10(secret) < SECRET_MIN_GUESSES_LOG10:
            raise ValueError("SECRET_KEY is too weak: repeated characters, a sequence or words, not a random value")
        token = self.metrics_token.get_secret_value() if self.metrics_token is not None else None
        if token is not None and (len(token) < SECRET_MIN_LENGTH or _guesses_log10(token) < SECRET_MIN_GUESSES_LOG10):
            raise ValueError("METRICS_TOKEN is too weak: a random value of 32+ characters outside demo mode")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url.get_secret_value().replace("{service}", self.service)

    @property
    def masked_database_url(self) -> str:
        """The resolved database URL with its password replaced by ***, for messages and logs."""
        return masked_url(self.resolved_database_url)

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
