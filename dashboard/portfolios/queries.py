"""Portfolios: the reads for managers (issue 6): the book's overview, a client, the client search.

- Overview: read from ``portfolio_daily_totals`` (one row per day, kept by the snapshot job), so a
  year is ~365 small rows whatever the number of portfolios; top movers join two days of snapshots by
  the ``snapshot_date`` index. Net flows are the snapshots' ``net_flow`` (completed deposits minus
  withdrawals booked that day); market effect is the sum of the flow-adjusted daily PnL.
- Client: its snapshots over the range (unique index on portfolio and day), with every missing day kept
  as ``None`` (a gap, never interpolated) and listed; holdings, recent trades and transactions.
- Every function checks the actor's permission first. Money is ``Decimal`` here and formatted strings
  for the page. The vocabulary and the maths are in ``rules.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput, NotFound
from dashboard.core.validate import clean_text
from dashboard.core.listing import like_pattern
from dashboard.core.permissions import Perm, requires
from dashboard.portfolios.rules import (
    DEFAULT_RANGE, MOVERS, RECENT_ROWS, SEARCH_LIMIT, ZERO, days_between, drawdowns, flow_adjusted_returns,
    fmt_money, fmt_pct, fmt_price, fmt_quantity, gap_ranges, missing_days, parse_ref, resolve_range, twr_index,
)


# --- results --------------------------------------------------------------------------------------
@dataclass
class Overview:
    start: date
    end: date
    range_name: str
    days: list[date]
    total: list[Decimal | None]
    crypto: list[Decimal | None]
    stock: list[Decimal | None]
    cash: list[Decimal | None]
    count: list[int | None]
    net_flow: list[Decimal | None]
    daily_pnl: list[Decimal | None]
    index: list[float]
    drawdown: list[float]
    monthly: list[tuple[str, Decimal]]  # ("2026-01", pnl)
    movers: list[dict[str, str]]
    first_day: date | None
    last_day: date | None
    missing: list[tuple[date, date]] = field(default_factory=list)  # days without any snapshot
    incomplete: list[date] = field(default_factory=list)  # days where some portfolios' snapshots are missing

    @property
    def has_data(self) -> bool:
        return any(v is not None for v in self.total)

    def stats(self) -> dict[str, str]:
        present = [(d, v) for d, v in zip(self.days, self.total) if v is not None]
        flows = sum((f for f in self.net_flow if f is not None), ZERO)
        market = sum((p for p in self.daily_pnl if p is not None), ZERO)
        counts = [c for c in self.count if c is not None]
        twr = self.index[-1] - 1.0 if self.index else None
        return {
            "aum": fmt_money(present[-1][1]) if present else "—",
            "aum_date": present[-1][0].isoformat() if present else "",
            "portfolios": f"{counts[-1]:,}" if counts else "0",
            "net_flows": fmt_money(flows, signed=True),
            "market_effect": fmt_money(market, signed=True),
            "twr": fmt_pct(twr) if present else "—",
            "max_drawdown": fmt_pct(min(self.drawdown), signed=True) if self.drawdown and present else "—",
            "period": f"{self.start.isoformat()} to {self.end.isoformat()}",
            "missing_days": missing_days(self.missing),
            "incomplete_days": str(len(self.incomplete)),
        }


@dataclass
class ClientSeries:
    portfolio_id: uuid.UUID
    start: date
    end: date
    days: list[date]
    total: list[Decimal | None]
    crypto: list[Decimal | None]
    stock: list[Decimal | None]
    cash: list[Decimal | None]
    net_flow: list[Decimal | None]
    returns: list[float | None]
    index: list[float]
    drawdown: list[float]
    missing: list[tuple[date, date]]

    @property
    def twr(self) -> float | None:
        return self.index[-1] - 1.0 if self.index and any(v is not None for v in self.total) else None


@dataclass
class ClientDetail:
    series: ClientSeries
    info: dict[str, str]
    holdings: list[dict[str, str]]
    allocation: list[tuple[str, Decimal]]  # (label, value): holdings by symbol, then cash
    trades: list[dict[str, str]]
    transactions: list[dict[str, str]]


# --- overview -------------------------------------------------------------------------------------
_BOUNDS = text("SELECT min(snapshot_date), max(snapshot_date) FROM portfolio_daily_totals")
_TOTALS = text(
    "SELECT snapshot_date, portfolio_count, total_value, crypto_value, stock_value, cash_value, net_flow, "
    "daily_pnl, prev_value FROM portfolio_daily_totals WHERE snapshot_date BETWEEN :a AND :b ORDER BY snapshot_date"
)
# Change over the range per portfolio: total_pnl is value minus invested, so its change between the day
# before the range and the last day is the flow-adjusted PnL. A portfolio without a snapshot on the base
# day counts from zero.
_MOVERS = text("""
WITH e AS (SELECT portfolio_id, total_value, total_pnl FROM portfolio_snapshots WHERE snapshot_date = :end),
     b AS (SELECT portfolio_id, total_value, total_pnl FROM portfolio_snapshots WHERE snapshot_date = :base),
     ch AS (SELECT e.portfolio_id, e.total_value, b.total_value AS base_value,
                   e.total_pnl - coalesce(b.total_pnl, 0) AS pnl
            FROM e LEFT JOIN b ON b.portfolio_id = e.portfolio_id),
     picked AS ((SELECT *, 'gain' AS side FROM ch WHERE pnl > 0 ORDER BY pnl DESC LIMIT :n)
                UNION ALL
                (SELECT *, 'loss' AS side FROM ch WHERE pnl < 0 ORDER BY pnl ASC LIMIT :n))
