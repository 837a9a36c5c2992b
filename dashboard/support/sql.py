"""The support screen's main SELECTs, built in one place so the benchmark (``bench_support``) times
exactly what the screen runs.

- The inbox: one SELECT, keyset on (updated_at DESC, id DESC). The default view (OPEN + IN_PROGRESS)
  reads a partial index, so it stays fast however many closed tickets pile up.
- The counts above it: per status (exact), "mine" and "unassigned" among the open + in-progress tickets.
- Opening a thread: the ticket with its customer and assignee; its messages (the latest 500, oldest first).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from dashboard.core.listing import like_pattern
from dashboard.models import SupportMessage, SupportTicket, User
from dashboard.support.rules import ACTIVE, ALL_STATUSES, MESSAGE_LIMIT, STATUSES, InboxFilters


def inbox_query(filters: InboxFilters, *, me: uuid.UUID | None, after: tuple[datetime, uuid.UUID] | None,
                limit: int) -> sa.Select:
    """The inbox's one SELECT: most recently updated first, keyset on (updated_at, id) descending."""
    t = SupportTicket
    agent = aliased(User)
    query = (
        sa.select(
            t.id, t.number, t.subject, t.status, t.priority, t.category, t.created_at, t.updated_at,
            t.first_response_at, t.last_reply_at, t.last_customer_message_at, t.staff_read_at,
            User.email.label("customer_email"), User.first_name, User.last_name,
            agent.email.label("agent_email"),
        )
        .join(User, User.id == t.user_id)
        .outerjoin(agent, agent.id == t.assigned_to_id)
    )
    if filters.status == "":
        query = query.where(t.status.in_(ACTIVE))
    elif filters.status != ALL_STATUSES:
        query = query.where(t.status == filters.status)
    if filters.view == "mine":
        query = query.where(t.assigned_to_id == me)
    elif filters.view == "unassigned":
        query = query.where(t.assigned_to_id.is_(None))
    if filters.priority:
        query = query.where(t.priority == filters.priority)
    if filters.category == "NONE":
        query = query.where(t.category.is_(None))
    elif filters.category:
        query = query.where(t.category == filters.category)
    if filters.search:
        pattern = like_pattern(filters.search)
        # Emails are stored lower-case (a CHECK): the customers matching are found first (one pass over
        # users), then the tickets are walked in inbox order and stop at the page's end.
        customers = sa.select(User.id).where(User.email.like(pattern.lower(), escape="\\"))
        query = query.where(sa.or_(t.subject.ilike(pattern, escape="\\"), t.user_id.in_(customers)))
    if after is not None:
        query = query.where(sa.tuple_(t.updated_at, t.id) < sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
    return query.order_by(t.updated_at.desc(), t.id.desc()).limit(limit)


def counts_query(me: uuid.UUID | None) -> sa.Select:
    """Tickets per status (whole table, exact), plus "mine" and "unassigned" among the open + in-progress
    ones. One scalar subquery each, so every count is an index-only scan of its own slice (status index,
    assignee index) rather than one pass over the whole table."""
    t = SupportTicket
    active = t.status.in_(ACTIVE)

    def n(*where: Any) -> Any:
        return sa.select(sa.func.count()).select_from(t).where(*where).scalar_subquery()

    return sa.select(
        *[n(t.status == s).label(s) for s in STATUSES],
        n(t.assigned_to_id == me, active).label("mine"),
        n(t.assigned_to_id.is_(None), active).label("unassigned"),
    )


def thread_query(ticket_id: uuid.UUID) -> sa.Select:
    """The main query of opening a thread: the ticket, its customer and assignee."""
    t = SupportTicket
    agent = aliased(User)
    return (
        sa.select(t, User, agent.email.label("agent_email"))
        .join(User, User.id == t.user_id)
        .outerjoin(agent, agent.id == t.assigned_to_id)
        .where(t.id == ticket_id)
    )


def messages_query(ticket_id: uuid.UUID, limit: int = MESSAGE_LIMIT) -> sa.Select:
    m = SupportMessage
    latest = (
        sa.select(m.id, m.sender_id, m.sender_role, m.message, m.is_internal, m.attachment_key, m.attachment_name,
                  m.attachment_size, m.created_at, User.email.label("sender_email"),
                  User.first_name.label("sender_first"), User.last_name.label("sender_last"))
        .join(User, User.id == m.sender_id)
        .where(m.ticket_id == ticket_id)
        .order_by(m.created_at.desc(), m.id.desc())
        .limit(limit)
        .subquery()
    )
    return sa.select(latest).order_by(latest.c.created_at, latest.c.id)
