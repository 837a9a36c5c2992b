"""A group's money: the balance row the database maintains from the ledger, and what payouts reserve.

The balance is what the group can pay out: its **settled, real credits** minus every debit. Seed 004
marks each ledger row ``simulated`` (a demo credit: money that never arrived) and gives it a
``rule_status`` (``VALID`` once the credit has passed the platform's rules: settled). A CREDIT counts only
when it is settled and not simulated; a DEBIT always counts (``COUNTED_KOBO``).

``group_balances`` is kept by triggers on the ledger (migrations 8d2f6b0e4c31 and b7d3e1f0a9c2, the same
expression), so reading a balance is one row, never a scan of the ledger. ``rebuild_group_balances``
recomputes every row after a load that bypassed the triggers.
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


# What one ledger row adds to its group's balance (SQL over a ``ledger_entry`` row).
COUNTED_KOBO = ("CASE WHEN type <> 'CREDIT' THEN -amount_kobo "
                "WHEN simulated OR rule_status IS DISTINCT FROM 'VALID' THEN 0 ELSE amount_kobo END")


def rebuild_group_balances(session: Session) -> int:
    """Recompute every group's balance from the ledger (after a load that bypassed the triggers)."""
    session.execute(sa.text("DELETE FROM group_balances"))
    result = session.execute(sa.text(
        "INSERT INTO group_balances (group_id, balance_kobo, updated_at) "
        f"SELECT group_id, sum({COUNTED_KOBO}), now() FROM ledger_entry GROUP BY group_id"))
    return int(result.rowcount or 0)
