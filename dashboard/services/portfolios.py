"""Portfolio overview and client portfolios for managers (issue 6). No Reflex here.

- Overview: read from ``portfolio_daily_totals`` (one row per day, kept by the snapshot job), so a
  year is ~365 small rows whatever the number of portfolios; top movers join two days of snapshots by
  the ``snapshot_date`` index. Net flows are the snapshots' ``net_flow`` (completed deposits minus
  withdrawals booked that day); market effect is the sum of the flow-adjusted daily PnL.
- Returns are time-weighted: ``r_t = (V_t - F_t) / V_{t-1} - 1`` chained into an index, so deposits never
  hide losses; drawdown is measured on that index from its high-water mark.
- Client: its snapshots over the range (unique index on portfolio and day), with every missing day kept
  as ``None`` (a gap, never interpolated) and listed; holdings, recent trades and transactions.
- Every function checks the actor's permission first. Money is ``Decimal`` here and formatted strings
  for the page.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from dashboard.core.permissions import Perm
from dashboard.audit import chain as audit
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput, NotAllowed, NotFound

RANGES = ("1M", "3M", "6M", "YTD", "1Y", "All")
CUSTOM = "Custom"
DEFAULT_RANGE = "1Y"
MAX_POINTS = 400  # a chart never gets more points than this (long ranges are downsampled)
MOVERS = 5  # gainers and losers each
SEARCH_LIMIT = 20
RECENT_ROWS = 20
MAX_CUSTOM_DAYS = 366 * 20
CENT = Decimal("0.01")
ZERO = Decimal("0")


# --- permission -----------------------------------------------------------------------------------
def _require(actor: Actor | None, perm: Perm) -> Actor:
    if actor is None or not actor.can(perm):
        raise NotAllowed("You do not have permission to do this.")
    return actor


# --- formatting -----------------------------------------------------------------------------------
def fmt_money(value: Decimal | int | float | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "−" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def fmt_pct(value: float | Decimal | None, *, signed: bool = True) -> str:
    """A ratio (0.0123) as a percentage with its sign ("+1.23%")."""
    if value is None:
        return "—"
    pct = Decimal(str(value)) * 100
    pct = pct.quantize(CENT, rounding=ROUND_HALF_UP)
    if pct == 0:
        return "0.00%"
    sign = "−" if pct < 0 else ("+" if signed else "")
    return f"{sign}{abs(pct):,.2f}%"


def fmt_quantity(value: Decimal) -> str:
    text_value = f"{Decimal(value):,.8f}".rstrip("0").rstrip(".")
    return text_value or "0"


# --- ranges ---------------------------------------------------------------------------------------
def _minus_months(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month, dom)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def parse_date(value: Any, name: str) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip() or len(value) > 20:
        raise InvalidInput(f"{name}: enter a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{name}: {value.strip()[:20]!r} is not a valid date (YYYY-MM-DD)") from None


def resolve_range(range_name: Any, date_from: Any = None, date_to: Any = None, *,
                  first: date | None, last: date | None) -> tuple[date, date]:
    """The inclusive days of a named range ending on ``last`` (the latest snapshot day), or a validated
    custom range. ``first``/``last`` bound the data (None when there is none)."""
    if range_name == CUSTOM:
        start, end = parse_date(date_from, "From"), parse_date(date_to, "To")
        if start > end:
            raise InvalidInput("From must be on or before To")
        if (end - start).days > MAX_CUSTOM_DAYS:
            raise InvalidInput("The range is too long (at most 20 years)")
        return start, end
    if not isinstance(range_name, str) or range_name not in RANGES:
        raise InvalidInput(f"Unknown range; choose one of {', '.join(RANGES)} or a custom range")
    if last is None:
        today = date.today()
        return today, today
    first = first or last
    if range_name == "All":
        return first, last
    if range_name == "YTD":
        start = date(last.year, 1, 1)
    elif range_name == "1Y":
        start = _minus_months(last, 12) + timedelta(days=1)
    else:
        start = _minus_months(last, int(range_name[:-1])) + timedelta(days=1)
    return max(start, first), last


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# --- chart maths (pure) ---------------------------------------------------------------------------
def twr_index(returns: Sequence[float | None]) -> list[float]:
    """The time-weighted index (starting at 1 before the first day): ``I_t = I_{t-1} * (1 + r_t)``;
    a missing return (None) leaves the index unchanged."""
    out: list[float] = []
    level = 1.0
    for r in returns:
        if r is not None:
            level *= 1.0 + r
        out.append(level)
    return out


def drawdowns(index: Sequence[float]) -> list[float]:
    """Drawdown from the high-water mark (which starts at the base 1.0): ``I_t / max(I_<=t) - 1`` (<= 0)."""
    peak = 1.0
    out: list[float] = []
    for level in index:
        peak = max(peak, level)
        out.append(level / peak - 1.0 if peak > 0 else 0.0)
    return out


def flow_adjusted_returns(values: Sequence[Decimal | None], flows: Sequence[Decimal | None],
                          base: Decimal | None) -> list[float | None]:
    """Daily returns ``(V_t - F_t) / V_prev - 1`` where ``V_prev`` is the last known value (``base``
    before the first day). Missing days give None; a zero or negative base gives 0."""
    out: list[float | None] = []
    prev = base
    for value, flow in zip(values, flows):
        if value is None:
            out.append(None)
            continue
        if prev is None or prev <= 0:
            out.append(0.0 if prev is not None else None)
        else:
            out.append(float((value - (flow or ZERO)) / prev) - 1.0)
        prev = value
    return out


def gap_ranges(days: Sequence[date], values: Sequence[Any]) -> list[tuple[date, date]]:
    """Runs of consecutive missing days (value None) as (first, last) pairs."""
    runs: list[tuple[date, date]] = []
    start: date | None = None
    for day, value in zip(days, values):
        if value is None:
            start = start or day
        elif start is not None:
            runs.append((start, day - timedelta(days=1)))
            start = None
    if start is not None:
        runs.append((start, days[-1]))
    return runs


def downsample(xs: Sequence[Any], ys: Sequence[Any], max_points: int = MAX_POINTS) -> tuple[list[Any], list[Any]]:
    """At most ``max_points`` points: buckets of consecutive points keep their last x and y, and a bucket
    with any missing value (None) stays None, so a gap is never hidden or bridged."""
    n = len(xs)
    if n <= max_points:
        return list(xs), list(ys)
    size = -(-n // max_points)
    out_x: list[Any] = []
    out_y: list[Any] = []
    for lo in range(0, n, size):
        bucket = ys[lo:lo + size]
        out_x.append(xs[min(lo + size, n) - 1])
        out_y.append(None if any(v is None for v in bucket) else bucket[-1])
    return out_x, out_y


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
            "missing_days": str(sum((b - a).days + 1 for a, b in self.missing)),
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


def data_bounds(session: Session) -> tuple[date | None, date | None]:
    first, last = session.execute(_BOUNDS).one()
    return first, last


def overview(session: Session, *, actor: Actor, range_name: Any = DEFAULT_RANGE, date_from: Any = None,
             date_to: Any = None, movers: bool = True) -> Overview:
    _require(actor, Perm.PORTFOLIOS_VIEW)
    first, last = data_bounds(session)
    start, end = resolve_range(range_name, date_from, date_to, first=first, last=last)
    rows = {r.snapshot_date: r for r in session.execute(_TOTALS, {"a": start, "b": end})}
    days = _days(start, end)
    pick = lambda name: [getattr(rows[d], name) if d in rows else None for d in days]  # noqa: E731
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
        base = start - timedelta(days=1) if first and start > first else (first or start)
        result.movers = top_movers(session, base=base, end=max(rows))
    return result


def top_movers(session: Session, *, base: date, end: date, n: int = MOVERS) -> list[dict[str, str]]:
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


def parse_ref(value: Any) -> uuid.UUID:
    if not isinstance(value, str) or not (30 <= len(value.strip()) <= 40):
        raise InvalidInput("That is not a portfolio or customer id")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidInput("That is not a portfolio or customer id") from None


def _find_portfolio(session: Session, ref: Any) -> Any:
    row = session.execute(_PORTFOLIO_BY_REF, {"ref": parse_ref(ref)}).first()
    if row is None:
        raise NotFound("No portfolio matches that id")
    return row


def client_series(session: Session, *, actor: Actor, portfolio_id: Any, range_name: Any = DEFAULT_RANGE,
                  date_from: Any = None, date_to: Any = None) -> ClientSeries:
    """One portfolio's value over the range (chart data): gaps as None, returns, TWR index, drawdown."""
    _require(actor, Perm.PORTFOLIOS_VIEW)
    pid = portfolio_id if isinstance(portfolio_id, uuid.UUID) else parse_ref(portfolio_id)
    first, last = session.execute(_CLIENT_BOUNDS, {"pid": pid}).one()
    start, end = resolve_range(range_name, date_from, date_to, first=first, last=last)
    rows = {r.snapshot_date: r for r in session.execute(
        _CLIENT_SNAPSHOTS, {"pid": pid, "a": start - timedelta(days=1), "b": end})}
    # the chart spans the range, but only the portfolio's own history can have gaps
    lo = max(start, first) if first else start
    hi = min(end, last) if last else end
    days = _days(lo, hi) if first and lo <= hi else []
    pick = lambda name: [getattr(rows[d], name) if d in rows else None for d in days]  # noqa: E731
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


