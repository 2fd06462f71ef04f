"""Settings read from the environment (prefix ``CNSCD_``) and from an optional ``.env`` file.

Settings fail fast: outside development a real secret of at least 32 bytes is required,
and well-known placeholder values are refused.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/cnscd.db"
MIN_SECRET_BYTES = 32
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "change_me", "secret", "dev", "development", "test", "password"}
)


# 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h: about 47 hours of retries.
DEFAULT_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every ``CNSCD_`` setting. The README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(
        env_prefix="CNSCD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: SecretStr | None = None
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    sql_echo: bool = False
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_statement_timeout_seconds: int = Field(default=30, ge=0, le=3600)
    # Strict-Transport-Security max-age; 0 sends none (set it only behind TLS).
    hsts_seconds: int = Field(default=0, ge=0, le=2 * 365 * 24 * 60 * 60)

    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    token_issuer: str = "cnscd-api"  # noqa: S105 -- not a secret
    token_audience: str = "cnscd-api"  # noqa: S105 -- not a secret
    idempotency_retention_hours: int = Field(default=24, ge=1, le=24 * 30)
    idempotency_wait_seconds: float = Field(default=10.0, ge=0, le=60)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    login_lockout_seconds: int = Field(default=15 * 60, ge=1)
    # Per client address: a budget of failures that drains back one failure every
    # ``login_address_refill_seconds`` and that successful logins pay back.
    login_address_failure_budget: int = Field(default=20, ge=1)
    login_address_refill_seconds: int = Field(default=120, ge=1, le=24 * 60 * 60)
    refresh_reuse_grace_seconds: int = Field(default=30, ge=0, le=10 * 60)
    # How long a browser may keep a dashboard answer (Cache-Control: private, max-age).
    stats_max_age_seconds: int = Field(default=60, ge=0, le=24 * 60 * 60)

    # Webhooks (docs/operations.md, "Webhook worker"). Loopback URLs are refused unless
    # this is set or the environment is development.
    webhook_allow_loopback: bool = False
    # Seconds to wait before each retry of a failed delivery, jittered by ±20 %: about
    # two days in all, then the delivery is given up (failed).
    webhook_retry_schedule: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE)
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # How long a worker holds a delivery it sends; past it (the worker died), another
    # worker sends it again. Longer than the timeout.
    webhook_lease_seconds: int = Field(default=60, ge=1, le=3600)
    webhook_rotation_grace_hours: int = Field(default=24, ge=0, le=24 * 30)
    webhook_poll_seconds: float = Field(default=0.2, gt=0, le=60)
    webhook_batch_size: int = Field(default=500, ge=1, le=5000)
    # Sends at once per worker: more threads than this cost more than they overlap on a
    # small machine (bench/events.py).
    webhook_concurrency: int = Field(default=4, ge=1, le=64)
    webhook_retention_days: int = Field(default=30, ge=1, le=3650)

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: object) -> object:
        """Lists in the environment are comma-separated (``NoDecode``: not JSON); their
        items are then validated as the field says (the schedule's as integers)."""
        if isinstance(data, dict):
            for name in ("cors_origins", "webhook_retry_schedule"):
                raw = data.get(name)
                if isinstance(raw, str):
                    data[name] = [item.strip() for item in raw.split(",") if item.strip()]
        return data

    @model_validator(mode="after")
    def _check_secret(self) -> Settings:
        if self.environment is Environment.DEVELOPMENT:
            return self
        if self.secret_key is None:
            raise ValueError("CNSCD_SECRET_KEY is required outside development")
        secret = self.secret_key.get_secret_value()
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"CNSCD_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes")
        if secret.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("CNSCD_SECRET_KEY is a placeholder value")
        return self

    @property
    def is_development(self) -> bool:
        return self.environment is Environment.DEVELOPMENT

    @property
    def webhook_loopback_allowed(self) -> bool:
        return self.webhook_allow_loopback or self.is_development

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    def signing_key(self) -> str:
        if self.secret_key is None:
            raise RuntimeError("CNSCD_SECRET_KEY is not set; `make run` writes one into .env")
        return self.secret_key.get_secret_value()


@lru_cache
def get_settings() -> Settings:
    return Settings()