SELECT picked.*, u.first_name, u.last_name, u.email
FROM picked JOIN portfolios p ON p.id = picked.portfolio_id JOIN users u ON u.id = p.user_id
ORDER BY picked.pnl DESC
""")


def _picker(rows: dict[date, Any], days: list[date]):
    """``pick(column)``: that column of each day's row, None for a day without one."""
    return lambda name: [getattr(rows[d], name) if d in rows else None for d in days]


@requires(Perm.PORTFOLIOS_VIEW)
def overview(session: Session, *, actor: Actor, range_name: Any = DEFAULT_RANGE, date_from: Any = None,
             date_to: Any = None, movers: bool = True) -> Overview:
    first, last = session.execute(_BOUNDS).one()
    start, end = resolve_range(range_name, date_from, date_to, first=first, last=last)
    rows = {r.snapshot_date: r for r in session.execute(_TOTALS, {"a": start, "b": end})}
    days = days_between(start, end)
    pick = _picker(rows, days)
    total, crypto, stock, cash = pick("total_value"), pick("crypto_value"), pick("stock_value"), pick("cash_value")
    counts = pick("portfolio_count")
    # A day with fewer portfolios than an earlier day of the range is missing some snapshots: its sums
    # would show a fake drop, so its values become gaps too (portfolios are never removed, only added).
    incomplete, most = [], 0
    for i, c in enumerate(counts):
        if c is None:
            continue
        if c < most:
            incomplete.append(days[i])
            total[i] = crypto[i] = stock[i] = cash[i] = None
        most = max(most, c)
    pnl = pick("daily_pnl")
    base = pick("prev_value")
    returns = [float(p / b) if p is not None and b else None for p, b in zip(pnl, base)]
    index = twr_index(returns)
    monthly: dict[str, Decimal] = {}
    for d, p in zip(days, pnl):
        if p is not None:
            monthly[d.strftime("%Y-%m")] = monthly.get(d.strftime("%Y-%m"), ZERO) + p
    # only gaps inside the data's span count as missing (days before the first snapshot are not gaps)
    inside = [(d, rows.get(d)) for d in days if first and last and first <= d <= last]
    result = Overview(
        start=start, end=end, range_name=str(range_name), days=days, total=total, crypto=crypto,
        stock=stock, cash=cash, count=counts, net_flow=pick("net_flow"), incomplete=incomplete,
        daily_pnl=pnl, index=index, drawdown=drawdowns(index), monthly=sorted(monthly.items()), movers=[],
        first_day=first, last_day=last,
        missing=gap_ranges([d for d, _ in inside], [v for _, v in inside]) if inside else [],
    )
    if movers and rows:
        # the change since the day before the range; for a range that starts with the data, since its first day
        base_day = start - timedelta(days=1) if first and start > first else (first or start)
        result.movers = _top_movers(session, base=base_day, end=max(rows))
    return result


def _top_movers(session: Session, *, base: date, end: date, n: int = MOVERS) -> list[dict[str, str]]:
    """The ``n`` largest gains and losses between the ``base`` day's and the ``end`` day's snapshots."""
    rows = session.execute(_MOVERS, {"end": end, "base": base, "n": n}).all()
    out = []
    for r in rows:
        pct = (r.pnl / r.base_value) if r.base_value else None
        out.append({
            "portfolio_id": str(r.portfolio_id),
            "name": f"{r.first_name} {r.last_name}".strip(),
            "email": r.email,
            "value": fmt_money(r.total_value),
            "pnl": fmt_money(r.pnl, signed=True),
            "pnl_pct": fmt_pct(pct) if pct is not None else "new",
            "side": r.side,
        })
    return out


