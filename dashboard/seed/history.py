"""Notifications for recent decisions, and the ``status_history`` rows every step collected."""

from __future__ import annotations

import numpy as np

from dashboard.models.enums import CryptoTxStatus, GiftCardOrderStatus, TransactionStatus, TransactionType, VerificationStatus
from dashboard.seed import copy as fmt
from dashboard.seed import clock
from dashboard.seed.clock import DAY_MS, MINUTE_MS, NULL_MS
from dashboard.seed.context import Context
from dashboard.seed.ids import ordered, uuid7

KYC_MESSAGES = {
    VerificationStatus.APPROVED: ("KYC_APPROVED", "Identity verified", "Your identity has been verified. You can now deposit and trade."),
    VerificationStatus.REJECTED: ("KYC_REJECTED", "Verification unsuccessful", "We could not verify your identity: {reason}"),
    VerificationStatus.RESUBMIT_REQUIRED: ("KYC_RESUBMIT_REQUIRED", "Action needed", "Please resubmit your documents: {reason}"),
}


def _notifications(ctx: Context) -> list[tuple[int, str, str, str, int]]:
    """(customer, type, title, message, ms) for decisions a customer was told about recently."""
    out = []
    rows = ctx.extras["kyc_rows"].verifications
    for user, status, reason, decided in zip(rows["user"], rows["status"], rows["rejection_reason"], rows["reviewed_at"]):
        if status in KYC_MESSAGES and decided and decided > clock.NOW_MS - 60 * DAY_MS:
            kind, title, message = KYC_MESSAGES[status]
            out.append((user, kind, title, message.format(reason=reason), decided + MINUTE_MS))
    t = ctx.extras["transactions"]
    recent = (t.processed > clock.NOW_MS - 14 * DAY_MS) & (t.processed != NULL_MS)
    for row in np.flatnonzero(recent & (t.status == TransactionStatus.COMPLETED) & (t.kind == TransactionType.DEPOSIT)):
        out.append((int(t.user[row]), "DEPOSIT_COMPLETED", "Deposit received",
                    f"Your deposit of USD {t.usd[row] / 100:,.2f} has been credited.", int(t.processed[row]) + MINUTE_MS))
    for row in np.flatnonzero(recent & (t.status == TransactionStatus.DECLINED)):
        out.append((int(t.user[row]), "TRANSACTION_DECLINED", "Transaction declined", str(t.reason[row]),
                    int(t.processed[row]) + MINUTE_MS))
    orders, _ = ctx.extras["gift_orders"]
    for row in np.flatnonzero((orders["processed"] > clock.NOW_MS - 30 * DAY_MS) & (orders["processed"] != NULL_MS)):
        done = orders["status"][row] == GiftCardOrderStatus.COMPLETED
        out.append((int(orders["user"][row]), "ORDER_COMPLETED" if done else "ORDER_UPDATED",
                    "Gift card paid" if done else "Gift card order update",
                    f"Gift card order: {orders['status'][row].lower()}.", int(orders["processed"][row]) + MINUTE_MS))
    crypto, _ = ctx.extras["crypto_orders"]
    for row in np.flatnonzero((crypto["processed"] > clock.NOW_MS - 14 * DAY_MS) & (crypto["status"] == CryptoTxStatus.APPROVED)):
        out.append((int(crypto["user"][row]), "ORDER_COMPLETED", f"{crypto['type'][row].title()} order approved",
                    f"Your {crypto['symbol'][row]} {crypto['type'][row].lower()} order was approved.",
                    int(crypto["processed"][row]) + MINUTE_MS))
    return out


def _write_notifications(ctx: Context) -> None:
    rng = ctx.streams.np("notifications")
    items = _notifications(ctx)
    if not items:
        return
    ms = np.minimum(np.array([i[4] for i in items], dtype=np.int64), clock.NOW_MS - MINUTE_MS)
    ids = uuid7(rng, ms)
    read = (ms < clock.NOW_MS - 3 * DAY_MS) & (rng.random(len(items)) < 0.8)
    ctx.copy("notifications", {
        "id": fmt.uuid(ids), "user_id": fmt.ref(ctx.customers.ids, np.array([i[0] for i in items])),
        "notification_type": fmt.text([i[1] for i in items]), "title": fmt.text([i[2] for i in items]),
        "message": fmt.text([i[3] for i in items]), "read": fmt.boolean(read), "created_at": fmt.ts(ms),
    }, order=ordered(ids))


def generate(ctx: Context) -> None:
    _write_notifications(ctx)
    built = ctx.history.columns(ctx.streams.np("status-history"))
    if built is not None:
        columns, order = built
        ctx.copy("status_history", columns, order=order)
