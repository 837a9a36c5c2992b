"""Portfolios, holdings, trades and daily snapshots (seed 001)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from dashboard.models.base import (
    CRYPTO,
    MONEY,
    PERCENT,
    Decimal,
    Field,
    SQLModel,
    now_ts,
    datetime,
    enum_check,
    enum_col,
    fk,
    money,
    non_negative,
    positive,
    text,
    uuid,
    uuid_pk,
)
from dashboard.models.enums import AssetType, TradeType


class Portfolio(SQLModel, table=True):
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

    id: uuid.UUID = uuid_pk()
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
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()


class Holding(SQLModel, table=True):
    __tablename__ = "holdings"
    __table_args__ = (
        enum_check("asset_type", AssetType),
        positive("quantity"),
        non_negative("average_buy_price"),
        non_negative("current_price"),
        non_negative("total_value"),
        sa.UniqueConstraint("portfolio_id", "symbol", name="uq_holdings_portfolio_id_symbol"),
    )

    id: uuid.UUID = uuid_pk()
    portfolio_id: uuid.UUID = fk("portfolios.id", ondelete="CASCADE", index=True)
    asset_type: str = enum_col(AssetType)
    symbol: str = text(20, nullable=False, index=True)
    name: str = text(120, nullable=False)
    logo_url: str | None = text()
    quantity: Decimal = money(CRYPTO)
    average_buy_price: Decimal = money()
    current_price: Decimal = money()
    total_value: Decimal = money()
    profit_loss: Decimal = money()
    profit_loss_percent: Decimal = money(PERCENT)
    last_price_update: datetime = now_ts()
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()


class Trade(SQLModel, table=True):
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

    id: uuid.UUID = uuid_pk()
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
    created_at: datetime = now_ts()


class PortfolioSnapshot(SQLModel, table=True):
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

    id: uuid.UUID = uuid_pk()
    portfolio_id: uuid.UUID = fk("portfolios.id", ondelete="CASCADE")
    snapshot_date: date = Field(sa_type=sa.Date(), nullable=False)
    total_value: Decimal = money(MONEY)
    crypto_value: Decimal = money(MONEY)
    stock_value: Decimal = money(MONEY)
    cash_value: Decimal = money(MONEY)
    net_flow: Decimal = money(MONEY, default=Decimal("0"))  # deposits - withdrawals booked that day
    total_pnl: Decimal = money(MONEY)
    total_pnl_percent: Decimal = money(PERCENT)
    created_at: datetime = now_ts()
