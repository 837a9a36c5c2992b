"""Portfolios, holdings, trades and daily snapshots (seed 001), and the daily totals over every portfolio."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from dashboard.models.base import (
    CRYPTO, MONEY, PERCENT, PRICE, Created, Decimal, Field, SQLModel, Timestamped, datetime, enum_check, enum_col,
    fk, money, non_negative, now_ts, positive, text, uuid,
)
from dashboard.models.enums import AssetType, TradeType

TOTAL = sa.Numeric(20, 2)  # sums of Numeric(18, 2) over every portfolio: the daily totals


class Portfolio(Timestamped, table=True):
    __tablename__ = "portfolios"
    __table_args__ = (
        sa.UniqueConstraint("user_id", name="uq_portfolios_user_id"),
        non_negative("cash_value"),
        non_negative("crypto_value"),
        non_negative("stock_value"),
        sa.CheckConstraint(
            "total_value = crypto_value + stock_value + cash_value", name="total_is_sum_of_parts"
        ),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    total_value: Decimal = money(default=Decimal("0"))
    crypto_value: Decimal = money(default=Decimal("0"))
    stock_value: Decimal = money(default=Decimal("0"))
    cash_value: Decimal = money(default=Decimal("0"))
    total_invested: Decimal = money(default=Decimal("0"))
    total_profit_loss: Decimal = money(default=Decimal("0"))
    daily_pnl: Decimal = money(default=Decimal("0"))
    daily_pnl_percent: Decimal = money(PERCENT, default=Decimal("0"))
    monthly_pnl: Decimal = money(default=Decimal("0"))
    monthly_pnl_percent: Decimal = money(PERCENT, default=Decimal("0"))
    all_time_pnl: Decimal = money(default=Decimal("0"))
    all_time_pnl_percent: Decimal = money(PERCENT, default=Decimal("0"))
    last_updated: datetime = now_ts()


class Holding(Timestamped, table=True):
    __tablename__ = "holdings"
    __table_args__ = (
        enum_check("asset_type", AssetType),
        positive("quantity"),
        non_negative("average_buy_price"),
        non_negative("current_price"),
        non_negative("total_value"),
        sa.UniqueConstraint("portfolio_id", "symbol", name="uq_holdings_portfolio_id_symbol"),
    )

    portfolio_id: uuid.UUID = fk("portfolios.id", ondelete="CASCADE", index=True)
    asset_type: str = enum_col(AssetType)
    symbol: str = text(20, nullable=False, index=True)
    name: str = text(120, nullable=False)
    logo_url: str | None = text()
    quantity: Decimal = money(CRYPTO)
    average_buy_price: Decimal = money(PRICE)  # unit prices keep 8 decimals (issue 14, item 12)
    current_price: Decimal = money(PRICE)
    total_value: Decimal = money()
    profit_loss: Decimal = money()
    profit_loss_percent: Decimal = money(PERCENT)
    last_price_update: datetime = now_ts()


class Trade(Created, table=True):
    """A trade executed for a client by an admin (seed 001)."""

    __tablename__ = "trades"
    __table_args__ = (
        enum_check("trade_type", TradeType),
        enum_check("asset_type", AssetType),
        positive("quantity"),
        positive("price_per_unit"),
        positive("total_value"),
        sa.Index("ix_trades_user_id_executed_at", "user_id", "executed_at"),
        sa.Index("ix_trades_executed_at", "executed_at"),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    portfolio_id: uuid.UUID | None = fk("portfolios.id", nullable=True, ondelete="CASCADE", index=True)
    trade_type: str = enum_col(TradeType)
    asset_type: str = enum_col(AssetType)
    symbol: str = text(20, nullable=False, index=True)
    asset_name: str = text(120, nullable=False)
    quantity: Decimal = money(CRYPTO)
    price_per_unit: Decimal = money()
    total_value: Decimal = money()
    admin_note: str | None = text()
    executed_by: uuid.UUID | None = fk("users.id", nullable=True)
    executed_at: datetime = now_ts()


class PortfolioSnapshot(Created, table=True):
    """A portfolio's value at midnight UTC of one day; written by the nightly snapshot job."""

    __tablename__ = "portfolio_snapshots"
    __table_args__ = (
        sa.UniqueConstraint("portfolio_id", "snapshot_date", name="uq_portfolio_snapshots_portfolio_id_day"),
        non_negative("total_value"),
        sa.CheckConstraint(
            "total_value = crypto_value + stock_value + cash_value", name="total_is_sum_of_parts"
        ),
        sa.Index("ix_portfolio_snapshots_snapshot_date", "snapshot_date"),
    )

    portfolio_id: uuid.UUID = fk("portfolios.id", ondelete="CASCADE")
    snapshot_date: date = Field(sa_type=sa.Date(), nullable=False)
    total_value: Decimal = money(MONEY)
    crypto_value: Decimal = money(MONEY)
    stock_value: Decimal = money(MONEY)
    cash_value: Decimal = money(MONEY)
    net_flow: Decimal = money(MONEY, default=Decimal("0"))  # deposits - withdrawals booked that day
    total_pnl: Decimal = money(MONEY)
    total_pnl_percent: Decimal = money(PERCENT)


class PortfolioDailyTotal(SQLModel, table=True):
    """Daily totals over every portfolio's snapshot, maintained by the snapshot job.

    One row per snapshot day, so the portfolio overview reads at most a few hundred rows instead of
    aggregating millions of snapshots on every page view. The snapshot job recomputes a day's row (and the
    following day's, whose ``daily_pnl`` depends on it) in the same transaction as the snapshots it writes;
    ``portfolios.snapshots.rebuild_daily_totals`` recomputes every row (after a bulk load).

    ``daily_pnl`` and ``prev_value`` are summed over the portfolios that also have a snapshot the day
    before: ``daily_pnl = V_t - V_{t-1} - net_flow_t`` and ``prev_value = V_{t-1}``, so
    ``daily_pnl / prev_value`` is the day's flow-adjusted return, unaffected by new portfolios or by a
    portfolio's missing day.
    """

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
