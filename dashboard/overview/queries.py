"""The overview's figures: how much work is waiting in each queue.

One round trip: six exact ``count(*)`` sub-selects whose filters match the partial "open/pending"
indexes of the queues, so each count reads only the waiting rows however large the tables grow.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col

from dashboard.core.actor import Actor
from dashboard.core.permissions import Perm, requires
from dashboard.models import (
    CryptoTransaction,
    GiftCardOrder,
    KycVerification,
    SupportTicket,
    Transaction,
    WithdrawalRequest,
)
from dashboard.models.enums import (
    OPEN_VERIFICATION_STATUSES,
    PENDING_TRANSACTION_STATUSES,
    CryptoTxStatus,
    GiftCardOrderStatus,
    TicketStatus,
    WithdrawalStatus,
)

OPEN_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)
PENDING_CRYPTO_STATUSES = (CryptoTxStatus.PENDING, CryptoTxStatus.AWAITING_SECOND_APPROVAL)

# Key -> (table, status column, statuses counted). The order is the order of the overview cards.
_QUEUES = {
    "kyc_waiting": (KycVerification, KycVerification.status, OPEN_VERIFICATION_STATUSES),
    "transactions_pending": (Transaction, Transaction.status, PENDING_TRANSACTION_STATUSES),
    "crypto_orders_pending": (CryptoTransaction, CryptoTransaction.status, PENDING_CRYPTO_STATUSES),
    "gift_card_orders_pending": (GiftCardOrder, GiftCardOrder.status, (GiftCardOrderStatus.PENDING,)),
    "tickets_open": (SupportTicket, SupportTicket.status, OPEN_TICKET_STATUSES),
    "group_withdrawals_pending": (WithdrawalRequest, WithdrawalRequest.status, (WithdrawalStatus.PENDING,)),
}

COUNT_KEYS: tuple[str, ...] = tuple(_QUEUES)


def _count(table: type, status: object, statuses: tuple[str, ...]) -> sa.ScalarSelect:
    # The statuses are our own constants, rendered inline: a partial index is only usable when the
    # planner sees the values (a server-side prepared plan with $1 parameters could not prove it).
    values = [str(s) for s in statuses]
    column = col(status)
    if len(values) == 1:
        condition = column == sa.bindparam(None, values[0], literal_execute=True)
    else:
        condition = column.in_(sa.bindparam(None, values, expanding=True, literal_execute=True))
    return sa.select(sa.func.count()).select_from(table).where(condition).scalar_subquery()


@requires(Perm.OVERVIEW_VIEW)
def overview_counts(session: Session, *, actor: Actor) -> dict[str, int]:
    """Exact number of waiting items per queue, keyed by ``COUNT_KEYS``. Aggregates only: no customer data."""
    stmt = sa.select(*(_count(*spec).label(key) for key, spec in _QUEUES.items()))
    row = session.execute(stmt).one()
    return {key: int(row._mapping[key]) for key in COUNT_KEYS}
