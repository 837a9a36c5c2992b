"""Pending-transaction queues for treasurers (issue 5): list, detail, decide, bulk decide, export.

Three queues (``Queue``): deposits & withdrawals (``transactions``, seed 001), crypto buy & sell
orders (``crypto_transactions``, seed 002) and gift-card orders (``gift_card_orders``, seed 002).

Reading
- Every list query is restricted to the pending statuses, so it runs on the partial indexes
  (``ix_*_pending_*``): its cost depends on the size of the queue, not of the table. Keyset pages on
  (sort value, id); never OFFSET.
- Search: exact reference, blockchain tx id, bank reference, or a customer's e-mail (contains "@").

Deciding (``decide``): one database transaction per item. The item row is locked (``FOR UPDATE``) and
then changed with a conditional UPDATE (``WHERE id = :id AND status = :seen``), so two officers, or
two overlapping bulk actions, change an item once; the loser gets ``Conflict``. In the same
transaction: balance changes (rows locked), ``status_history``, a notification to the customer, an
outbox event and the audit entry.

Rules (enforced here, not in the UI)
- Only PENDING items (or AWAITING_SECOND_APPROVAL, for the second approver) can be decided.
- Deposits and withdrawals only (other transaction types are booked by the platform).
- Account type (seed 001): CRYPTO accounts move crypto currencies by CRYPTO_TRANSFER only; STOCK
  accounts fiat currencies by WIRE_TRANSFER/ACH/CARD only. Customers without an account type still
  need the method and currency to agree (crypto <-> CRYPTO_TRANSFER).
- A withdrawal needs the customer's KYC APPROVED and a balance that covers it (checked at the first
  and at the final approval; only the final one moves money).
- Balance of a seed-001 transaction: fiat moves the portfolio's ``cash_value`` (USD) by the booked
  ``amount_usd``; crypto moves the quantity of the portfolio's holding of that symbol by ``amount``
  (and the holding's and the portfolio's crypto value at the holding's current price). Approving a
  deposit credits once, a withdrawal debits once (the status change and the balance change commit
  together, and the item can be decided only once).
- Maker-checker: a withdrawal whose ``amount_usd`` is above ``settings.second_approval_threshold_usd``
  goes PENDING -> AWAITING_SECOND_APPROVAL on the first approval; a different officer completes it.
  Any item already AWAITING_SECOND_APPROVAL (the seed has deposits and crypto orders in it) is
  completed only by an officer other than its first approver.
- Crypto orders and gift-card orders: see ``crypto_orders`` and ``gift_card_orders``.
"""

from __future__ import annotations

import io
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard.models import (
    ComplianceRecord,
    CryptoTransaction,
    GiftCard,
    GiftCardOrder,
    Holding,
    Portfolio,
    Settings,
    StatusHistory,
    Transaction,
    User,
    Wallet,
)
from dashboard.models.enums import (
    FIAT_METHODS,
    AssetType,
    CryptoTxStatus,
    CryptoTxType,
    GiftCardOrderStatus,
    KycStatus,
    PaymentMethod,
    ReviewableEntity,
    TransactionMethod,
    TransactionStatus,
    TransactionType,
    label,
)
from dashboard.core.permissions import Perm
from dashboard.audit import chain as audit
from dashboard.services import crypto_orders, gift_card_orders
from dashboard.core.actor import Actor
from dashboard.audit.export import neutralise_formulas
from dashboard.services.crypto_orders import RuleBroken
from dashboard.core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotAuthenticated, NotFound
from dashboard.services.history import record_status_change
from dashboard.services.notifications import notify
from dashboard.services.outbox import emit

log = logging.getLogger(__name__)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_BULK = 200
MAX_EXPORT_ROWS = 200_000
EXPORT_CHUNK = 2_000
MAX_REASON = 500
MAX_NOTE = 1_000
MAX_SEARCH = 128
RECENT_LIMIT = 10
HISTORY_LIMIT = 50
CRYPTO_CURRENCIES = frozenset({"BTC", "ETH", "USDT", "USDC", "SOL", "SUI", "BNB", "XRP", "ADA", "DOGE", "LTC"})
FOUR_EYES_TYPES = frozenset({TransactionType.WITHDRAWAL.value})
DEFAULT_THRESHOLD = Decimal("10000")
CENT = Decimal("0.01")
QUEUE_TYPES = (TransactionType.DEPOSIT.value, TransactionType.WITHDRAWAL.value)
AGE_CHOICES = {"": None, "1": 1, "24": 24, "72": 72, "168": 168}
SORTS = ("age_asc", "age_desc", "amount_desc", "amount_asc")
NOT_PERMITTED = "You do not have permission to decide transactions."
_AMOUNT_RE = re.compile(r"^\d{1,13}(\.\d{1,8})?$")
_EMAIL_RE = re.compile(r"^[^@\s]{1,200}@[^@\s]{1,200}$")
_CURRENCY_RE = re.compile(r"^[A-Z0-9]{2,10}$")


class Queue(StrEnum):
    DEPOSITS = "deposits"
    CRYPTO = "crypto"
    GIFT_CARDS = "gift_cards"


