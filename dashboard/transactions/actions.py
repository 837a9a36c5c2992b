"""Treasury queues: the writes: decide (approve or decline) one item, save an item's admin note.

Deciding (``decide``): one database transaction per item. The item row is locked (``FOR UPDATE``) and
then changed with a conditional UPDATE (``WHERE id = :id AND status = :seen``), so two officers, or
two overlapping bulk actions, change an item once; the loser gets ``Conflict``. In the same
transaction: balance changes (rows locked), ``status_history``, a notification to the customer, an
outbox event and the audit entry.

Rules (enforced here, not in the UI)
- Deciding needs ``transactions.approve`` and an officer whose own row is still active in that role.
- Only PENDING items (or AWAITING_SECOND_APPROVAL, for the second approver) can be decided.
- A decision carries the status the officer saw (``expected_status``); when the locked row has another
  one now (a colleague's first approval, a decline), it is refused (``Conflict``): no stale view decides.
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
  together, and the item can be decided only once). See ``balances``.
- Maker-checker: a withdrawal whose ``amount_usd`` is above ``settings.second_approval_threshold_usd``
  goes PENDING -> AWAITING_SECOND_APPROVAL on the first approval; a different officer completes it.
  Any item already AWAITING_SECOND_APPROVAL (the seed has deposits and crypto orders in it) is
  completed only by an officer other than its first approver, and not by an account still in its
  cooling-off period (``dashboard.core.decisions.check_second_approver``).
- Crypto orders and gift-card orders move the customer's wallet: see ``crypto``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.decisions import check_second_approver, check_seen, parse_expected
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from dashboard.core.permissions import Perm, requires
from dashboard.models import Settings, User, Wallet
from dashboard.models.enums import (
    CryptoTxStatus, GiftCardOrderStatus, KycStatus, TransactionStatus, TransactionType, label,
)
from dashboard.audit import chain as audit
from dashboard.core.history import record_status_change
from dashboard.core.notifications import notify
from dashboard.core.outbox import emit
from dashboard.transactions import balances, crypto
from dashboard.transactions.rules import (
    AUDIT_TARGET, DECLINED, DEFAULT_THRESHOLD, ENTITY, FOUR_EYES_TYPES, MODEL, NOT_FOUND, NOT_PERMITTED, PENDING,
    QUEUE_TYPES, Action, Queue, RuleBroken, cedis, clean_note, clean_reason, now_utc, parse_action, parse_id,
    parse_queue, units,
)

AWAITING = TransactionStatus.AWAITING_SECOND_APPROVAL.value
_EVENT = {"AWAITING_SECOND_APPROVAL": "first_approved", "COMPLETED": "completed", "APPROVED": "approved",
          "DECLINED": "declined"}


@dataclass(frozen=True)
class Outcome:
    item_id: str
    reference: str
    status: str  # the new status code
    message: str


def _on_duty(session: Session, actor: Actor) -> None:
    """The officer's own row: still active, still in the role the session was opened with."""
    if actor.user_id is None:
        raise NotAllowed(NOT_PERMITTED)
    row = session.execute(sa.select(User.role, User.is_active).where(User.id == actor.user_id)).first()
    if row is None or not row.is_active or row.role != actor.role:
        raise NotAllowed(NOT_PERMITTED)


