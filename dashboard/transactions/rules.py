"""The treasury queues' vocabulary: the three queues, their statuses and tables, limits, display
formats, and the parsing of everything an officer sends (filters, ids, reasons, notes).

Three queues (``Queue``): deposits & withdrawals (``transactions``, seed 001), crypto buy & sell
orders (``crypto_transactions``, seed 002) and gift-card orders (``gift_card_orders``, seed 002). Each
lists only its pending statuses (``PENDING``). Pure: no database, no Reflex. Every parser raises
``InvalidInput`` with the message the officer sees, naming the field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from dashboard.core.errors import Conflict, InvalidInput
from dashboard.core.validate import clean_text, parse_uuid
from dashboard.models import CryptoTransaction, GiftCardOrder, Transaction
from dashboard.models.enums import (
    CryptoTxStatus,
    CryptoTxType,
    GiftCardOrderStatus,
    PaymentMethod,
    ReviewableEntity,
    TransactionMethod,
    TransactionStatus,
    TransactionType,
    label,
)

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
DEFAULT_SORT = "age_asc"
NOT_PERMITTED = "You do not have permission to decide transactions."
REASON_REQUIRED = "A reason is required to decline."
NOT_FOUND = "This item does not exist (any more)."
_AMOUNT_RE = re.compile(r"^\d{1,13}(\.\d{1,8})?$")
_EMAIL_RE = re.compile(r"^[^@\s]{1,200}@[^@\s]{1,200}$")
_CURRENCY_RE = re.compile(r"^[A-Z0-9]{2,10}$")


class RuleBroken(Conflict):
    """A business rule refuses the decision (KYC, balance, account type, four eyes...)."""


class Queue(StrEnum):
    DEPOSITS = "deposits"
    CRYPTO = "crypto"
    GIFT_CARDS = "gift_cards"


class Action(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"


TABS = tuple(q.value for q in Queue)
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
DECLINED = {Queue.DEPOSITS: TransactionStatus.DECLINED.value, Queue.CRYPTO: CryptoTxStatus.DECLINED.value,
            Queue.GIFT_CARDS: GiftCardOrderStatus.DECLINED.value}
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


# --- display ------------------------------------------------------------------------------------
def now_utc() -> datetime:
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
    seconds = max(0, int(((now or now_utc()) - created).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def when_text(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def value_text(q: Queue, value: Decimal | None) -> str:
    """A queue's value column: USD for deposits & withdrawals, cedis for the others."""
    return usd(value) if q is Queue.DEPOSITS else cedis(value)


# --- parsing ------------------------------------------------------------------------------------
def parse_queue(value: Any) -> Queue:
    try:
        return Queue(value)
    except ValueError:
        raise InvalidInput("Unknown queue: choose deposits & withdrawals, crypto orders or gift-card orders.") from None


def parse_id(value: Any, what: str = "item") -> uuid.UUID:
    return parse_uuid(value, what, message=f"Unknown {what}: it must be an id from the list.")


def parse_action(value: Any) -> Action:
    try:
        return Action(value)
    except ValueError:
        raise InvalidInput("Unknown action: approve or decline.") from None


def _text(name: str, value: Any, max_len: int) -> str:
    return clean_text(value, FILTER_LABELS.get(name, name), max_len)


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
    sort: str = DEFAULT_SORT

    def describe(self) -> dict[str, str]:
        out = {
            "type": self.type, "method": self.method, "currency": self.currency,
            "min_amount": format(self.min_amount, "f") if self.min_amount is not None else "",
            "max_amount": format(self.max_amount, "f") if self.max_amount is not None else "",
            "user": self.user_email or (str(self.user_id) if self.user_id else ""),
            "age": str(self.age_hours or ""), "search": self.search, "sort": self.sort,
        }
        return {k: v for k, v in out.items() if v}

    @property
    def active(self) -> int:
        """How many filters narrow the queue (the sort order is not one)."""
        return sum(1 for key in self.describe() if key != "sort")


def parse_filters(queue: Any, raw: Mapping[str, Any] | None) -> Filters:
    """Validate the filter form for ``queue``; ``InvalidInput`` names the first bad field."""
    q = parse_queue(queue)
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
    email, user_id = _customer(_text("user", raw.get("user"), 255))
    age = _text("age", raw.get("age"), 4)
    if age not in AGE_CHOICES:
        raise InvalidInput("Age: choose one of the listed ages.")
    search = _text("search", raw.get("search"), MAX_SEARCH)
    sort = _text("sort", raw.get("sort"), 16) or DEFAULT_SORT
    if sort not in SORTS:
        raise InvalidInput("Sort: by age or by amount.")
    return Filters(kind, method, currency, low, high, email, user_id, AGE_CHOICES[age], search, sort)


def _customer(who: str) -> tuple[str, uuid.UUID | None]:
    """The customer filter: an e-mail address (lower-cased) or a customer id."""
    if not who:
        return "", None
    if "@" in who:
        if not _EMAIL_RE.match(who):
            raise InvalidInput("Customer: an e-mail address or a customer id.")
        return who.lower(), None
    try:
        return "", uuid.UUID(who)
    except ValueError:
        raise InvalidInput("Customer: an e-mail address or a customer id.") from None


def filters_of(queue: Queue, filters: Any) -> Filters:
    """``filters`` as given (already parsed) or parsed from the form's text."""
    return filters if isinstance(filters, Filters) else parse_filters(queue, filters)


def clean_reason(value: Any, *, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(REASON_REQUIRED)
        return None
    if not isinstance(value, str):
        raise InvalidInput("The reason must be text.")
    value = clean_text(value, "Reason", 100_000, multiline=True)  # control characters (NUL) refused plainly
    if required and len(value) < 3:
        raise InvalidInput("A reason is required to decline (at least 3 characters).")
    if len(value) > MAX_REASON:
        raise InvalidInput(f"The reason is too long (at most {MAX_REASON} characters).")
    return value or None


def clean_note(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput("The note must be text.")
    value = clean_text(value, "Note", 100_000, multiline=True)  # control characters (NUL) refused plainly
    if len(value) > MAX_NOTE:
        raise InvalidInput(f"The note is too long (at most {MAX_NOTE} characters).")
    return value or None


def clean_ids(item_ids: Any) -> list[uuid.UUID]:
    if not isinstance(item_ids, (list, tuple)):
        raise InvalidInput("Select the items first.")
    if not item_ids:
        raise InvalidInput("Select at least one item.")
    if len(item_ids) > MAX_BULK:
        raise InvalidInput(f"At most {MAX_BULK} items at once.")
    out: list[uuid.UUID] = []
    for value in item_ids:
        ident = parse_id(value)
        if ident not in out:
            out.append(ident)
    return out
