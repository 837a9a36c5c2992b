"""Two client portfolios with 200 days of snapshots (one with a 3-day gap), holdings, trades and
transactions, for the portfolio screen's browser and state tests. Deterministic; values stay consistent
(a snapshot's total is the sum of its parts). The daily totals are rebuilt at the end, as the seed runner
does after loading snapshots."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from dashboard import models as m
from dashboard.portfolios import snapshots

END = date(2026, 11, 20)
DAYS = 200
GAP = (END - timedelta(days=40), END - timedelta(days=38))  # Paula's missing days, inclusive
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PortfolioFixture:
    portfolio_id: str
    user_id: str
    name: str
    email: str


def _money(x: float) -> Decimal:
    return Decimal(str(round(x, 2))).quantize(CENT)


def _client(session: Session, first: str, last: str, email: str, account_type: str) -> tuple[m.User, m.Portfolio]:
    user = m.User(email=email, first_name=first, last_name=last, role="CUSTOMER", platform="VIP",
                  account_type=account_type, country="SE")
    session.add(user)
    session.flush()
    pf = m.Portfolio(user_id=user.id, created_at=datetime(2026, 1, 2, tzinfo=UTC))
    session.add(pf)
    session.flush()
    return user, pf


def _series(session: Session, pf: m.Portfolio, *, crypto_base: float, stock_base: float, cash: float,
            wave: float, gap: tuple[date, date] | None) -> None:
    invested = crypto_base + stock_base + cash
    for i in range(DAYS):
        day = END - timedelta(days=DAYS - 1 - i)
        if gap and gap[0] <= day <= gap[1]:
            continue
        flow = 5_000.0 if i == 100 else 0.0
        invested += flow
        crypto = _money(crypto_base * (1 + wave * math.sin(i / 9) + 0.0015 * i))
        stock = _money(stock_base * (1 + 0.4 * wave * math.cos(i / 13) + 0.0008 * i))
        cash_d = _money(cash + (5_000.0 if i >= 100 else 0))
        total = crypto + stock + cash_d
        session.add(m.PortfolioSnapshot(
            portfolio_id=pf.id, snapshot_date=day, total_value=total, crypto_value=crypto, stock_value=stock,
            cash_value=cash_d, net_flow=_money(flow), total_pnl=total - _money(invested),
            total_pnl_percent=((total - _money(invested)) * 100 / _money(invested)).quantize(Decimal("0.0001")),
        ))
        if i == DAYS - 1:
            pf.crypto_value, pf.stock_value, pf.cash_value, pf.total_value = crypto, stock, cash_d, total
            pf.total_invested = _money(invested)
            pf.all_time_pnl = total - _money(invested)


def _holdings(session: Session, pf: m.Portfolio, rows: list[tuple[str, str, str, str, str, str]]) -> None:
    for symbol, name, kind, qty, avg, price in rows:
        q, a, p = Decimal(qty), Decimal(avg), Decimal(price)
        session.add(m.Holding(portfolio_id=pf.id, asset_type=kind, symbol=symbol, name=name, quantity=q,
                              average_buy_price=a, current_price=p, total_value=(q * p).quantize(CENT),
                              profit_loss=(q * (p - a)).quantize(CENT),
                              profit_loss_percent=((p - a) * 100 / a).quantize(Decimal("0.0001"))))


def _staff(session: Session) -> m.User:
    found = session.execute(sa.select(m.User).where(m.User.role == "TREASURER").limit(1)).scalars().first()
    if found is None:
        found = m.User(email="pf-desk@staff.test", first_name="Desk", last_name="Trader", role="TREASURER",
                       platform="STAFF")
        session.add(found)
        session.flush()
    return found


def insert_portfolios(session: Session) -> list[PortfolioFixture]:
    """Paula (crypto-heavy, a gap) and Omar (stocks); returns them in that order. The caller commits."""
    out = []
    for first, last, email, kind, bases, gap, holdings in (
        ("Paula", "Lindqvist", "paula.lindqvist@clients.test", "CRYPTO", (60_000, 0, 4_000, 0.18), GAP,
         [("BTC", "Bitcoin", "CRYPTO", "0.55", "61000", "94250"), ("ETH", "Ethereum", "CRYPTO", "4.2", "2900", "3148.5")]),
        ("Omar", "Haddad", "omar.haddad@clients.test", "STOCK", (2_000, 45_000, 8_000, 0.06), None,
         [("AAPL", "Apple Inc.", "STOCK", "80", "190", "268.4"), ("MSFT", "Microsoft Corp.", "STOCK", "30", "410", "505.1"),
          ("BTC", "Bitcoin", "CRYPTO", "0.02", "70000", "94250")]),
    ):
        user, pf = _client(session, first, last, email, kind)
        _series(session, pf, crypto_base=bases[0], stock_base=bases[1], cash=bases[2], wave=bases[3], gap=gap)
        _holdings(session, pf, holdings)
        staff = _staff(session)
        for n, (side, symbol, qty, price) in enumerate((("BUY", holdings[0][0], "0.1", "60000"),
                                                         ("SELL", holdings[0][0], "0.05", "64000"))):
            session.add(m.Trade(user_id=user.id, portfolio_id=pf.id, trade_type=side,
                                asset_type=holdings[0][2], symbol=symbol, asset_name=holdings[0][1],
                                quantity=Decimal(qty), price_per_unit=Decimal(price),
                                total_value=(Decimal(qty) * Decimal(price)).quantize(CENT),
                                executed_by=staff.id,
                                executed_at=datetime(2026, 9, 1 + n, 15, tzinfo=UTC)))
        session.add(m.Transaction(user_id=user.id, reference=f"TX-PF-{last.upper()[:6]}-1", transaction_type="DEPOSIT",
                                  amount=Decimal("5000"), currency="USD", amount_usd=Decimal("5000"),
                                  method="WIRE_TRANSFER", status="COMPLETED",
                                  processed_at=datetime(2026, 8, 13, 10, tzinfo=UTC),
                                  processed_by=staff.id,
                                  created_at=datetime(2026, 8, 13, 9, tzinfo=UTC)))
        session.flush()
        out.append(PortfolioFixture(str(pf.id), str(user.id), f"{first} {last}", email))
    snapshots.rebuild_daily_totals(session)
    return out