def _lock(session: Session, model: Any, ident: uuid.UUID) -> Any:
    item = session.execute(
        sa.select(model).where(model.id == ident).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if item is None:
        raise NotFound(NOT_FOUND)
    return item


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


def _wallet(session: Session, user_id: uuid.UUID) -> Wallet | None:
    return session.execute(
        sa.select(Wallet).where(Wallet.user_id == user_id).with_for_update()
    ).scalar_one_or_none()


def _threshold(session: Session) -> Decimal:
    s = session.get(Settings, 1)
    return Decimal(s.second_approval_threshold_usd) if s is not None else DEFAULT_THRESHOLD


@requires(Perm.TRANSACTIONS_APPROVE)
def decide(session: Session, *, actor: Actor, queue: Any, item_id: Any, action: Any, reason: Any = None,
           note: Any = None, expected_status: Any = None) -> Outcome:
    """Approve or decline one item in the caller's transaction (see the module notes for the rules).
    ``expected_status``: the status the officer saw (None: not compared)."""
    q = parse_queue(queue)
    ident = parse_id(item_id)
    expected = parse_expected(expected_status)
    act = parse_action(action)
    why = clean_reason(reason, required=act is Action.DECLINE)
    memo = clean_note(note)
    _on_duty(session, actor)
    model = MODEL[q]
    item = _lock(session, model, ident)
    seen = item.status
    check_seen(seen, expected)
    if seen not in PENDING[q]:
        raise Conflict(f"{item.reference} is already {label(seen).lower()}: only pending items can be decided.")
    if q is Queue.DEPOSITS and item.transaction_type not in QUEUE_TYPES:
        raise Conflict(f"{item.reference}: only deposits and withdrawals are decided here.")
    now = now_utc()
    values: dict[str, Any] = {} if memo is None else {"admin_note": memo}
    if act is Action.DECLINE:
        new = DECLINED[q]
        effects = crypto.crypto_decline_effects(item, _wallet(session, item.user_id)) if q is Queue.CRYPTO else None
        values |= {"status": new, "decline_reason": why, "processed_by": actor.user_id, "processed_at": now}
    else:
        new, effects = _approve(session, actor, q, item, first=seen != AWAITING)
        if new == AWAITING:
            values |= {"status": new, "first_approved_by": actor.user_id, "first_approved_at": now}
        else:
            values |= {"status": new, "processed_by": actor.user_id, "processed_at": now}
    session.flush()
    _set_status(session, model, item, seen, values)
    _record_decision(session, actor=actor, q=q, item=item, seen=seen, new=new, reason=why, note=memo,
                     effects=effects)
    message = (f"{item.reference}: first approval recorded; a second treasurer must complete it." if new == AWAITING
               else f"{item.reference}: {label(new).lower()}.")
    return Outcome(str(item.id), item.reference, new, message)


def _approve(session: Session, actor: Actor, q: Queue, item: Any, *, first: bool) -> tuple[str, dict[str, Any] | None]:
    """Check the approval's rules; move the money when it is the final one. The new status and the
    balances before/after (for the audit)."""
    if not first and item.first_approved_by is not None and item.first_approved_by == actor.user_id:
        raise NotAllowed(f"{item.reference}: you gave the first approval; a different treasurer must give the second.")
    if not first:
        check_second_approver(session, actor)
    if q is Queue.CRYPTO:
        return CryptoTxStatus.APPROVED.value, crypto.crypto_approve_effects(item, _wallet(session, item.user_id))
    if q is Queue.GIFT_CARDS:
        wallet = _wallet(session, item.user_id)
        return GiftCardOrderStatus.APPROVED.value, crypto.gift_card_approve_effects(item, wallet)
    user = session.get(User, item.user_id)
    balances.check_account_type(item, user)
    withdrawal = item.transaction_type == TransactionType.WITHDRAWAL
    if withdrawal:
        if user.kyc_status != KycStatus.APPROVED:
            raise RuleBroken(f"{item.reference}: the customer's KYC is {label(user.kyc_status).lower()}; "
                             "withdrawals need it approved.")
        balances.check_covers(session, item)
    if first and item.transaction_type in FOUR_EYES_TYPES and Decimal(item.amount_usd) > _threshold(session):
        return AWAITING, None
    return TransactionStatus.COMPLETED.value, balances.move_balance(session, item, -1 if withdrawal else 1)


def _amount_text(q: Queue, item: Any) -> str:
    if q is Queue.DEPOSITS:
        return units(item.amount, item.currency)
    if q is Queue.CRYPTO:
        return units(item.crypto_amount, item.crypto_symbol)
    return cedis(item.payout_cedis)


def _payload(q: Queue, item: Any, seen: str, new: str, reason: str | None) -> dict[str, Any]:
    """The outbox event's payload: what the platforms read about the decision."""
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
    return payload


def _record_decision(session: Session, *, actor: Actor, q: Queue, item: Any, seen: str, new: str,
                     reason: str | None, note: str | None, effects: dict[str, Any] | None) -> None:
    """History, the customer's notification (not for a first approval), the outbox event and the audit."""
    entity = ENTITY[q]
    details = {"effects": effects} if effects else None
    record_status_change(session, entity_type=entity, entity_id=item.id, from_status=seen, to_status=new,
                         actor=actor, reason=reason, details=details)
    what = {Queue.DEPOSITS: label(getattr(item, "transaction_type", "")).lower() or "transaction",
            Queue.CRYPTO: f"crypto {label(getattr(item, 'type', '')).lower()} order",
            Queue.GIFT_CARDS: "gift-card order"}[q]
    if new != AWAITING:
        if new == "DECLINED":
            title, message = f"Your {what} was declined", f"{item.reference} ({_amount_text(q, item)}) was declined: {reason}"
        else:
            title, message = f"Your {what} was approved", f"{item.reference} ({_amount_text(q, item)}) was approved."
        notify(session, user_id=item.user_id, notification_type=f"{entity.value}_{new}"[:50], title=title,
               message=message)
    emit(session, event_type=f"{AUDIT_TARGET[q]}.{_EVENT.get(new, new.lower())}", aggregate_type=AUDIT_TARGET[q],
         aggregate_id=item.id, payload=_payload(q, item, seen, new, reason), actor=actor)
    after: dict[str, Any] = {"status": new}
    if reason:
        after["decline_reason"] = reason
    if note:
        after["admin_note"] = note
    audit.record(session, actor=actor, action=f"transactions.{_EVENT.get(new, new.lower())}",
                 target_type=AUDIT_TARGET[q], target_id=item.id,
                 description=f"{item.reference} {label(seen).lower()} -> {label(new).lower()}",
                 before={"status": seen}, after=after, details=details)


@requires(Perm.TRANSACTIONS_APPROVE)
def save_note(session: Session, *, actor: Actor, queue: Any, item_id: Any, note: Any) -> str:
    """Set (or clear, with "") the admin note of an item; audited with before/after."""
    q = parse_queue(queue)
    ident = parse_id(item_id)
    if note is not None and not isinstance(note, str):
        raise InvalidInput("The note must be text.")
    memo = clean_note(note)
    _on_duty(session, actor)
    item = _lock(session, MODEL[q], ident)
    before = item.admin_note
    if (before or None) == memo:
        return item.reference
    session.execute(sa.update(MODEL[q]).where(MODEL[q].id == ident).values(admin_note=memo, updated_at=sa.func.now()))
    audit.record(session, actor=actor, action="transactions.note_saved", target_type=AUDIT_TARGET[q],
                 target_id=ident, description=f"Admin note of {item.reference}",
                 before={"admin_note": before}, after={"admin_note": memo})
    return item.reference
