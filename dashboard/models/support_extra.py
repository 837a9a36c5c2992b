"""Support inbox additions (issue 7): canned replies and who is viewing a ticket.

- ``canned_replies``: standard answers managed by the support agents (title unique, case-insensitive).
- ``support_ticket_presence``: one row per (ticket, staff member) with the time of their last
  heartbeat; "X is viewing" means a heartbeat newer than a short TTL. It lives in the database so
  that every backend worker sees the same presence.
"""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.models.base import SQLModel, datetime, fk, now_ts, text, uuid, uuid_pk
from dashboard.models.support import SupportTicket


class CannedReply(SQLModel, table=True):
    __tablename__ = "canned_replies"
    __table_args__ = (
        sa.CheckConstraint("length(btrim(title)) BETWEEN 1 AND 120", name="title_length"),
        sa.CheckConstraint("length(body) BETWEEN 1 AND 10000", name="body_length"),
    )

    id: uuid.UUID = uuid_pk()
    title: str = text(120, nullable=False)
    body: str = text(nullable=False)
    created_by_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    updated_by_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()


sa.Index("uq_canned_replies_title", sa.func.lower(CannedReply.__table__.c.title), unique=True)


class TicketPresence(SQLModel, table=True):
    __tablename__ = "support_ticket_presence"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "user_id", name="uq_support_ticket_presence_ticket_user"),
        sa.Index("ix_support_ticket_presence_ticket_seen", "ticket_id", "seen_at"),
    )

    id: uuid.UUID = uuid_pk()
    ticket_id: uuid.UUID = fk("support_tickets.id", ondelete="CASCADE")
    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    seen_at: datetime = now_ts()


# The inbox's default view (open + in progress, most recently updated first) reads this partial index;
# its "unassigned" view too. The closed bulk of the table (most tickets) never enters these scans.
sa.Index(
    "ix_support_tickets_active_updated",
    SupportTicket.__table__.c.updated_at.desc(),
    SupportTicket.__table__.c.id.desc(),
    postgresql_where=sa.text("status IN ('OPEN', 'IN_PROGRESS')"),
)
sa.Index(
    "ix_support_tickets_updated_id",
    SupportTicket.__table__.c.updated_at.desc(),
    SupportTicket.__table__.c.id.desc(),
)
