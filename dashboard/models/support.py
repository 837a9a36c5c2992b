"""Customer support tickets and their messages (seed 001)."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.models.base import (
    Field,
    SQLModel,
    now_ts,
    datetime,
    enum_check,
    enum_col,
    fk,
    flag,
    text,
    ts,
    uuid,
    uuid_pk,
)
from dashboard.models.enums import Role, TicketCategory, TicketPriority, TicketStatus


class SupportTicket(SQLModel, table=True):
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

    id: uuid.UUID = uuid_pk()
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
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()


class SupportMessage(SQLModel, table=True):
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

    id: uuid.UUID = uuid_pk()
    ticket_id: uuid.UUID = fk("support_tickets.id", ondelete="CASCADE")
    sender_id: uuid.UUID = fk("users.id", ondelete="CASCADE", index=True)
    sender_role: str = enum_col(Role)
    message: str = text(nullable=False)
    is_internal: bool = flag(False)  # internal staff note, never shown to the customer
    attachment_key: str | None = text(500)  # private storage, never a public URL
    attachment_name: str | None = text(255)
    attachment_mime: str | None = text(100)
    attachment_size: int | None = Field(default=None)
    created_at: datetime = now_ts()