def client_detail(session: Session, *, actor: Actor, ref: Any, range_name: Any = DEFAULT_RANGE,
                  date_from: Any = None, date_to: Any = None) -> ClientDetail:
    _require(actor, Perm.PORTFOLIOS_VIEW)
    p = _find_portfolio(session, ref)
    series = client_series(session, actor=actor, portfolio_id=p.id, range_name=range_name,
                           date_from=date_from, date_to=date_to)
    holdings, allocation = [], []
    for h in session.execute(_HOLDINGS, {"pid": p.id}):
        cost = h.quantity * h.average_buy_price
        holdings.append({
            "symbol": h.symbol, "name": h.name, "asset_type": h.asset_type.title(),
            "quantity": fmt_quantity(h.quantity), "avg_price": fmt_money(h.average_buy_price),
            "price": fmt_money(h.current_price), "value": fmt_money(h.value), "pnl": fmt_money(h.pnl, signed=True),
            "pnl_pct": fmt_pct(h.pnl / cost) if cost else "—",
            "tone": "green" if h.pnl > 0 else ("red" if h.pnl < 0 else "gray"),
        })
        allocation.append((h.symbol, h.value))
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
        "missing_days": str(sum((b - a).days + 1 for a, b in series.missing)),
    }
    return ClientDetail(series=series, info=info, holdings=holdings, allocation=allocation, trades=trades,
                        transactions=transactions)


