"""Typed settings read from the environment (and an optional ``.env`` file).

Production (``DASHBOARD_ENV=prod``) refuses the development secret key, a missing or weak audit-chain
key and a missing private-files folder, so a deployment cannot start with defaults that are only safe
on a laptop.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=PROJECT_ROOT / ".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = Field(default="dev", validation_alias="DASHBOARD_ENV")
    # Empty: the dashboard starts its own embedded PostgreSQL under .data/ (dev and demo only).
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    secret_key: str = Field(default=DEV_SECRET_KEY, validation_alias="DASHBOARD_SECRET_KEY")
    private_files_dir: Path = Field(
        default=PROJECT_ROOT / ".data" / "private", validation_alias="DASHBOARD_PRIVATE_FILES_DIR"
    )
    allowed_origin: str = Field(default="http://localhost:3000", validation_alias="DASHBOARD_ALLOWED_ORIGIN")
    embedded_pg_dir: Path = Field(default=PROJECT_ROOT / ".data" / "pg", validation_alias="DASHBOARD_PG_DIR")
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60, validation_alias="DASHBOARD_SESSION_IDLE_MINUTES")
    session_absolute_hours: int = Field(default=24, ge=1, le=24 * 7, validation_alias="DASHBOARD_SESSION_ABSOLUTE_HOURS")
    # Finding 5 of issue 12: an account created, or whose role/password/2FA an admin changed, within this
    # many hours cannot give a second (checking) approval; 0 switches the rule off.
    second_approver_cooling_off_hours: int = Field(default=24, ge=0, le=24 * 30,
                                                   validation_alias="DASHBOARD_SECOND_APPROVER_COOLING_OFF_HOURS")
    # The audit chain's HMAC key (kept out of the database). Empty in dev/test: derived from the secret key.
    audit_key: str = Field(default="", validation_alias="DASHBOARD_AUDIT_KEY")
    # Signed checkpoints of the chain's head, outside the database (one file per database).
    audit_checkpoint_dir: Path = Field(
        default=PROJECT_ROOT / ".data" / "audit-checkpoints", validation_alias="DASHBOARD_AUDIT_CHECKPOINT_DIR"
    )
    # The daily portfolio snapshot job runs at this hour (UTC) and catches up missed days (dashboard/jobs).
    snapshot_hour_utc: int = Field(default=1, ge=0, le=23, validation_alias="DASHBOARD_SNAPSHOT_HOUR")
    db_pool_size: int = Field(default=10, ge=1, le=100, validation_alias="DASHBOARD_DB_POOL_SIZE")
    # Sign-in throttle (dashboard/auth/throttle.py): attempts allowed per client address and per
    # e-mail address in one window, for every kind of account (staff keep their own lockout too).
    signin_window_minutes: int = Field(default=15, ge=1, le=24 * 60, validation_alias="DASHBOARD_SIGNIN_WINDOW_MINUTES")
    signin_max_per_address: int = Field(default=50, ge=1, validation_alias="DASHBOARD_SIGNIN_MAX_PER_ADDRESS")
    signin_max_per_email: int = Field(default=10, ge=1, validation_alias="DASHBOARD_SIGNIN_MAX_PER_EMAIL")

    @field_validator("database_url")
    @classmethod
    def _normalise_driver(cls, value: str) -> str:
        value = value.strip()
        if value.startswith("postgres://"):
            value = "postgresql://" + value[len("postgres://") :]
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        if value and not value.startswith("postgresql+psycopg://"):
            raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgresql://...)")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env == "prod":
            problems = []
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                problems.append("DASHBOARD_SECRET_KEY must be set to a random value of 32+ characters")
            if not self.audit_key or len(self.audit_key) < 32 or self.audit_key in (DEV_SECRET_KEY, self.secret_key):
                problems.append(
                    "DASHBOARD_AUDIT_KEY must be set to a random value of 32+ characters, different from the secret key"
                )
            if not self.database_url:
                problems.append("DATABASE_URL must point at the production PostgreSQL server")
            if not self.allowed_origin.startswith("https://") and "localhost" not in self.allowed_origin:
                problems.append("DASHBOARD_ALLOWED_ORIGIN must be the dashboard's https origin")
            if problems:
                raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "prod"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