# --- clients --------------------------------------------------------------------------------------
_PORTFOLIO_BY_REF = text("""
SELECT p.id, p.user_id, p.total_value, p.crypto_value, p.stock_value, p.cash_value, p.total_invested,
       p.all_time_pnl, p.all_time_pnl_percent, p.last_updated, u.first_name, u.last_name, u.email, u.account_type
FROM portfolios p JOIN users u ON u.id = p.user_id
WHERE p.id = :ref OR p.user_id = :ref
LIMIT 1
""")
_CLIENT_SNAPSHOTS = text(
    "SELECT snapshot_date, total_value, crypto_value, stock_value, cash_value, net_flow "
    "FROM portfolio_snapshots WHERE portfolio_id = :pid AND snapshot_date BETWEEN :a AND :b ORDER BY snapshot_date"
)
_CLIENT_BOUNDS = text(
    "SELECT (SELECT snapshot_date FROM portfolio_snapshots WHERE portfolio_id = :pid ORDER BY snapshot_date LIMIT 1),"
    " (SELECT snapshot_date FROM portfolio_snapshots WHERE portfolio_id = :pid ORDER BY snapshot_date DESC LIMIT 1)"
)
_HOLDINGS = text(
    "SELECT symbol, name, asset_type, quantity, average_buy_price, current_price, "
    "round(quantity * current_price, 2) AS value, round(quantity * (current_price - average_buy_price), 2) AS pnl "
    "FROM holdings WHERE portfolio_id = :pid ORDER BY quantity * current_price DESC, symbol"
)
_TRADES = text(
    "SELECT executed_at, trade_type, symbol, quantity, price_per_unit, total_value FROM trades "
    "WHERE portfolio_id = :pid ORDER BY executed_at DESC LIMIT :n"
)
_TRANSACTIONS = text(
    "SELECT created_at, reference, transaction_type, status, amount_usd, method FROM transactions "
    "WHERE user_id = :uid ORDER BY created_at DESC LIMIT :n"
)


@requires(Perm.PORTFOLIOS_VIEW)
def client_series(session: Session, *, actor: Actor, portfolio_id: Any, range_name: Any = DEFAULT_RANGE,
                  date_from: Any = None, date_to: Any = None) -> ClientSeries:
    """One portfolio's value over the range (chart data): gaps as None, returns, TWR index, drawdown."""
    pid = portfolio_id if isinstance(portfolio_id, uuid.UUID) else parse_ref(portfolio_id)
    first, last = session.execute(_CLIENT_BOUNDS, {"pid": pid}).one()
    start, end = resolve_range(range_name, date_from, date_to, first=first, last=last)
    rows = {r.snapshot_date: r for r in session.execute(
        _CLIENT_SNAPSHOTS, {"pid": pid, "a": start - timedelta(days=1), "b": end})}
    # the chart spans the range, but only the portfolio's own history can have gaps
    lo = max(start, first) if first else start
    hi = min(end, last) if last else end
    days = days_between(lo, hi) if first and lo <= hi else []
    pick = _picker(rows, days)
    total = pick("total_value")
    flows = pick("net_flow")
    base_row = rows.get(lo - timedelta(days=1))
    returns = flow_adjusted_returns(total, flows, base_row.total_value if base_row else None)
    index = twr_index(returns)
    return ClientSeries(
        portfolio_id=pid, start=start, end=end, days=days, total=total, crypto=pick("crypto_value"),
        stock=pick("stock_value"), cash=pick("cash_value"), net_flow=flows, returns=returns, index=index,
        drawdown=drawdowns(index), missing=gap_ranges(days, total) if days else [],
    )


def _holding(h: Any) -> dict[str, str]:
    cost = h.quantity * h.average_buy_price
    return {
        "symbol": h.symbol, "name": h.name, "asset_type": h.asset_type.title(),
        "quantity": fmt_quantity(h.quantity), "avg_price": fmt_price(h.average_buy_price),
        "price": fmt_price(h.current_price), "value": fmt_money(h.value), "pnl": fmt_money(h.pnl, signed=True),
        "pnl_pct": fmt_pct(h.pnl / cost) if cost else "—",
        "tone": "green" if h.pnl > 0 else ("red" if h.pnl < 0 else "gray"),
    }


