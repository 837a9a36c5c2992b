"""The SQL of a queue list, shared by the page, the counts, the CSV export and the benchmark: columns,
joins, filter conditions, the keyset order, and a row's display strings.

Every list query is restricted to the queue's pending statuses, so it runs on the partial indexes
(``ix_*_pending_*``): its cost depends on the size of the queue, not of the table. Keyset pages on
(sort value, id); never OFFSET. Search: exact reference, blockchain tx id, bank reference, or a
customer's e-mail (contains "@").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from dashboard.core.listing import Page, cut_page, optional_cursor
from dashboard.models import CryptoTransaction, GiftCard, GiftCardOrder, Transaction, User
from dashboard.models.enums import label
from dashboard.transactions.rules import (
    PAGE_SIZE, PENDING, QUEUE_TYPES, Filters, Queue, age_text, cedis, nice, now_utc, units, value_text, when_text,
)


@dataclass(frozen=True)
class _Spec:
    table: sa.Table
    type_col: sa.Column | None
    method_col: sa.Column | None
    currency_col: sa.Column
    amount_col: sa.Column
    search_cols: tuple[sa.Column, ...]


def spec(q: Queue) -> _Spec:
    """The table of a queue and the columns its filters read."""
    if q is Queue.DEPOSITS:
        t = Transaction.__table__
        return _Spec(t, t.c.transaction_type, t.c.method, t.c.currency, t.c.amount_usd,
                     (t.c.reference, t.c.blockchain_tx_id, t.c.bank_reference))
    if q is Queue.CRYPTO:
        t = CryptoTransaction.__table__
        return _Spec(t, t.c.type, t.c.payment_method, t.c.crypto_symbol, t.c.cedis_amount,
                     (t.c.reference, t.c.tx_hash))
    t = GiftCardOrder.__table__
    return _Spec(t, None, None, t.c.card_currency, t.c.payout_cedis, (t.c.reference,))


_U = User.__table__


def _columns(q: Queue) -> list[Any]:
    t = spec(q).table
    common = [t.c.id, t.c.reference, t.c.status, t.c.created_at, t.c.user_id, _U.c.email.label("email")]
    if q is Queue.DEPOSITS:
        return common + [t.c.transaction_type.label("kind"), t.c.method.label("method"), t.c.amount,
                         t.c.currency, t.c.amount_usd.label("value"), t.c.first_approved_by]
    if q is Queue.CRYPTO:
        return common + [t.c.type.label("kind"), t.c.payment_method.label("method"),
                         t.c.crypto_amount.label("amount"), t.c.crypto_symbol.label("currency"),
                         t.c.cedis_amount.label("value"), t.c.rate, t.c.first_approved_by]
    g = GiftCard.__table__
    return common + [g.c.brand.label("kind"), sa.literal("").label("method"), t.c.amount,
                     t.c.card_currency.label("currency"), t.c.payout_cedis.label("value"), t.c.rate]


def _from(q: Queue) -> Any:
    t = spec(q).table
    joined = t.join(_U, _U.c.id == t.c.user_id)
    if q is Queue.GIFT_CARDS:
        g = GiftCard.__table__
        joined = joined.join(g, g.c.id == t.c.card_id)
    return joined


def _conditions(q: Queue, f: Filters, now: datetime) -> list[Any]:
    s = spec(q)
    t = s.table
    where: list[Any] = [t.c.status.in_(PENDING[q])]
    if s.type_col is not None:
        if f.type:
            where.append(s.type_col == f.type)
        elif q is Queue.DEPOSITS:
            where.append(s.type_col.in_(QUEUE_TYPES))
    if f.method and s.method_col is not None:
        where.append(s.method_col == f.method)
    if f.currency:
        where.append(s.currency_col == f.currency)
    if f.min_amount is not None:
        where.append(s.amount_col >= f.min_amount)
    if f.max_amount is not None:
        where.append(s.amount_col <= f.max_amount)
    if f.user_email:
        where.append(_U.c.email == f.user_email)
    if f.user_id is not None:
        where.append(t.c.user_id == f.user_id)
    if f.age_hours:
        where.append(t.c.created_at <= now - timedelta(hours=f.age_hours))
    if f.search:
        if "@" in f.search:
            where.append(_U.c.email == f.search.lower())
        else:
            where.append(sa.or_(*[col == f.search for col in s.search_cols]))
    return where


def _sort(q: Queue, f: Filters) -> tuple[sa.Column, bool]:
    s = spec(q)
    col = s.table.c.created_at if f.sort.startswith("age") else s.amount_col
    return col, f.sort in ("age_desc", "amount_desc")


def page_query(q: Queue, f: Filters, *, after: tuple[Any, uuid.UUID] | None = None, limit: int = PAGE_SIZE,
               now: datetime | None = None) -> sa.Select:
    """One keyset page (``limit`` rows after the key ``after``) of the filtered queue."""
    t = spec(q).table
    col, desc = _sort(q, f)
    query = sa.select(*_columns(q)).select_from(_from(q)).where(*_conditions(q, f, now or now_utc()))
    if after is not None:
        key = sa.tuple_(col, t.c.id)
        bound = sa.tuple_(sa.literal(after[0], type_=col.type), sa.literal(after[1], type_=t.c.id.type))
        query = query.where(key < bound if desc else key > bound)
    order = (col.desc(), t.c.id.desc()) if desc else (col.asc(), t.c.id.asc())
    return query.order_by(*order).limit(limit)


def count_query(q: Queue, f: Filters) -> sa.Select:
    """How many items the filtered queue holds."""
    return sa.select(sa.func.count()).select_from(_from(q)).where(*_conditions(q, f, now_utc()))


def _display(q: Queue, row: Any, now: datetime) -> dict[str, str]:
    extra = ""
    if q is Queue.CRYPTO:
        extra = f"@ {cedis(row.rate)}"
    elif q is Queue.GIFT_CARDS:
        extra = f"@ {cedis(row.rate)} per {row.currency}"
    return {
        "id": str(row.id),
        "reference": row.reference,
        "email": row.email,
        "kind": label(row.kind) if q is not Queue.GIFT_CARDS else row.kind,
        "method": nice(row.method),
        "amount": units(row.amount, row.currency),
        "value": value_text(q, row.value),
        "rate": extra,
        "status": label(row.status),
        "status_code": row.status,
        "age": age_text(row.created_at, now),
        "created": when_text(row.created_at),
    }


def read_page(session: Any, q: Queue, f: Filters, after: Any, limit: int) -> Page[dict[str, str]]:
    """One page of display rows after the cursor ``after`` (text from a previous page; None: first)."""
    col, _ = _sort(q, f)
    sort_name = "created_at" if col.name == "created_at" else "value"
    cursor = optional_cursor(after, (datetime if sort_name == "created_at" else Decimal, uuid.UUID))
    now = now_utc()
    fetched = session.execute(page_query(q, f, after=cursor, limit=limit + 1, now=now)).all()
    shown, next_cursor = cut_page(fetched, limit, lambda r: (getattr(r, sort_name), r.id))
    return Page([_display(q, r, now) for r in shown], next_cursor)
