"""Daily totals over every portfolio's snapshot, maintained by the snapshot job.

One row per snapshot day, so the portfolio overview reads at most a few hundred rows instead of
aggregating millions of snapshots on every page view. The snapshot job recomputes a day's row (and the
following day's, whose ``daily_pnl`` depends on it) in the same transaction as the snapshots it writes;
``services.snapshots.rebuild_daily_totals`` recomputes every row (after a bulk load).

``daily_pnl`` and ``prev_value`` are summed over the portfolios that also have a snapshot the day
before: ``daily_pnl = V_t - V_{t-1} - net_flow_t`` and ``prev_value = V_{t-1}``, so
``daily_pnl / prev_value`` is the day's flow-adjusted return, unaffected by new portfolios or by a
portfolio's missing day.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from dashboard.models.base import Decimal, Field, SQLModel, datetime, money, now_ts

TOTAL = sa.Numeric(20, 2)  # sums of Numeric(18, 2) over every portfolio


class PortfolioDailyTotal(SQLModel, table=True):
    __tablename__ = "portfolio_daily_totals"
    __table_args__ = (sa.CheckConstraint("portfolio_count >= 0", name="portfolio_count_non_negative"),)

    snapshot_date: date = Field(sa_type=sa.Date(), primary_key=True)
    portfolio_count: int = Field(default=0, nullable=False)
    total_value: Decimal = money(TOTAL)
    crypto_value: Decimal = money(TOTAL)
    stock_value: Decimal = money(TOTAL)
    cash_value: Decimal = money(TOTAL)
    net_flow: Decimal = money(TOTAL)
    total_pnl: Decimal = money(TOTAL)
    daily_pnl: Decimal = money(TOTAL)  # over portfolios with a snapshot the day before
    prev_value: Decimal = money(TOTAL)  # their values the day before (the return's base)
    updated_at: datetime = now_ts()
