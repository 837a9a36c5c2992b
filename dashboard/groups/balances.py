"""A group's money: the balance row the database maintains from the ledger, and what payouts reserve.

``group_balances`` is kept by a trigger on every ledger insert (migration 8d2f6b0e4c31), so reading a
balance is one row, never a scan of the ledger. ``rebuild_group_balances`` recomputes every row after a
load that bypassed the triggers.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session


def group_balance(session: Session, group_id: uuid.UUID, *, lock: bool = False) -> int:
    """The maintained balance (``group_balances``), not a scan of the ledger."""
    value = session.execute(
        sa.text("SELECT balance_kobo FROM group_balances WHERE group_id = :g" + (" FOR UPDATE" if lock else "")),
        {"g": group_id},
    ).scalar()
    return int(value or 0)


def in_flight_kobo(session: Session, group_id: uuid.UUID, *, excluding: uuid.UUID | None = None) -> int:
    """Money promised to payouts the provider has accepted but not confirmed (reserved)."""
    value = session.execute(
        sa.text("SELECT coalesce(sum(p.amount_kobo), 0) FROM withdrawal_request w "
                "JOIN payout p ON p.withdrawal_id = w.id "
                "WHERE w.group_id = :g AND w.status = 'APPROVED' AND p.status = 'PENDING' "
                "AND p.provider_reference IS NOT NULL AND w.id IS DISTINCT FROM :x"),
        {"g": group_id, "x": excluding},
    ).scalar_one()
    return int(value)


def available_kobo(session: Session, group_id: uuid.UUID, *, excluding: uuid.UUID, lock: bool = False) -> int:
    """The balance less what other requests' payouts in flight have reserved."""
    return group_balance(session, group_id, lock=lock) - in_flight_kobo(session, group_id, excluding=excluding)


def rebuild_group_balances(session: Session) -> int:
    """Recompute every group's balance from the ledger (after a load that bypassed the triggers)."""
    session.execute(sa.text("DELETE FROM group_balances"))
    result = session.execute(sa.text(
        "INSERT INTO group_balances (group_id, balance_kobo, updated_at) "
        "SELECT group_id, sum(CASE WHEN type = 'CREDIT' THEN amount_kobo ELSE -amount_kobo END), now() "
        "FROM ledger_entry GROUP BY group_id"))
    return int(result.rowcount or 0)