_LIKE_ESCAPE = re.compile(r"([\\%_])")
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


def search_clients(session: Session, *, actor: Actor, query: Any, limit: int = SEARCH_LIMIT) -> list[dict[str, str]]:
    """Portfolio owners whose e-mail or name matches ``query`` (at least 2 characters), or whose portfolio
    or user id it is; at most ``limit`` rows, by name."""
    _require(actor, Perm.PORTFOLIOS_VIEW)
    if not isinstance(query, str):
        raise InvalidInput("Search: type a name or an e-mail address")
    q = query.strip().lower()
    if len(q) < 2:
        raise InvalidInput("Search: type at least 2 characters")
    if len(q) > 100:
        raise InvalidInput("Search: at most 100 characters")
    try:
        rows = session.execute(_SEARCH_ID, {"ref": uuid.UUID(q)}).all()
    except ValueError:
        escaped = _LIKE_ESCAPE.sub(r"\\\1", q)
        rows = session.execute(_SEARCH, {"prefix": escaped + "%", "contains": "%" + escaped + "%",
                                         "n": max(1, min(int(limit), 100))}).all()
    return [{"portfolio_id": str(r.id), "user_id": str(r.user_id), "name": f"{r.first_name} {r.last_name}".strip(),
             "email": r.email, "value": fmt_money(r.total_value)} for r in rows]


# --- CSV exports ----------------------------------------------------------------------------------
OVERVIEW_CHARTS = ("aum", "pnl_daily", "pnl_monthly", "flows", "drawdown", "movers")
CLIENT_CHARTS = ("client_value", "client_holdings")
CHARTS = OVERVIEW_CHARTS + CLIENT_CHARTS