@requires(Perm.PORTFOLIOS_VIEW)
def client_detail(session: Session, *, actor: Actor, ref: Any, range_name: Any = DEFAULT_RANGE,
                  date_from: Any = None, date_to: Any = None) -> ClientDetail:
    p = session.execute(_PORTFOLIO_BY_REF, {"ref": parse_ref(ref)}).first()
    if p is None:
        raise NotFound("No portfolio matches that id")
    series = client_series(session, actor=actor, portfolio_id=p.id, range_name=range_name,
                           date_from=date_from, date_to=date_to)
    held = session.execute(_HOLDINGS, {"pid": p.id}).all()
    holdings = [_holding(h) for h in held]
    allocation = [(h.symbol, h.value) for h in held]
    if p.cash_value > 0:
        allocation.append(("Cash", p.cash_value))
    trades = [{
        "when": r.executed_at.strftime("%Y-%m-%d %H:%M"), "type": r.trade_type.title(), "symbol": r.symbol,
        "quantity": fmt_quantity(r.quantity), "price": fmt_money(r.price_per_unit), "value": fmt_money(r.total_value),
    } for r in session.execute(_TRADES, {"pid": p.id, "n": RECENT_ROWS})]
    transactions = [{
        "when": r.created_at.strftime("%Y-%m-%d %H:%M"), "reference": r.reference,
        "type": r.transaction_type.title(), "status": r.status.replace("_", " ").title(),
        "amount": fmt_money(r.amount_usd), "method": r.method.replace("_", " ").title(),
    } for r in session.execute(_TRANSACTIONS, {"uid": p.user_id, "n": RECENT_ROWS})]
    present = [v for v in series.total if v is not None]
    info = {
        "portfolio_id": str(p.id), "user_id": str(p.user_id),
        "name": f"{p.first_name} {p.last_name}".strip(), "email": p.email,
        "account_type": (p.account_type or "").title(),
        "value": fmt_money(p.total_value), "crypto": fmt_money(p.crypto_value), "stock": fmt_money(p.stock_value),
        "cash": fmt_money(p.cash_value), "invested": fmt_money(p.total_invested),
        "all_time_pnl": fmt_money(p.all_time_pnl, signed=True),
        "twr": fmt_pct(series.twr) if series.twr is not None else "—",
        "max_drawdown": fmt_pct(min(series.drawdown)) if series.drawdown and present else "—",
        "period": f"{series.start.isoformat()} to {series.end.isoformat()}",
        "missing_days": missing_days(series.missing),
    }
    return ClientDetail(series=series, info=info, holdings=holdings, allocation=allocation, trades=trades,
                        transactions=transactions)


_SEARCH = text("""
SELECT p.id, u.id AS user_id, u.first_name, u.last_name, u.email, p.total_value
FROM portfolios p JOIN users u ON u.id = p.user_id
WHERE lower(u.email) LIKE :prefix ESCAPE '\\'
   OR lower(u.first_name || ' ' || u.last_name) LIKE :contains ESCAPE '\\'
   OR lower(u.last_name) LIKE :prefix ESCAPE '\\'
ORDER BY u.last_name, u.first_name, u.id
LIMIT :n
""")
_SEARCH_ID = text("""
SELECT p.id, u.id AS user_id, u.first_name, u.last_name, u.email, p.total_value
FROM portfolios p JOIN users u ON u.id = p.user_id WHERE p.id = :ref OR p.user_id = :ref LIMIT 1
""")


@requires(Perm.PORTFOLIOS_VIEW)
def search_clients(session: Session, *, actor: Actor, query: Any, limit: int = SEARCH_LIMIT) -> list[dict[str, str]]:
    """Portfolio owners whose e-mail or name matches ``query`` (at least 2 characters), or whose portfolio
    or user id it is; at most ``limit`` rows, by name."""
    if not isinstance(query, str):
        raise InvalidInput("Search: type a name or an e-mail address")
    q = clean_text(query, "Search", 10_000).lower()  # control characters (NUL) refused plainly
    if len(q) < 2:
        raise InvalidInput("Search: type at least 2 characters")
    if len(q) > 100:
        raise InvalidInput("Search: at most 100 characters")
    try:
        rows = session.execute(_SEARCH_ID, {"ref": uuid.UUID(q)}).all()
    except ValueError:
        contains = like_pattern(q)  # "%q%" with q's wildcards escaped
        rows = session.execute(_SEARCH, {"prefix": contains[1:], "contains": contains,
                                         "n": max(1, min(int(limit), 100))}).all()
    return [{"portfolio_id": str(r.id), "user_id": str(r.user_id), "name": f"{r.first_name} {r.last_name}".strip(),
             "email": r.email, "value": fmt_money(r.total_value)} for r in rows]
