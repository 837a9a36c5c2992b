"""The audit log (seed 001 activity_logs, with seed 003's before/after, session and correlation id)
and the transactional outbox (seed 003)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from dashboard.models.base import (
    Created, Field, datetime, enum_check, enum_col, fk, jsonb, now_ts, text, ts, uuid,
)
from dashboard.models.enums import OutboxStatus


class ActivityLog(Created, table=True):
    """One audited action. Rows are chained by ``seq``: ``row_hash`` covers the row's canonical
    content and ``prev_hash`` (the previous row's ``row_hash``), keyed per ``hash_version``."""

    __tablename__ = "activity_logs"
    __table_args__ = (
        sa.CheckConstraint("length(action) BETWEEN 3 AND 64", name="action_length"),
        sa.Index("ix_activity_logs_actor_id_seq", "actor_id", "seq"),
        # the audit page's actor filter: distinct e-mails by loose index scan, then newest by seq
        sa.Index("ix_activity_logs_actor_email_seq", "actor_email", "seq"),
        sa.Index("ix_activity_logs_action_seq", "action", "seq"),
        sa.Index("ix_activity_logs_target", "target_type", "target_id", "seq"),
        sa.Index("ix_activity_logs_created_at", "created_at"),
    )

    seq: int = Field(
        sa_type=sa.BigInteger(),
        sa_column_args=[sa.Identity(always=False)],
        nullable=False,
        unique=True,
    )
    actor_id: uuid.UUID | None = fk("users.id", nullable=True)
    actor_role: str | None = text(32)
    actor_email: str | None = text(255)  # who it was at the time, even if the account changes later
    action: str = text(64, nullable=False)
    target_type: str | None = text(64)
    target_id: str | None = text(64)
    description: str | None = text()
    before: dict | None = jsonb()
    after: dict | None = jsonb()
    details: dict | None = jsonb()
    ip_address: str | None = Field(default=None, sa_type=pg.INET())
    user_agent: str | None = text()
    session_id: uuid.UUID | None = Field(default=None, sa_type=pg.UUID(as_uuid=True))
    correlation_id: uuid.UUID | None = Field(default=None, sa_type=pg.UUID(as_uuid=True))
    prev_hash: str | None = text(64)
    row_hash: str | None = text(64)
    # 1 = plain SHA-256 (rows from before the chain was keyed), 2 = HMAC-SHA256 with the audit key
    hash_version: int = Field(
        default=2, sa_type=sa.SmallInteger(), nullable=False, sa_column_kwargs={"server_default": "2"}
    )


class OutboxEvent(Created, table=True):
    """An event for the customer-facing platforms, written in the same transaction as the decision
    that caused it and published later by a relay (seed 003 outbox pattern)."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        enum_check("status", OutboxStatus),
        sa.CheckConstraint("retry_count >= 0 AND retry_count <= max_retries", name="retry_count_range"),
        sa.Index("ix_outbox_events_aggregate", "aggregate_type", "aggregate_id", "created_at"),
        sa.Index(
            "ix_outbox_events_pending",
            "next_attempt_at",
            postgresql_where=sa.text("status = 'PENDING'"),
        ),
    )

    event_type: str = text(100, nullable=False)
    event_version: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})
    aggregate_type: str = text(64, nullable=False)
    aggregate_id: str = text(64, nullable=False)
    target_platform: str | None = text(32)
    payload: dict = jsonb(nullable=False)
    details: dict | None = jsonb()
    status: str = enum_col(OutboxStatus, default=OutboxStatus.PENDING)
    retry_count: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
    max_retries: int = Field(default=3, nullable=False, sa_column_kwargs={"server_default": "3"})
    next_attempt_at: datetime = now_ts()
    published_at: datetime | None = ts()
    last_error: str | None = text()
    correlation_id: uuid.UUID | None = Field(default=None, sa_type=pg.UUID(as_uuid=True))