class Action(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"


QUEUE_LABELS = {Queue.DEPOSITS: "Deposits & withdrawals", Queue.CRYPTO: "Crypto buy & sell",
                Queue.GIFT_CARDS: "Gift-card orders"}
TYPES = {Queue.DEPOSITS: QUEUE_TYPES, Queue.CRYPTO: tuple(t.value for t in CryptoTxType), Queue.GIFT_CARDS: ()}
METHODS = {
    Queue.DEPOSITS: tuple(m.value for m in TransactionMethod if m != TransactionMethod.INTERNAL),
    Queue.CRYPTO: tuple(m.value for m in PaymentMethod),
    Queue.GIFT_CARDS: (),
}
PENDING = {
    Queue.DEPOSITS: (TransactionStatus.PENDING.value, TransactionStatus.AWAITING_SECOND_APPROVAL.value),
    Queue.CRYPTO: (CryptoTxStatus.PENDING.value, CryptoTxStatus.AWAITING_SECOND_APPROVAL.value),
    Queue.GIFT_CARDS: (GiftCardOrderStatus.PENDING.value,),
}
ENTITY = {Queue.DEPOSITS: ReviewableEntity.TRANSACTION, Queue.CRYPTO: ReviewableEntity.CRYPTO_TRANSACTION,
          Queue.GIFT_CARDS: ReviewableEntity.GIFT_CARD_ORDER}
MODEL = {Queue.DEPOSITS: Transaction, Queue.CRYPTO: CryptoTransaction, Queue.GIFT_CARDS: GiftCardOrder}
AUDIT_TARGET = {Queue.DEPOSITS: "transactions", Queue.CRYPTO: "crypto_transactions",
                Queue.GIFT_CARDS: "gift_card_orders"}
AMOUNT_LABEL = {Queue.DEPOSITS: "USD value", Queue.CRYPTO: "Cedis", Queue.GIFT_CARDS: "Payout (cedis)"}
FILTER_LABELS = {"type": "Type", "method": "Method", "currency": "Currency", "min_amount": "Minimum amount",
                 "max_amount": "Maximum amount", "user": "Customer", "age": "Age", "search": "Search",
                 "sort": "Sort"}
FILTER_FIELDS = tuple(FILTER_LABELS)


# --- small helpers ------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


_WORDS = {"ACH": "ACH", "VIP": "VIP", "MOMO": "MoMo", "USD": "USD", "KYC": "KYC", "AML": "AML", "PEP": "PEP"}


def nice(value: str | None) -> str:
    """An enum code as officers read it: ``label()`` with acronyms kept (ACH, VIP, MoMo)."""
    return _WORDS.get(value or "", label(value))


def usd(value: Decimal | None) -> str:
    return "" if value is None else f"${Decimal(value):,.2f}"


def cedis(value: Decimal | None) -> str:
    return "" if value is None else f"GH₵{Decimal(value):,.2f}"


def units(value: Decimal | None, currency: str) -> str:
    """An amount in its own currency: fiat with 2 decimals, crypto with up to 8 (no trailing zeros
    beyond 2)."""
    if value is None:
        return ""
    value = Decimal(value)
    if currency in CRYPTO_CURRENCIES:
        text = f"{value:,.8f}".rstrip("0")
        if len(text.split(".")[1]) < 2:
            text = f"{value:,.2f}"
        return f"{text} {currency}"
    return f"{value:,.2f} {currency}"


def age_text(created: datetime | None, now: datetime | None = None) -> str:
    if created is None:
        return ""
    seconds = max(0, int(((now or _now()) - created).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def when_text(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _queue(value: Any) -> Queue:
    try:
        return Queue(value)
    except ValueError:
        raise InvalidInput("Unknown queue: choose deposits & withdrawals, crypto orders or gift-card orders.") from None


def _uuid(value: Any, what: str = "item") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or len(value) > 64:
        raise InvalidInput(f"Unknown {what}: it must be an id from the list.")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidInput(f"Unknown {what}: it must be an id from the list.") from None


def _require(actor: Any, perm: Perm) -> Actor:
    if not isinstance(actor, Actor):
        raise NotAuthenticated("Please sign in.")
    if not actor.can(perm):
        raise NotAllowed("You do not have permission to do this." if perm != Perm.TRANSACTIONS_APPROVE
                         else NOT_PERMITTED)
    return actor


def _require_officer(session: Session, actor: Any, perm: Perm) -> Actor:
    """The permission of the actor's role, then its own row (still active, still that role)."""
    actor = _require(actor, perm)
    if actor.user_id is None:
        raise NotAllowed(NOT_PERMITTED)
    row = session.execute(sa.select(User.role, User.is_active).where(User.id == actor.user_id)).first()
    if row is None or not row.is_active or row.role != actor.role:
        raise NotAllowed(NOT_PERMITTED)
    return actor


def _text(name: str, value: Any, max_len: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{FILTER_LABELS.get(name, name)}: expected text.")
    value = value.strip()
    if len(value) > max_len:
        raise InvalidInput(f"{FILTER_LABELS.get(name, name)}: at most {max_len} characters.")
    if any(ord(c) < 32 for c in value):
        raise InvalidInput(f"{FILTER_LABELS.get(name, name)}: control characters are not allowed.")
    return value


def parse_amount(name: str, value: Any) -> Decimal | None:
    """A non-negative decimal from the filter form ("1,500.50" allowed); None when empty."""
    text = _text(name, value, 40).replace(",", "").replace(" ", "")
    if not text:
        return None
    label_ = FILTER_LABELS.get(name, name)
    if text.startswith("-"):
        raise InvalidInput(f"{label_}: must not be negative.")
    if not _AMOUNT_RE.match(text):
        raise InvalidInput(f"{label_}: “{text[:20]}” is not an amount (digits and an optional dot, e.g. 1500.50).")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex already refuses these
        raise InvalidInput(f"{label_}: not an amount.") from None


# --- filters ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    type: str = ""
    method: str = ""
    currency: str = ""
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    user_email: str = ""
    user_id: uuid.UUID | None = None
    age_hours: int | None = None
    search: str = ""
    sort: str = "age_asc"

    def describe(self) -> dict[str, str]:
        out = {
            "type": self.type, "method": self.method, "currency": self.currency,
            "min_amount": format(self.min_amount, "f") if self.min_amount is not None else "",
            "max_amount": format(self.max_amount, "f") if self.max_amount is not None else "",
            "user": self.user_email or (str(self.user_id) if self.user_id else ""),
            "age": str(self.age_hours or ""), "search": self.search, "sort": self.sort,
        }
        return {k: v for k, v in out.items() if v}


def parse_filters(queue: Any, raw: Mapping[str, Any] | None) -> Filters:
    """Validate the filter form for ``queue``; ``InvalidInput`` names the first bad field."""
    q = _queue(queue)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InvalidInput("The filters could not be read. Reload the page and try again.")
    kind = _text("type", raw.get("type"), 32).upper()
    if kind and kind not in TYPES[q]:
        raise InvalidInput(f"Type: choose one of {', '.join(label(t) for t in TYPES[q]) or 'none'}.")
    method = _text("method", raw.get("method"), 32).upper()
    if method and method not in METHODS[q]:
        raise InvalidInput(f"Method: choose one of {', '.join(nice(m) for m in METHODS[q]) or 'none'}.")
    currency = _text("currency", raw.get("currency"), 10).upper()
    if currency and not _CURRENCY_RE.match(currency):
        raise InvalidInput("Currency: a code such as USD, EUR or BTC.")
    low = parse_amount("min_amount", raw.get("min_amount"))
    high = parse_amount("max_amount", raw.get("max_amount"))
    if low is not None and high is not None and low > high:
        raise InvalidInput("Minimum amount: must not be above the maximum amount.")
    who = _text("user", raw.get("user"), 255)
    email, user_id = "", None
    if who:
        if "@" in who:
            if not _EMAIL_RE.match(who):
                raise InvalidInput("Customer: an e-mail address or a customer id.")
            email = who.lower()
        else:
            try:
                user_id = uuid.UUID(who)
            except ValueError:
                raise InvalidInput("Customer: an e-mail address or a customer id.") from None
    age = _text("age", raw.get("age"), 4)
    if age not in AGE_CHOICES:
        raise InvalidInput("Age: choose one of the listed ages.")
    search = _text("search", raw.get("search"), MAX_SEARCH)
    sort = _text("sort", raw.get("sort"), 16) or "age_asc"
    if sort not in SORTS:
        raise InvalidInput("Sort: by age or by amount.")
    return Filters(kind, method, currency, low, high, email, user_id, AGE_CHOICES[age], search, sort)


# --- queries ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    table: sa.Table
    type_col: sa.Column | None
    method_col: sa.Column | None
    currency_col: sa.Column
    amount_col: sa.Column
    search_cols: tuple[sa.Column, ...]


def _spec(q: Queue) -> _Spec:
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
    s = _spec(q)
    t = s.table
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
    t = _spec(q).table
    joined = t.join(_U, _U.c.id == t.c.user_id)
    if q is Queue.GIFT_CARDS:
        g = GiftCard.__table__
        joined = joined.join(g, g.c.id == t.c.card_id)
    return joined


def _conditions(q: Queue, f: Filters, now: datetime) -> list[Any]:
    s = _spec(q)
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
    s = _spec(q)
    col = s.table.c.created_at if f.sort.startswith("age") else s.amount_col
    return col, f.sort in ("age_desc", "amount_desc")


def page_query(q: Queue, f: Filters, *, after: tuple[Any, uuid.UUID] | None = None, limit: int = PAGE_SIZE,
               now: datetime | None = None) -> sa.Select:
    t = _spec(q).table
    col, desc = _sort(q, f)
    query = sa.select(*_columns(q)).select_from(_from(q)).where(*_conditions(q, f, now or _now()))
    if after is not None:
        key = sa.tuple_(col, t.c.id)
        bound = sa.tuple_(sa.literal(after[0], type_=col.type), sa.literal(after[1], type_=t.c.id.type))
        query = query.where(key < bound if desc else key > bound)
    order = (col.desc(), t.c.id.desc()) if desc else (col.asc(), t.c.id.asc())
    return query.order_by(*order).limit(limit)


@dataclass(frozen=True)
class QueuePage:
    rows: list[dict[str, str]]
    next_after: tuple[Any, uuid.UUID] | None  # pass back as ``after`` for the next page
    first_key: tuple[Any, uuid.UUID] | None
    has_more: bool


def _display(q: Queue, row: Any, now: datetime) -> dict[str, str]:
    value = cedis(row.value) if q is not Queue.DEPOSITS else usd(row.value)
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
        "value": value,
        "rate": extra,
        "status": label(row.status),
        "status_code": row.status,
        "age": age_text(row.created_at, now),
        "created": when_text(row.created_at),
    }


def list_queue(session: Session, *, actor: Actor, queue: Any, filters: Any = None,
               after: tuple[Any, Any] | None = None, limit: int = PAGE_SIZE) -> QueuePage:
    """One keyset page of a pending queue, as display strings (money as text)."""
    _require(actor, Perm.TRANSACTIONS_VIEW)
    q = _queue(queue)
    f = filters if isinstance(filters, Filters) else parse_filters(q, filters)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"Page size: 1 to {MAX_PAGE_SIZE}.")
    cursor = None
    if after is not None:
        if not isinstance(after, tuple) or len(after) != 2:
            raise InvalidInput("Page cursor is not valid: go back to the first page.")
        cursor = (after[0], _uuid(after[1], "page cursor"))
    now = _now()
    rows = session.execute(page_query(q, f, after=cursor, limit=limit + 1, now=now)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    col, _ = _sort(q, f)
    sort_name = "created_at" if col.name == "created_at" else "value"
    keys = [(getattr(r, sort_name), r.id) for r in rows]
    return QueuePage(
        rows=[_display(q, r, now) for r in rows],
        next_after=keys[-1] if rows and has_more else None,
        first_key=keys[0] if keys else None,
        has_more=has_more,
    )


def queue_counts(session: Session, *, actor: Actor) -> dict[str, int]:
    """Exact pending counts per queue (index-only scans of the partial indexes)."""
    _require(actor, Perm.TRANSACTIONS_VIEW)
    out: dict[str, int] = {}
    for q in Queue:
        s = _spec(q)
        query = sa.select(sa.func.count()).select_from(s.table).where(s.table.c.status.in_(PENDING[q]))
        if q is Queue.DEPOSITS:
            query = query.where(s.type_col.in_(QUEUE_TYPES))
        out[q.value] = int(session.execute(query).scalar_one())
    return out


# --- detail -------------------------------------------------------------------------------------
def _proof_url(q: Queue, item: Any) -> str:
    if q is Queue.GIFT_CARDS and item.proof_image_key:
        return f"/_private/proofs/gift-card/{item.id}"
    if q is Queue.DEPOSITS and item.receipt_key:
        return f"/_private/proofs/transaction/{item.id}"
    return ""


def item_detail(session: Session, *, actor: Actor, queue: Any, item_id: Any) -> dict[str, Any]:
    """Everything the detail panel shows, as display strings. The view is audited."""
    _require(actor, Perm.TRANSACTIONS_VIEW)
    q = _queue(queue)
    ident = _uuid(item_id)
    item = session.get(MODEL[q], ident)
    if item is None:
        raise NotFound("This item does not exist (any more).")
    user = session.get(User, item.user_id)
    now = _now()
    facts: dict[str, str] = {
        "id": str(item.id), "queue": q.value, "reference": item.reference, "status": label(item.status),
        "status_code": item.status, "created": when_text(item.created_at), "age": age_text(item.created_at, now),
        "admin_note": item.admin_note or "", "decline_reason": item.decline_reason or "",
        "customer": f"{user.first_name} {user.last_name}" if user else "", "email": user.email if user else "",
        "user_id": str(item.user_id), "kyc_status": label(user.kyc_status) if user else "",
        "kyc_code": user.kyc_status if user else "", "account_type": label(user.account_type) if user else "",
        "platform": nice(user.platform) if user else "", "proof_url": _proof_url(q, item),
        "first_approved_by": "", "processed_by": "", "decidable": "yes" if item.status in PENDING[q] else "",
    }
    if q is Queue.DEPOSITS:
        facts |= {"kind": label(item.transaction_type), "method": nice(item.method),
                  "amount": units(item.amount, item.currency), "value": usd(item.amount_usd),
                  "extra": " · ".join(x for x in (item.bank_reference and f"Bank ref {item.bank_reference}",
                                                  item.blockchain_tx_id and f"Tx {item.blockchain_tx_id}") if x)}
    elif q is Queue.CRYPTO:
        facts |= {"kind": label(item.type), "method": nice(item.payment_method),
                  "amount": units(item.crypto_amount, item.crypto_symbol), "value": cedis(item.cedis_amount),
                  "extra": f"Rate {cedis(item.rate)} per {item.crypto_symbol} · escrow {cedis(item.escrow_amount)}"
                           + (f" · tx {item.tx_hash}" if item.tx_hash else "")}
    else:
        card = session.get(GiftCard, item.card_id)
        facts |= {"kind": card.name if card else "Gift card", "method": "",
                  "amount": units(item.amount, item.card_currency), "value": cedis(item.payout_cedis),
                  "extra": f"Rate {cedis(item.rate)} per {item.card_currency}"}
    for key in ("first_approved_by", "processed_by"):
        who = getattr(item, key, None)
        if who:
            facts[key] = session.execute(sa.select(User.email).where(User.id == who)).scalar_one_or_none() or ""
    balances = _balances_view(session, item.user_id)
    recent = _recent(session, item.user_id, now)
    flags = _risk_flags(session, item.user_id)
    history = [
        {"when": when_text(h.created_at), "from": label(h.from_status) or "—", "to": label(h.to_status),
         "reason": h.reason or "", "by": h.email or ""}
        for h in session.execute(
            sa.select(StatusHistory.created_at, StatusHistory.from_status, StatusHistory.to_status,
                      StatusHistory.reason, User.email)
            .outerjoin(User, User.id == StatusHistory.actor_id)
            .where(StatusHistory.entity_type == ENTITY[q].value, StatusHistory.entity_id == item.id)
            .order_by(StatusHistory.created_at.desc()).limit(HISTORY_LIMIT)
        ).all()
    ]
    audit.record(session, actor=actor, action="transactions.item_viewed", target_type=AUDIT_TARGET[q],
                 target_id=item.id, description=f"Opened {item.reference}")
    return {"facts": facts, "balances": balances, "recent": recent, "flags": flags, "history": history}


def _balances_view(session: Session, user_id: uuid.UUID) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    pf = session.execute(sa.select(Portfolio).where(Portfolio.user_id == user_id)).scalar_one_or_none()
    if pf is not None:
        out.append({"label": "Portfolio cash", "value": usd(pf.cash_value)})
        for h in session.execute(
            sa.select(Holding).where(Holding.portfolio_id == pf.id, Holding.asset_type == AssetType.CRYPTO.value)
            .order_by(Holding.symbol).limit(20)
        ).scalars():
            out.append({"label": f"Holding {h.symbol}", "value": units(h.quantity, h.symbol)})
    wallet = session.execute(sa.select(Wallet).where(Wallet.user_id == user_id)).scalar_one_or_none()
    if wallet is not None:
        out += [{"label": "Wallet cedis", "value": cedis(wallet.balance_cedis)},
                {"label": f"Wallet {wallet.crypto_symbol}", "value": units(wallet.balance_crypto, wallet.crypto_symbol)},
                {"label": "Escrow held", "value": cedis(wallet.escrow_balance)}]
    return out


def _recent(session: Session, user_id: uuid.UUID, now: datetime) -> list[dict[str, str]]:
    t = Transaction
    rows = session.execute(
        sa.select(t.reference, t.transaction_type, t.amount, t.currency, t.status, t.created_at)
        .where(t.user_id == user_id).order_by(t.created_at.desc()).limit(RECENT_LIMIT)
    ).all()
    out = [{"reference": r.reference, "kind": label(r.transaction_type), "amount": units(r.amount, r.currency),
            "status": label(r.status), "when": when_text(r.created_at)} for r in rows]
    c = CryptoTransaction
    rows = session.execute(
        sa.select(c.reference, c.type, c.crypto_amount, c.crypto_symbol, c.status, c.created_at)
        .where(c.user_id == user_id).order_by(c.created_at.desc()).limit(RECENT_LIMIT)
    ).all()
    out += [{"reference": r.reference, "kind": f"Crypto {label(r.type)}", "amount": units(r.crypto_amount, r.crypto_symbol),
             "status": label(r.status), "when": when_text(r.created_at)} for r in rows]
    out.sort(key=lambda r: r["when"], reverse=True)
    return out[:RECENT_LIMIT]


def _risk_flags(session: Session, user_id: uuid.UUID) -> list[dict[str, str]]:
    rows = session.execute(
        sa.select(ComplianceRecord.check_type, ComplianceRecord.result, ComplianceRecord.risk_level,
                  ComplianceRecord.risk_score, ComplianceRecord.flags, ComplianceRecord.checked_at)
        .where(ComplianceRecord.user_id == user_id).order_by(ComplianceRecord.checked_at.desc()).limit(10)
    ).all()
    return [{"check": nice(r.check_type), "result": label(r.result), "level": label(r.risk_level),
             "score": str(r.risk_score), "flags": ", ".join(str(x) for x in (r.flags or []))[:300],
             "when": when_text(r.checked_at)} for r in rows]


# --- deciding -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    item_id: str
    reference: str
    status: str  # the new status code
    message: str


def _clean_reason(value: Any, *, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidInput("A reason is required to decline.")
        return None
    if not isinstance(value, str):
        raise InvalidInput("The reason must be text.")
    value = value.strip()
    if required and len(value) < 3:
        raise InvalidInput("A reason is required to decline (at least 3 characters).")
    if len(value) > MAX_REASON:
        raise InvalidInput(f"The reason is too long (at most {MAX_REASON} characters).")
    return value or None


def _clean_note(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput("The note must be text.")
    value = value.strip()
    if len(value) > MAX_NOTE:
        raise InvalidInput(f"The note is too long (at most {MAX_NOTE} characters).")
    return value or None


def _settings(session: Session) -> Settings | None:
    return session.get(Settings, 1)


def _lock(session: Session, model: Any, ident: uuid.UUID) -> Any:
    return session.execute(
        sa.select(model).where(model.id == ident).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _set_status(session: Session, model: Any, item: Any, seen: str, values: dict[str, Any]) -> None:
    """The conditional UPDATE: changes the row only if it still has the status we decided on."""
    values = {**values, "updated_at": sa.func.now()}
    done = session.execute(
        sa.update(model).where(model.id == item.id, model.status == seen).values(**values)
        .returning(model.id)
    ).first()
    if done is None:  # pragma: no cover - the row lock makes this unreachable; kept as a guard
        raise Conflict(f"{item.reference} was changed by someone else meanwhile. Refresh the list.")
    session.refresh(item)


def _check_account_type(tx: Transaction, user: User) -> None:
    crypto_currency = tx.currency in CRYPTO_CURRENCIES
    crypto_method = tx.method == TransactionMethod.CRYPTO_TRANSFER
    if user.account_type == "CRYPTO" and not (crypto_currency and crypto_method):
        raise RuleBroken(f"{tx.reference}: CRYPTO accounts move crypto currencies by crypto transfer only "
                         f"(this is {tx.currency} by {label(tx.method)}).")
    if user.account_type == "STOCK" and (crypto_currency or tx.method not in FIAT_METHODS):
        raise RuleBroken(f"{tx.reference}: STOCK accounts move fiat currencies by wire, ACH or card only "
                         f"(this is {tx.currency} by {label(tx.method)}).")
    if crypto_currency != crypto_method:
        raise RuleBroken(f"{tx.reference}: {tx.currency} cannot move by {label(tx.method)}.")


def _portfolio(session: Session, user_id: uuid.UUID, *, create: bool) -> Portfolio | None:
    pf = session.execute(
        sa.select(Portfolio).where(Portfolio.user_id == user_id).with_for_update()
    ).scalar_one_or_none()
    if pf is None and create:
        pf = Portfolio(user_id=user_id)
        session.add(pf)
        session.flush()
    return pf


def _holding(session: Session, pf: Portfolio, symbol: str) -> Holding | None:
    return session.execute(
        sa.select(Holding).where(Holding.portfolio_id == pf.id, Holding.symbol == symbol).with_for_update()
    ).scalar_one_or_none()


def tx_balance(session: Session, tx: Transaction) -> Decimal:
    """The balance a seed-001 transaction moves: USD cash for fiat, the holding's quantity for crypto."""
    pf = session.execute(sa.select(Portfolio).where(Portfolio.user_id == tx.user_id)).scalar_one_or_none()
    if pf is None:
        return Decimal("0")
    if tx.currency in CRYPTO_CURRENCIES:
        qty = session.execute(
            sa.select(Holding.quantity).where(Holding.portfolio_id == pf.id, Holding.symbol == tx.currency)
        ).scalar_one_or_none()
        return Decimal(qty or 0)
    return Decimal(pf.cash_value)


def _check_covers(session: Session, tx: Transaction) -> None:
    have = tx_balance(session, tx)
    need = Decimal(tx.amount) if tx.currency in CRYPTO_CURRENCIES else Decimal(tx.amount_usd)
    if need > have:
        shown = (units(have, tx.currency), units(need, tx.currency)) if tx.currency in CRYPTO_CURRENCIES \
            else (usd(have), usd(need))
        raise RuleBroken(f"{tx.reference}: the balance ({shown[0]}) does not cover the withdrawal ({shown[1]}).")


def _move_balance(session: Session, tx: Transaction, sign: int) -> dict[str, Any]:
    """Credit (+1) or debit (-1) the customer's balance for ``tx``; rows locked. Returns before/after."""
    pf = _portfolio(session, tx.user_id, create=sign > 0)
    if pf is None:
        raise RuleBroken(f"{tx.reference}: the customer has no portfolio to debit.")
    if tx.currency not in CRYPTO_CURRENCIES:
        before = Decimal(pf.cash_value)
        after = before + sign * Decimal(tx.amount_usd)
        if after < 0:
            raise RuleBroken(f"{tx.reference}: the balance ({usd(before)}) does not cover the withdrawal "
                             f"({usd(tx.amount_usd)}).")
        pf.cash_value = after
        _retotal(pf)
        session.flush()
        return {"balance": "cash_value", "before": format(before, "f"), "after": format(after, "f")}
    holding = _holding(session, pf, tx.currency)
    qty_before = Decimal(holding.quantity) if holding else Decimal("0")
    qty_after = qty_before + sign * Decimal(tx.amount)
    if qty_after < 0:
        raise RuleBroken(f"{tx.reference}: the holding ({units(qty_before, tx.currency)}) does not cover the "
                         f"withdrawal ({units(tx.amount, tx.currency)}).")
    price = Decimal(holding.current_price) if holding else (Decimal(tx.amount_usd) / Decimal(tx.amount)).quantize(CENT)
    value_before = Decimal(holding.total_value) if holding else Decimal("0")
    value_after = (qty_after * price).quantize(CENT, ROUND_HALF_UP)
    if holding is None:
        holding = Holding(portfolio_id=pf.id, asset_type=AssetType.CRYPTO.value, symbol=tx.currency,
                          name=tx.currency, quantity=qty_after, average_buy_price=price, current_price=price,
                          total_value=value_after, profit_loss=Decimal("0"), profit_loss_percent=Decimal("0"))
        session.add(holding)
    elif qty_after == 0:
        session.delete(holding)
    else:
        holding.quantity = qty_after
        holding.total_value = value_after
    pf.crypto_value = max(Decimal("0"), Decimal(pf.crypto_value) + value_after - value_before)
    _retotal(pf)
    session.flush()
    return {"balance": f"holding {tx.currency}", "before": format(qty_before, "f"), "after": format(qty_after, "f")}


def _retotal(pf: Portfolio) -> None:
    pf.total_value = Decimal(pf.crypto_value) + Decimal(pf.stock_value) + Decimal(pf.cash_value)
    pf.updated_at = _now()


def _wallet(session: Session, user_id: uuid.UUID) -> Wallet | None:
    return session.execute(
        sa.select(Wallet).where(Wallet.user_id == user_id).with_for_update()
    ).scalar_one_or_none()


def _second_approver_ok(item: Any, actor: Actor) -> None:
    if item.first_approved_by is not None and item.first_approved_by == actor.user_id:
        raise NotAllowed(f"{item.reference}: you gave the first approval; a different treasurer must give the second.")


def _threshold(session: Session) -> Decimal:
    s = _settings(session)
    return Decimal(s.second_approval_threshold_usd) if s is not None else DEFAULT_THRESHOLD


def decide(session: Session, *, actor: Actor, queue: Any, item_id: Any, action: Any, reason: Any = None,
           note: Any = None) -> Outcome:
    """Approve or decline one item in the caller's transaction (see the module notes for the rules)."""
    actor = _require_officer(session, actor, Perm.TRANSACTIONS_APPROVE)
    q = _queue(queue)
    ident = _uuid(item_id)
    try:
        act = Action(action)
    except ValueError:
        raise InvalidInput("Unknown action: approve or decline.") from None
    why = _clean_reason(reason, required=act is Action.DECLINE)
    memo = _clean_note(note)
    model = MODEL[q]
    item = _lock(session, model, ident)
    if item is None:
        raise NotFound("This item does not exist (any more).")
    seen = item.status
    if seen not in PENDING[q]:
        raise Conflict(f"{item.reference} is already {label(seen).lower()}: only pending items can be decided.")
    if q is Queue.DEPOSITS and item.transaction_type not in QUEUE_TYPES:
        raise Conflict(f"{item.reference}: only deposits and withdrawals are decided here.")
    awaiting_second = seen == TransactionStatus.AWAITING_SECOND_APPROVAL
    now = _now()
    effects: dict[str, Any] | None = None
    values: dict[str, Any] = {}
    if memo is not None:
        values["admin_note"] = memo

    if act is Action.DECLINE:
        new = {Queue.DEPOSITS: TransactionStatus.DECLINED.value, Queue.CRYPTO: CryptoTxStatus.DECLINED.value,
               Queue.GIFT_CARDS: GiftCardOrderStatus.DECLINED.value}[q]
        if q is Queue.CRYPTO:
            effects = crypto_orders.decline_effects(item, _wallet(session, item.user_id))
        values |= {"status": new, "decline_reason": why, "processed_by": actor.user_id, "processed_at": now}
    else:
        if awaiting_second:
            _second_approver_ok(item, actor)
        if q is Queue.DEPOSITS:
            user = session.get(User, item.user_id)
            _check_account_type(item, user)
            withdrawal = item.transaction_type == TransactionType.WITHDRAWAL
            if withdrawal:
                if user.kyc_status != KycStatus.APPROVED:
                    raise RuleBroken(f"{item.reference}: the customer's KYC is {label(user.kyc_status).lower()}; "
                                     "withdrawals need it approved.")
                _check_covers(session, item)
            needs_second = (not awaiting_second and item.transaction_type in FOUR_EYES_TYPES
                            and Decimal(item.amount_usd) > _threshold(session))
            if needs_second:
                new = TransactionStatus.AWAITING_SECOND_APPROVAL.value
                values |= {"status": new, "first_approved_by": actor.user_id, "first_approved_at": now}
            else:
                new = TransactionStatus.COMPLETED.value
                effects = _move_balance(session, item, -1 if withdrawal else 1)
                values |= {"status": new, "processed_by": actor.user_id, "processed_at": now}
        elif q is Queue.CRYPTO:
            new = CryptoTxStatus.APPROVED.value
            effects = crypto_orders.approve_effects(item, _wallet(session, item.user_id))
            values |= {"status": new, "processed_by": actor.user_id, "processed_at": now}
        else:
            new = GiftCardOrderStatus.APPROVED.value
            effects = gift_card_orders.approve_effects(item, _wallet(session, item.user_id))
            values |= {"status": new, "processed_by": actor.user_id, "processed_at": now}
    session.flush()
    _set_status(session, model, item, seen, values)
    _record_decision(session, actor=actor, q=q, item=item, seen=seen, new=new, reason=why, note=memo,
                     effects=effects)
    first_step = new == TransactionStatus.AWAITING_SECOND_APPROVAL.value
    message = (f"{item.reference}: first approval recorded; a second treasurer must complete it." if first_step
               else f"{item.reference}: {label(new).lower()}.")
    return Outcome(str(item.id), item.reference, new, message)


_EVENT = {"AWAITING_SECOND_APPROVAL": "first_approved", "COMPLETED": "completed", "APPROVED": "approved",
          "DECLINED": "declined"}


def _amount_text(q: Queue, item: Any) -> str:
    if q is Queue.DEPOSITS:
        return units(item.amount, item.currency)
    if q is Queue.CRYPTO:
        return units(item.crypto_amount, item.crypto_symbol)
    return cedis(item.payout_cedis)


def _record_decision(session: Session, *, actor: Actor, q: Queue, item: Any, seen: str, new: str,
                     reason: str | None, note: str | None, effects: dict[str, Any] | None) -> None:
    entity = ENTITY[q]
    details = {"effects": effects} if effects else None
    record_status_change(session, entity_type=entity, entity_id=item.id, from_status=seen, to_status=new,
                         actor=actor, reason=reason, details=details)
    what = {Queue.DEPOSITS: label(getattr(item, "transaction_type", "")).lower() or "transaction",
            Queue.CRYPTO: f"crypto {label(getattr(item, 'type', '')).lower()} order",
            Queue.GIFT_CARDS: "gift-card order"}[q]
    if new != TransactionStatus.AWAITING_SECOND_APPROVAL.value:
        if new == "DECLINED":
            title, message = f"Your {what} was declined", f"{item.reference} ({_amount_text(q, item)}) was declined: {reason}"
        else:
            title, message = f"Your {what} was approved", f"{item.reference} ({_amount_text(q, item)}) was approved."
        notify(session, user_id=item.user_id, notification_type=f"{entity.value}_{new}"[:50], title=title,
               message=message)
    payload: dict[str, Any] = {"id": item.id, "reference": item.reference, "user_id": item.user_id,
                               "from_status": seen, "to_status": new}
    if q is Queue.DEPOSITS:
        payload |= {"type": item.transaction_type, "amount": item.amount, "currency": item.currency,
                    "amount_usd": item.amount_usd}
    elif q is Queue.CRYPTO:
        payload |= {"type": item.type, "crypto_amount": item.crypto_amount, "symbol": item.crypto_symbol,
                    "cedis_amount": item.cedis_amount, "rate": item.rate}
    else:
        payload |= {"payout_cedis": item.payout_cedis}
    if reason:
        payload["reason"] = reason
    emit(session, event_type=f"{AUDIT_TARGET[q]}.{_EVENT.get(new, new.lower())}", aggregate_type=AUDIT_TARGET[q],
         aggregate_id=item.id, payload=payload, actor=actor)
    after: dict[str, Any] = {"status": new}
    if reason:
        after["decline_reason"] = reason
    if note:
        after["admin_note"] = note
    audit.record(session, actor=actor, action=f"transactions.{_EVENT.get(new, new.lower())}",
                 target_type=AUDIT_TARGET[q], target_id=item.id,
                 description=f"{item.reference} {label(seen).lower()} -> {label(new).lower()}",
                 before={"status": seen}, after=after, details=details)


def save_note(session: Session, *, actor: Actor, queue: Any, item_id: Any, note: Any) -> str:
    """Set (or clear, with "") the admin note of an item; audited with before/after."""
    actor = _require_officer(session, actor, Perm.TRANSACTIONS_APPROVE)
    q = _queue(queue)
    ident = _uuid(item_id)
    if note is not None and not isinstance(note, str):
        raise InvalidInput("The note must be text.")
    memo = _clean_note(note)
    item = _lock(session, MODEL[q], ident)
    if item is None:
        raise NotFound("This item does not exist (any more).")
    before = item.admin_note
    if (before or None) == memo:
        return item.reference
    session.execute(sa.update(MODEL[q]).where(MODEL[q].id == ident).values(admin_note=memo, updated_at=sa.func.now()))
    audit.record(session, actor=actor, action="transactions.note_saved", target_type=AUDIT_TARGET[q],
                 target_id=ident, description=f"Admin note of {item.reference}",
                 before={"admin_note": before}, after={"admin_note": memo})
    return item.reference


# --- bulk ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BulkPreview:
    count: int
    total: str
    skipped: int  # selected items no longer pending


@dataclass
class BulkReport:
    results: list[dict[str, str]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for r in self.results if r["outcome"] == "done")

    @property
    def summary(self) -> str:
        n = len(self.results)
        return f"{self.done} of {n} item{'s' if n != 1 else ''} done, {n - self.done} not changed."


def clean_ids(item_ids: Any) -> list[uuid.UUID]:
    if not isinstance(item_ids, (list, tuple)):
        raise InvalidInput("Select the items first.")
    if not item_ids:
        raise InvalidInput("Select at least one item.")
    if len(item_ids) > MAX_BULK:
        raise InvalidInput(f"At most {MAX_BULK} items at once.")
    out: list[uuid.UUID] = []
    for value in item_ids:
        ident = _uuid(value)
        if ident not in out:
            out.append(ident)
    return out


def bulk_preview(session: Session, *, actor: Actor, queue: Any, item_ids: Any) -> BulkPreview:
    """How many of the selected items are still pending and their total (for the confirmation)."""
    _require(actor, Perm.TRANSACTIONS_APPROVE)
    q = _queue(queue)
    ids = clean_ids(item_ids)
    s = _spec(q)
    row = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(s.amount_col), 0))
        .where(s.table.c.id.in_(ids), s.table.c.status.in_(PENDING[q]))
    ).one()
    total = usd(row[1]) if q is Queue.DEPOSITS else cedis(row[1])
    return BulkPreview(count=int(row[0]), total=total, skipped=len(ids) - int(row[0]))


def decide_many(*, sessions: Callable[[], AbstractContextManager[Session]], actor: Actor, queue: Any,
                item_ids: Any, action: Any, reason: Any = None) -> BulkReport:
    """Decide each item in its own transaction (``sessions()`` gives one committed-on-exit session);
    report per item what happened. Bad input is refused before anything is written."""
    _require(actor, Perm.TRANSACTIONS_APPROVE)
    q = _queue(queue)
    ids = clean_ids(item_ids)
    try:
        act = Action(action)
    except ValueError:
        raise InvalidInput("Unknown action: approve or decline.") from None
    why = _clean_reason(reason, required=act is Action.DECLINE)
    report = BulkReport()
    for ident in ids:
        try:
            with sessions() as session:
                out = decide(session, actor=actor, queue=q, item_id=ident, action=act, reason=why)
            report.results.append({"id": str(ident), "reference": out.reference, "outcome": "done",
                                   "status": label(out.status), "message": out.message})
        except NotAuthenticated:
            raise
        except DomainError as exc:
            report.results.append({"id": str(ident), "reference": _reference(sessions, q, ident),
                                   "outcome": "skipped", "status": "", "message": str(exc)})
        except Exception:
            log.exception("bulk decision failed for %s %s", q.value, ident)
            report.results.append({"id": str(ident), "reference": _reference(sessions, q, ident),
                                   "outcome": "failed", "status": "",
                                   "message": "The server could not process this item; nothing was changed."})
    return report


def _reference(sessions: Callable[[], AbstractContextManager[Session]], q: Queue, ident: uuid.UUID) -> str:
    try:
        with sessions() as session:
            model = MODEL[q]
            return session.execute(sa.select(model.reference).where(model.id == ident)).scalar_one_or_none() or str(ident)[:8]
    except Exception:  # pragma: no cover - best effort only
        return str(ident)[:8]


# --- export -------------------------------------------------------------------------------------
EXPORT_COLUMNS = ("reference", "created", "status", "email", "kind", "method", "amount", "value", "rate", "id")


def export_chunk(session: Session, *, actor: Actor, queue: Any, filters: Any, after: Any = None,
                 limit: int = EXPORT_CHUNK) -> QueuePage:
    """One chunk of the filtered queue for the CSV export (keyset, like the pages)."""
    _require(actor, Perm.TRANSACTIONS_EXPORT)
    q = _queue(queue)
    f = filters if isinstance(filters, Filters) else parse_filters(q, filters)
    now = _now()
    rows = session.execute(page_query(q, f, after=after, limit=limit + 1, now=now)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    col, _ = _sort(q, f)
    key = "created_at" if col.name == "created_at" else "value"
    last = (getattr(rows[-1], key), rows[-1].id) if rows and has_more else None
    return QueuePage([_display(q, r, now) for r in rows], last, None, has_more)


def count_filtered(session: Session, *, actor: Actor, queue: Any, filters: Any) -> int:
    _require(actor, Perm.TRANSACTIONS_VIEW)
    q = _queue(queue)
    f = filters if isinstance(filters, Filters) else parse_filters(q, filters)
    query = sa.select(sa.func.count()).select_from(_from(q)).where(*_conditions(q, f, _now()))
    return int(session.execute(query).scalar_one())


def to_csv(rows: Iterable[Mapping[str, str]]) -> bytes:
    """CSV (UTF-8 with BOM, CRLF) of export rows; cells a spreadsheet would run as formulas are
    neutralised."""
    frame = pd.DataFrame(list(rows), columns=list(EXPORT_COLUMNS)).fillna("")
    frame = neutralise_formulas(frame.astype(str))
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\r\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def record_export(session: Session, *, actor: Actor, queue: Any, filters: Any, rows: int) -> None:
    _require(actor, Perm.TRANSACTIONS_EXPORT)
    q = _queue(queue)
    f = filters if isinstance(filters, Filters) else parse_filters(q, filters)
    audit.record(session, actor=actor, action="transactions.exported", target_type=AUDIT_TARGET[q],
                 description=f"Exported {rows:,} pending {QUEUE_LABELS[q].lower()} to CSV",
                 details={"queue": q.value, "filters": f.describe(), "rows": rows})


def export_csv(session: Session, *, actor: Actor, queue: Any, filters: Any) -> bytes:
    """The whole filtered queue as CSV in one call (small exports, tests); audited."""
    _require(actor, Perm.TRANSACTIONS_EXPORT)
    rows: list[dict[str, str]] = []
    after = None
    while True:
        chunk = export_chunk(session, actor=actor, queue=queue, filters=filters, after=after)
        rows += chunk.rows
        if chunk.next_after is None or len(rows) >= MAX_EXPORT_ROWS:
            break
        after = chunk.next_after
    record_export(session, actor=actor, queue=queue, filters=filters, rows=len(rows))
    return to_csv(rows)


# --- payment proofs -----------------------------------------------------------------------------
PROOF_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
               ".gif": "image/gif", ".pdf": "application/pdf"}


@dataclass(frozen=True)
class ProofFile:
    path: Any  # pathlib.Path inside private storage
    media_type: str
    file_name: str


def proof_file(session: Session, *, actor: Actor, kind: Any, item_id: Any) -> ProofFile:
    """The proof of a gift-card order (``kind="gift-card"``) or a transaction's receipt
    (``kind="transaction"``) for an officer with ``TRANSACTIONS_VIEW``; the view is audited.
    ``NotFound`` for an unknown id, an item without a proof, or a file missing from storage."""
    from pathlib import PurePosixPath

    from dashboard.core import storage

    _require(actor, Perm.TRANSACTIONS_VIEW)
    queue = {"gift-card": Queue.GIFT_CARDS, "transaction": Queue.DEPOSITS}.get(kind if isinstance(kind, str) else "")
    if queue is None:
        raise NotFound("Not found.")
    ident = _uuid(item_id)
    item = session.get(MODEL[queue], ident)
    key = (item.proof_image_key if queue is Queue.GIFT_CARDS else item.receipt_key) if item is not None else None
    if not key:
        raise NotFound("Not found.")
    media_type = PROOF_TYPES.get(PurePosixPath(key).suffix.lower())
    if media_type is None:
        raise NotFound("Not found.")
    try:
        path = storage.path_for(key)
    except storage.InvalidStorageKey:
        raise NotFound("Not found.") from None
    if not path.is_file():
        raise NotFound("Not found.")
    audit.record(session, actor=actor, action="transactions.proof_viewed", target_type=AUDIT_TARGET[queue],
                 target_id=item.id, description=f"Viewed the proof of {item.reference}", details={"key": key})
    return ProofFile(path=path, media_type=media_type, file_name=f"{item.reference}{PurePosixPath(key).suffix.lower()}")
