"""Customer support tickets and their messages (seed 001); the inbox's canned replies and who is viewing
a ticket (issue 7)."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.models.base import (
    Created, Field, Keyed, Timestamped, datetime, enum_check, enum_col, fk, flag, now_ts, text, ts, uuid,
)
from dashboard.models.enums import Role, TicketCategory, TicketPriority, TicketStatus


class SupportTicket(Timestamped, table=True):
    __tablename__ = "support_tickets"
    __table_args__ = (
        enum_check("status", TicketStatus),
        enum_check("priority", TicketPriority),
        enum_check("category", TicketCategory),
        sa.CheckConstraint("(status = 'CLOSED') = (closed_at IS NOT NULL)", name="closed_at_iff_closed"),
        sa.CheckConstraint("length(subject) BETWEEN 1 AND 200", name="subject_length"),
        sa.Index("ix_support_tickets_user_id", "user_id"),
        sa.Index("ix_support_tickets_created_at_id", "created_at", "id"),
        sa.Index("ix_support_tickets_status_updated", "status", "updated_at", "id"),
        sa.Index("ix_support_tickets_assigned_status", "assigned_to_id", "status", "updated_at"),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    number: int = Field(
        sa_type=sa.BigInteger(),
        sa_column_args=[sa.Identity(start=1000)],
        nullable=False,
        unique=True,
    )
    subject: str = text(200, nullable=False)
    status: str = enum_col(TicketStatus, default=TicketStatus.OPEN)
    priority: str = enum_col(TicketPriority, default=TicketPriority.NORMAL)
    category: str | None = enum_col(TicketCategory, nullable=True)
    assigned_to_id: uuid.UUID | None = fk("users.id", nullable=True)
    first_response_at: datetime | None = ts()
    last_reply_at: datetime | None = ts()
    last_customer_message_at: datetime | None = ts()
    staff_read_at: datetime | None = ts()  # unread for staff when a customer wrote after this
    closed_at: datetime | None = ts()


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


class SupportMessage(Created, table=True):
    __tablename__ = "support_messages"
    __table_args__ = (
        enum_check("sender_role", Role),
        sa.CheckConstraint("length(message) BETWEEN 1 AND 10000", name="message_length"),
        sa.CheckConstraint(
            "attachment_key IS NULL OR (attachment_key NOT LIKE '/%' AND attachment_key NOT LIKE '%..%')",
            name="attachment_key_relative",
        ),
        sa.Index("ix_support_messages_ticket_id_created_at", "ticket_id", "created_at"),
    )

    ticket_id: uuid.UUID = fk("support_tickets.id", ondelete="CASCADE")
    sender_id: uuid.UUID = fk("users.id", ondelete="CASCADE", index=True)
    sender_role: str = enum_col(Role)
    message: str = text(nullable=False)
    is_internal: bool = flag(False)  # internal staff note, never shown to the customer
    attachment_key: str | None = text(500)  # private storage, never a public URL
    attachment_name: str | None = text(255)
    attachment_mime: str | None = text(100)
    attachment_size: int | None = Field(default=None)


class CannedReply(Timestamped, table=True):
    """A standard answer managed by the support agents (title unique, case-insensitive)."""

    __tablename__ = "canned_replies"
    __table_args__ = (
        sa.CheckConstraint("length(btrim(title)) BETWEEN 1 AND 120", name="title_length"),
        sa.CheckConstraint("length(body) BETWEEN 1 AND 10000", name="body_length"),
    )

    title: str = text(120, nullable=False)
    body: str = text(nullable=False)
    created_by_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")
    updated_by_id: uuid.UUID | None = fk("users.id", nullable=True, ondelete="SET NULL")


sa.Index("uq_canned_replies_title", sa.func.lower(CannedReply.__table__.c.title), unique=True)


class TicketPresence(Keyed, table=True):
    """One row per (ticket, staff member) with the time of their last heartbeat; "X is viewing" means a
    heartbeat newer than a short TTL. It lives in the database so that every backend worker sees the
    same presence."""

    __tablename__ = "support_ticket_presence"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "user_id", name="uq_support_ticket_presence_ticket_user"),
        sa.Index("ix_support_ticket_presence_ticket_seen", "ticket_id", "seen_at"),
    )

    ticket_id: uuid.UUID = fk("support_tickets.id", ondelete="CASCADE")
    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    seen_at: datetime = now_ts()
