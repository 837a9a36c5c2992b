"""Files an officer asked for (CSV exports), waiting to be fetched once over plain HTTP.

The export writes the file under the private folder and offers it here; ``/_download/<token>`` hands it
to the same sign-in session only, once, before ``expires_at`` (``dashboard/core/downloads.py``)."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.models.base import Created, Field, datetime, fk, text, ts, uuid


class PendingDownload(Created, table=True):
    __tablename__ = "pending_downloads"
    __table_args__ = (
        sa.CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        sa.Index("ix_pending_downloads_expires_at", "expires_at"),
    )

    token_hash: str = Field(sa_type=sa.String(128), nullable=False, unique=True)  # never the token itself
    session_id: uuid.UUID = fk("active_sessions.id", ondelete="CASCADE", index=True)
    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    storage_key: str = text(255, nullable=False)
    file_name: str = text(255, nullable=False)
    media_type: str = text(100, nullable=False)
    size_bytes: int = Field(sa_type=sa.BigInteger(), nullable=False)
    expires_at: datetime = ts(nullable=False)
