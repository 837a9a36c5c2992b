"""Support inbox benchmark scenarios (issue 7), group ``support`` (SQL scenarios, ``dashboard/bench/harness.py``).

- ``support_inbox_first_page``: the inbox's first page, default view (open + in progress, latest
  activity first), no filter: the page's main query.
- ``support_inbox_counts``: the counts shown above it (per status, mine, unassigned).
- ``support_inbox_search``: the first page searched by a fragment of a customer's email.
- ``support_thread_open``: the main query of opening a thread (the ticket, its customer, the assignee).
- ``support_thread_messages``: the thread's messages (latest 500, shown oldest first) with their senders.

They only read (no new table is touched), so they run against any database:
``python -m dashboard.cli bench --group support --url <database url> [--repeat N]``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import Select
from sqlmodel import Session

from dashboard.bench.harness import PAGE_SIZE, Scenario, scenario_group
from dashboard.models import SupportMessage, SupportTicket, User
from dashboard.support import sql as support


def _agent(session: Session) -> dict[str, Any]:
    """A support agent with tickets assigned (read once, untimed): the "mine" count uses it."""
    me = session.execute(
        sa.select(SupportTicket.assigned_to_id).where(SupportTicket.assigned_to_id.is_not(None)).limit(1)
    ).scalar_one_or_none()
    return {"me": me}


def _inbox_first_page(session: Session, ctx: dict[str, Any] | None = None) -> Select:
    return support.inbox_query(support.InboxFilters(), me=None, after=None, limit=PAGE_SIZE + 1)


def _inbox_counts(session: Session, ctx: dict[str, Any]) -> Select:
    return support.counts_query(ctx["me"])


def _search_term(session: Session) -> dict[str, Any]:
    """The local part of the email of a customer with an open ticket, from the middle of the inbox."""
    t = SupportTicket
    email = session.execute(
        sa.select(User.email).join(t, t.user_id == User.id).where(t.status.in_(support.ACTIVE))
        .order_by(t.updated_at.desc(), t.id.desc()).offset(10).limit(1)
    ).scalar_one_or_none()
    return {"search": (email or "smith@").split("@")[0]}


def _inbox_search(session: Session, ctx: dict[str, Any]) -> Select:
    return support.inbox_query(support.InboxFilters(search=ctx["search"]), me=None, after=None, limit=PAGE_SIZE + 1)


def _busiest_open_ticket(session: Session) -> dict[str, Any]:
    """The open ticket with the longest thread (the worst case of opening one)."""
    t, m = SupportTicket, SupportMessage
    ticket_id = session.execute(
        sa.select(m.ticket_id).join(t, t.id == m.ticket_id).where(t.status.in_(support.ACTIVE))
        .group_by(m.ticket_id).order_by(sa.func.count().desc()).limit(1)
    ).scalar_one()
    return {"ticket_id": ticket_id}


def _thread_open(session: Session, ctx: dict[str, Any]) -> Select:
    return support.thread_query(ctx["ticket_id"])


def _thread_messages(session: Session, ctx: dict[str, Any]) -> Select:
    return support.messages_query(ctx["ticket_id"])


GROUP = scenario_group(
    "support",
    "the support inbox and a thread",
    (
        Scenario("support_inbox_first_page", "support inbox, first page, open + in progress, latest first",
                 _inbox_first_page),
        Scenario("support_inbox_counts", "support inbox counts: per status, mine, unassigned", _inbox_counts,
                 setup=_agent),
        Scenario("support_inbox_search", "support inbox searched by a customer's email", _inbox_search,
                 setup=_search_term),
        Scenario("support_thread_open", "opening a thread: ticket + customer + assignee", _thread_open,
                 setup=_busiest_open_ticket),
        Scenario("support_thread_messages", "a thread's messages with their senders", _thread_messages,
                 setup=_busiest_open_ticket),
    ),
)