def _iso(days: Sequence[date]) -> list[str]:
    return [d.isoformat() for d in days]


def _frame_for(chart: str, ov: Overview | None, cd: ClientDetail | None):
    import pandas as pd

    if ov is not None:
        if chart == "aum":
            return pd.DataFrame({"date": _iso(ov.days), "aum_usd": ov.total, "crypto_usd": ov.crypto,
                                 "stock_usd": ov.stock, "cash_usd": ov.cash, "portfolios": ov.count})
        if chart == "pnl_daily":
            return pd.DataFrame({"date": _iso(ov.days), "daily_pnl_usd": ov.daily_pnl})
        if chart == "pnl_monthly":
            return pd.DataFrame(ov.monthly, columns=["month", "pnl_usd"])
        if chart == "flows":
            cum_flow, cum_market, f_acc, m_acc = [], [], ZERO, ZERO
            for f, p in zip(ov.net_flow, ov.daily_pnl):
                f_acc += f or ZERO
                m_acc += p or ZERO
                cum_flow.append(f_acc)
                cum_market.append(m_acc)
            return pd.DataFrame({"date": _iso(ov.days), "net_flow_usd": ov.net_flow, "market_effect_usd": ov.daily_pnl,
                                 "cumulative_net_flow_usd": cum_flow, "cumulative_market_effect_usd": cum_market})
        if chart == "drawdown":
            return pd.DataFrame({"date": _iso(ov.days), "twr_index": [round(i, 8) for i in ov.index],
                                 "drawdown": [round(d, 8) for d in ov.drawdown]})
        if chart == "movers":
            return pd.DataFrame(ov.movers, columns=["portfolio_id", "name", "email", "value", "pnl", "pnl_pct", "side"])
    if cd is not None:
        s = cd.series
        if chart == "client_value":
            return pd.DataFrame({"date": _iso(s.days), "value_usd": s.total, "crypto_usd": s.crypto,
                                 "stock_usd": s.stock, "cash_usd": s.cash, "net_flow_usd": s.net_flow,
                                 "twr_index": [round(i, 8) for i in s.index],
                                 "drawdown": [round(d, 8) for d in s.drawdown]})
        if chart == "client_holdings":
            return pd.DataFrame(cd.holdings, columns=["symbol", "name", "asset_type", "quantity", "avg_price", "price",
                                                      "value", "pnl", "pnl_pct"])
    raise InvalidInput("Unknown chart to export")


def export_csv(session: Session, *, actor: Actor, chart: Any, range_name: Any = DEFAULT_RANGE, date_from: Any = None,
               date_to: Any = None, client: Any = None) -> tuple[str, bytes]:
    """One chart's data as CSV (pandas); the export is audited (``portfolios.export``) in the same
    transaction. Returns (file name, bytes)."""
    _require(actor, Perm.PORTFOLIOS_EXPORT)
    if not isinstance(chart, str) or chart not in CHARTS:
        raise InvalidInput("Unknown chart to export")
    ov = cd = None
    if chart in OVERVIEW_CHARTS:
        ov = overview(session, actor=actor, range_name=range_name, date_from=date_from, date_to=date_to,
                      movers=chart == "movers")
        start, end = ov.start, ov.end
        target = None
    else:
        cd = client_detail(session, actor=actor, ref=client, range_name=range_name, date_from=date_from,
                           date_to=date_to)
        start, end = cd.series.start, cd.series.end
        target = cd.series.portfolio_id
    frame = _frame_for(chart, ov, cd)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    data = buffer.getvalue().encode()
    audit.record(
        session, actor=actor, action="portfolios.export", target_type="portfolio" if target else "portfolios",
        target_id=target, description=f"Exported {chart} ({start} to {end}) as CSV",
        details={"chart": chart, "from": start.isoformat(), "to": end.isoformat(), "rows": len(frame)},
    )
    suffix = f"-{str(target)[:8]}" if target else ""
    return f"portfolios-{chart}{suffix}-{start}-{end}.csv", data
