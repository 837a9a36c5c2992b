"""portfolio daily totals (one row per snapshot day, kept by the snapshot job), backfilled

Revision ID: 5b7d1e2a9c40
Revises: c73f6e44ed66
Create Date: 2026-11-22 02:50:00.000000+00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op


revision: str = '5b7d1e2a9c40'
down_revision: Union[str, None] = 'c73f6e44ed66'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The same statement as portfolios.snapshots.rebuild_daily_totals (kept here so the migration does not
# depend on application code that may change later).
BACKFILL = """
INSERT INTO portfolio_daily_totals (snapshot_date, portfolio_count, total_value, crypto_value, stock_value,
                                    cash_value, net_flow, total_pnl, daily_pnl, prev_value)
SELECT s.snapshot_date, count(*), sum(s.total_value), sum(s.crypto_value), sum(s.stock_value),
       sum(s.cash_value), sum(s.net_flow), sum(s.total_pnl),
       coalesce(sum(s.total_value - p.total_value - s.net_flow) FILTER (WHERE p.portfolio_id IS NOT NULL), 0),
       coalesce(sum(p.total_value), 0)
FROM portfolio_snapshots AS s
LEFT JOIN portfolio_snapshots AS p
       ON p.portfolio_id = s.portfolio_id AND p.snapshot_date = s.snapshot_date - 1
GROUP BY s.snapshot_date
"""


def upgrade() -> None:
    money = sa.Numeric(precision=20, scale=2)
    op.create_table(
        'portfolio_daily_totals',
        sa.Column('snapshot_date', sa.Date(), nullable=False),
        sa.Column('portfolio_count', sa.Integer(), nullable=False),
        sa.Column('total_value', money, nullable=False),
        sa.Column('crypto_value', money, nullable=False),
        sa.Column('stock_value', money, nullable=False),
        sa.Column('cash_value', money, nullable=False),
        sa.Column('net_flow', money, nullable=False),
        sa.Column('total_pnl', money, nullable=False),
        sa.Column('daily_pnl', money, nullable=False),
        sa.Column('prev_value', money, nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('portfolio_count >= 0',
                           name=op.f('ck_portfolio_daily_totals_portfolio_count_non_negative')),
        sa.PrimaryKeyConstraint('snapshot_date', name=op.f('pk_portfolio_daily_totals')),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table('portfolio_daily_totals')
