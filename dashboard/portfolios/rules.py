"""Portfolios: the vocabulary (ranges, limits), the money/percent formatting of the screen, range
parsing and the pure chart maths. No database and no Reflex.

- Returns are time-weighted: ``r_t = (V_t - F_t) / V_{t-1} - 1`` chained into an index, so deposits never
  hide losses; drawdown is measured on that index from its high-water mark.
- Missing days stay ``None`` (a gap, never interpolated); downsampling never bridges a gap.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dashboard.core.errors import InvalidInput
from dashboard.core.validate import a_date

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

OVERVIEW_CHARTS = ("aum", "pnl_daily", "pnl_monthly", "flows", "drawdown", "movers")
CLIENT_CHARTS = ("client_value", "client_holdings")
CHARTS = OVERVIEW_CHARTS + CLIENT_CHARTS


# --- formatting -----------------------------------------------------------------------------------
def fmt_money(value: Decimal | int | float | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "−" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def fmt_price(value: Decimal | int | None) -> str:
    """A unit price with the digits it has, at least cents: "$94,250.00", "$0.1049" (never rounded to the
    cent: a coin worth a few cents would lose several percent)."""
    if value is None:
        return "—"
    amount = Decimal(value).normalize()
    places = max(2, -amount.as_tuple().exponent) if amount.as_tuple().exponent < 0 else 2
    sign = "−" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{places}f}"


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


def gap_labels(gaps: Sequence[tuple[date, date]]) -> list[str]:
    """Runs of missing days as display text: one day, or "first to last (n days)"."""
    out = []
    for a, b in gaps:
        n = (b - a).days + 1
        out.append(a.isoformat() if n == 1 else f"{a.isoformat()} to {b.isoformat()} ({n} days)")
    return out


def iso_days(days: Sequence[date]) -> list[str]:
    return [d.isoformat() for d in days]


# --- ranges and ids -------------------------------------------------------------------------------
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
    return a_date(value, name)


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


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def parse_ref(value: Any) -> uuid.UUID:
    if not isinstance(value, str) or not (30 <= len(value.strip()) <= 40):
        raise InvalidInput("That is not a portfolio or customer id")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidInput("That is not a portfolio or customer id") from None


# --- chart maths ----------------------------------------------------------------------------------
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


def missing_days(gaps: Sequence[tuple[date, date]]) -> str:
    """How many days the gaps cover, as display text."""
    return str(sum((b - a).days + 1 for a, b in gaps))
