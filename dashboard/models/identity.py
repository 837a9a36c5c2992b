"""Customers and staff (seeds 000 User/UserSettings/ActiveSession, 001 users, 002 users/notifications,
004 user/refresh_tokens/transaction_pins)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from dashboard.models.base import (
    Created, Field, SQLModel, Timestamped, datetime, enum_check, enum_col, fk, flag, jsonb, now_ts, text, ts, uuid,
)
from dashboard.models.enums import AccountType, KycStatus, Language, Platform, Role, TwoFactorMethod


class User(Timestamped, table=True):
    __tablename__ = "users"
    __table_args__ = (
        enum_check("role", Role),
        enum_check("kyc_status", KycStatus),
        enum_check("account_type", AccountType),
        enum_check("language", Language),
        enum_check("platform", Platform),
        enum_check("two_factor_method", TwoFactorMethod),
        sa.CheckConstraint("failed_login_attempts >= 0", name="failed_login_attempts_non_negative"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        # Roles are a closed set; staff have no account type (seed 001: set during registration).
        sa.CheckConstraint("role = 'CUSTOMER' OR account_type IS NULL", name="staff_without_account_type"),
        sa.Index("ix_users_created_at", "created_at"),
        sa.Index("ix_users_last_name_first_name", "last_name", "first_name"),
    )

    email: str = text(255, nullable=False)
    username: str | None = text(150)
    password_hash: str | None = text(255)
    role: str = enum_col(Role, default=Role.CUSTOMER, index=True)
    platform: str = enum_col(Platform, default=Platform.VIP)

    first_name: str = text(150, nullable=False)
    last_name: str = text(150, nullable=False)
    phone: str | None = text(32)
    address: str | None = text()
    city: str | None = text(120)
    country: str | None = text(2)  # ISO 3166-1 alpha-2
    nationality: str | None = text(2)
    date_of_birth: datetime | None = Field(default=None, sa_type=sa.Date())
    timezone: str = text(64, nullable=False, default="UTC")
    language: str = enum_col(Language, default=Language.EN)
    profile_photo_url: str | None = text()

    account_type: str | None = enum_col(AccountType, nullable=True)

    kyc_status: str = enum_col(KycStatus, default=KycStatus.NOT_STARTED, index=True)
    kyc_rejection_reason: str | None = text()
    kyc_approved_at: datetime | None = ts()
    kyc_approved_by: uuid.UUID | None = fk("users.id", nullable=True)

    # 000 UserSettings two-factor fields; the secret is stored encrypted by the auth service.
    two_factor_enabled: bool = flag(False)
    two_factor_method: str = enum_col(TwoFactorMethod, default=TwoFactorMethod.NONE)
    two_factor_secret: str | None = text()
    login_alerts: bool = flag(True)
    preferences: dict | None = jsonb(nullable=False, default="{}")

    # 004 transaction_pins lockout pattern, applied to dashboard sign-in
    failed_login_attempts: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
    locked_until: datetime | None = ts()
    password_changed_at: datetime | None = ts()
    # set when the account is created or an admin changes its role, password or two-step sign-in; a
    # second approval within the cooling-off period after it is refused (dashboard.core.decisions)
    credentials_changed_at: datetime | None = ts()

    is_active: bool = flag(True)
    email_verified: bool = flag(False)
    last_login_at: datetime | None = ts()


# Case-insensitive uniqueness is guaranteed by the lowercase check + a plain unique index.
sa.Index("uq_users_email", User.__table__.c.email, unique=True)
sa.Index(
    "uq_users_username",
    User.__table__.c.username,
    unique=True,
    postgresql_where=User.__table__.c.username.isnot(None),
)


class ActiveSession(Created, table=True):
    """A dashboard sign-in (000 ActiveSession + 004 refresh_tokens). Only the token's hash is stored."""

    __tablename__ = "active_sessions"
    __table_args__ = (
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(sa_type=sa.String(128), nullable=False, unique=True)
    device: str | None = text(255)
    location: str | None = text(255)
    ip_address: str | None = Field(default=None, sa_type=pg.INET())
    user_agent: str | None = text()
    two_factor_verified: bool = flag(False)
    last_active_at: datetime = now_ts()
    expires_at: datetime = ts(nullable=False)
    revoked: bool = flag(False)
    revoked_at: datetime | None = ts()
    revoked_by: uuid.UUID | None = fk("users.id", nullable=True)
    replaced_by: uuid.UUID | None = Field(default=None, sa_type=pg.UUID(as_uuid=True))


class Notification(Created, table=True):
    """A message to a customer (seed 002), written by back-office decisions."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_id_read", "user_id", "read"),
        sa.Index("ix_notifications_created_at", "created_at"),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE", index=True)
    notification_type: str | None = text(50)
    title: str | None = text(255)
    message: str = text(nullable=False)
    read: bool = flag(False)


class SigninThrottle(SQLModel, table=True):
    """Sign-in attempts in the current window, per client address and per e-mail address
    (``dashboard/auth/throttle.py``). ``key`` is a keyed hash (HMAC) of the address or the
    normalised e-mail, so the table names nobody; nothing here touches ``users``."""

    __tablename__ = "signin_throttle"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('address', 'email')", name="kind_known"),
        sa.CheckConstraint("attempts >= 0 AND failures >= 0", name="counts_non_negative"),
        sa.Index("ix_signin_throttle_window_start", "window_start"),
    )

    key: str = Field(sa_type=sa.String(64), primary_key=True)
    kind: str = Field(sa_type=sa.String(8), nullable=False)
    window_start: datetime = ts(nullable=False)
    attempts: int = Field(default=0, nullable=False)
    # failed attempts on accounts that are not back-office users (the audit log summarises them)
    failures: int = Field(default=0, nullable=False)
