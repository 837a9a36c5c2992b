"""Treasury queues: the reads: a page of a queue, the pending counts, an item's detail panel, and the
file of a payment proof.

Reading a queue or an item needs ``transactions.view`` (treasurers; administrators look only). The
detail view and every proof view are audited. Everything comes back as display strings (money as
formatted text); the SQL of the lists is in ``queue_sql``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.core import storage
from dashboard.core.actor import Actor
from dashboard.core.errors import NotFound
from dashboard.core.listing import Page, check_limit
from dashboard.core.permissions import Perm, requires
from dashboard.models import (
    ComplianceRecord, CryptoTransaction, GiftCard, Holding, Portfolio, StatusHistory, Transaction, User, Wallet,
)
from dashboard.models.enums import AssetType, label
from dashboard.audit import chain as audit
from dashboard.transactions.queue_sql import read_page, spec
from dashboard.transactions.rules import (
    AUDIT_TARGET, ENTITY, HISTORY_LIMIT, MAX_PAGE_SIZE, MODEL, NOT_FOUND, PAGE_SIZE, PENDING, QUEUE_TYPES, RECENT_LIMIT,
    Queue, age_text, cedis, filters_of, nice, now_utc, parse_id, parse_queue, units, usd, when_text,
)


@requires(Perm.TRANSACTIONS_VIEW)
def list_queue(session: Session, *, actor: Actor, queue: Any, filters: Any = None, after: Any = None,
               limit: int = PAGE_SIZE, with_counts: bool = False) -> Page[dict[str, str]]:
    """One keyset page of a pending queue, as display strings (money as text). ``after`` is the
    ``next_cursor`` of the previous page. With ``with_counts``, ``extra["counts"]`` holds the pending
    count of every queue (for the tabs)."""
    q = parse_queue(queue)
    f = filters_of(q, filters)
    page = read_page(session, q, f, after, check_limit(limit, MAX_PAGE_SIZE))
    if with_counts:
        page.extra["counts"] = _counts(session)
    return page


@requires(Perm.TRANSACTIONS_VIEW)
def queue_counts(session: Session, *, actor: Actor) -> dict[str, int]:
    """Exact pending counts per queue (index-only scans of the partial indexes)."""
    return _counts(session)


def _counts(session: Session) -> dict[str, int]:
    out: dict[str, int] = {}
    for q in Queue:
        s = spec(q)
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


@requires(Perm.TRANSACTIONS_VIEW)
def item_detail(session: Session, *, actor: Actor, queue: Any, item_id: Any) -> dict[str, Any]:
    """Everything the detail panel shows, as display strings. The view is audited."""
    q = parse_queue(queue)
    ident = parse_id(item_id)
    item = session.get(MODEL[q], ident)
    if item is None:
        raise NotFound(NOT_FOUND)
    now = now_utc()
    facts = _facts(session, q, item, now)
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
    balances = _balances_view(session, item.user_id)
    recent = _recent(session, item.user_id, now)
    flags = _risk_flags(session, item.user_id)
    audit.record(session, actor=actor, action="transactions.item_viewed", target_type=AUDIT_TARGET[q],
                 target_id=item.id, description=f"Opened {item.reference}")
    return {"facts": facts, "balances": balances, "recent": recent, "flags": flags, "history": history}


def _facts(session: Session, q: Queue, item: Any, now: datetime) -> dict[str, str]:
    user = session.get(User, item.user_id)
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
    return facts


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


# --- payment proofs -----------------------------------------------------------------------------
PROOF_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
               ".gif": "image/gif", ".pdf": "application/pdf"}
PROOF_KINDS = {"gift-card": Queue.GIFT_CARDS, "transaction": Queue.DEPOSITS}


@dataclass(frozen=True)
class ProofFile:
    path: Path  # inside private storage
    media_type: str
    file_name: str


@requires(Perm.TRANSACTIONS_VIEW)
def proof_file(session: Session, *, actor: Actor, kind: Any, item_id: Any) -> ProofFile:
    """The proof of a gift-card order (``kind="gift-card"``) or a transaction's receipt
    (``kind="transaction"``) for an officer with ``TRANSACTIONS_VIEW``; the view is audited.
    ``NotFound`` for an unknown id, an item without a proof, or a file missing from storage."""
    queue = PROOF_KINDS.get(kind if isinstance(kind, str) else "")
    if queue is None:
        raise NotFound("Not found.")
    item = session.get(MODEL[queue], parse_id(item_id))
    key = (item.proof_image_key if queue is Queue.GIFT_CARDS else item.receipt_key) if item is not None else None
    if not key:
        raise NotFound("Not found.")
    media_type = PROOF_TYPES.get(PurePosixPath(key).suffix.lower())
    if media_type is None:
        raise NotFound("Not found.")
    path = storage.stored_file(key, unsafe="Not found.", missing="Not found.")
    audit.record(session, actor=actor, action="transactions.proof_viewed", target_type=AUDIT_TARGET[queue],
                 target_id=item.id, description=f"Viewed the proof of {item.reference}", details={"key": key})
    return ProofFile(path=path, media_type=media_type, file_name=f"{item.reference}{PurePosixPath(key).suffix.lower()}")
