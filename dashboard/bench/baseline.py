"""The first benchmark: the transaction list's pages in plain SQLAlchemy (group ``baseline``).

- ``transactions_pending_first_page``: the pending queue's first page, oldest first.
- ``transactions_pending_next_page``: the following page by keyset ``(created_at, id)``.
- ``transactions_all_newest_page``: the newest 50 of all transactions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal, select, tuple_
from sqlalchemy.sql import Select
from sqlmodel import Session

from dashboard import models as m
from dashboard.bench.harness import PAGE_SIZE, Scenario, scenario_group
from dashboard.models.enums import PENDING_TRANSACTION_STATUSES


def _pending_transactions_first_page(session: Session, ctx: dict[str, Any] | None = None) -> Select:
    t = m.Transaction
    return (
        select(t.id, t.reference, t.transaction_type, t.amount, t.currency, t.amount_usd, t.method, t.status,
               t.created_at, m.User.email)
        .join(m.User, m.User.id == t.user_id)
        .where(t.status.in_([s.value for s in PENDING_TRANSACTION_STATUSES]))
        .order_by(t.created_at, t.id)
        .limit(PAGE_SIZE)
    )


def _all_transactions_newest_page(session: Session, ctx: dict[str, Any] | None = None) -> Select:
    t = m.Transaction
    return (
        select(t.id, t.reference, t.transaction_type, t.amount, t.currency, t.status, t.created_at, m.User.email)
        .join(m.User, m.User.id == t.user_id)
        .order_by(t.created_at.desc(), t.id.desc())
        .limit(PAGE_SIZE)
    )


def _first_page_cursor(session: Session) -> dict[str, Any]:
    rows = session.execute(_pending_transactions_first_page(session)).all()
    return {"after": (rows[-1].created_at, rows[-1].id) if rows else None}


def _pending_transactions_second_page(session: Session, ctx: dict[str, Any]) -> Select:
    """Keyset: the page after the first page's last row (the cursor is read once, untimed)."""
    t = m.Transaction
    query = _pending_transactions_first_page(session)
    if ctx.get("after"):
        created_at, row_id = ctx["after"]
        query = query.where(tuple_(t.created_at, t.id) > tuple_(literal(created_at), literal(row_id)))
    return query


GROUP = scenario_group(
    "baseline",
    "the transaction list's pages in plain SQLAlchemy",
    (
        Scenario("transactions_pending_first_page", "first page of the pending transaction queue, oldest first",
                 _pending_transactions_first_page),
        Scenario("transactions_pending_next_page", "the following page by keyset (created_at, id)",
                 _pending_transactions_second_page, setup=_first_page_cursor),
        Scenario("transactions_all_newest_page", "newest 50 of all transactions", _all_transactions_newest_page),
    ),
)
