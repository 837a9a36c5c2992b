"""Each group's ledger balance (credits minus debits, kobo), maintained by the database.

The view of a withdrawal request shows the group's balance and the payout checks it; summing every
ledger row of the group on each view does not scale (1M ledger rows at the large profile). So one row
per group holds the running balance, and **database triggers on ``ledger_entry``** (migration
8d2f6b0e4c31) keep it in the same transaction as every INSERT, UPDATE or DELETE of ledger rows,
whatever wrote them (the services, ``COPY`` in the seed loader, a hand-written SQL fix). The
triggers are statement-level with transition tables, so a bulk ``COPY`` of a million rows costs one
aggregate per statement, not one update per row.

``balance_kobo >= 0`` is a CHECK: a DEBIT that would overdraw the group fails its whole transaction,
so no code path can take a balance below zero. The trigger updates the group's row, which also
serialises concurrent debits of one group.

``groups.balances.rebuild_group_balances(session)`` recomputes every row from the ledger (after a
load that bypassed triggers, or to verify them).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from dashboard.models.base import Field, SQLModel, datetime, now_ts, uuid


class GroupBalance(SQLModel, table=True):
    __tablename__ = "group_balances"
    __table_args__ = (sa.CheckConstraint("balance_kobo >= 0", name="balance_kobo_non_negative"),)

    group_id: uuid.UUID = Field(sa_column_args=[sa.ForeignKey("group.id")], sa_type=pg.UUID(as_uuid=True),
                                primary_key=True)
    balance_kobo: int = Field(default=0, sa_type=sa.BigInteger(), nullable=False,
                              sa_column_kwargs={"server_default": "0"})
    updated_at: datetime = now_ts()
