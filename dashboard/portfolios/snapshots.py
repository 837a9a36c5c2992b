"""The nightly snapshot job: each portfolio's value at the end of a day (seed 001 ``portfolio_snapshots``).

A snapshot for day D is computed from the portfolio's holdings (quantity x current price, split by
asset type) and its cash, plus that day's completed deposits minus withdrawals (``net_flow``) and the
invested amount as of D (every completed flow up to D), so ``total_pnl = total - invested``.

- Idempotent: one snapshot per portfolio and day is a database constraint and the insert is
  ``ON CONFLICT DO NOTHING``; running a day twice writes nothing the second time and says so.
- Backfill: every day of a range, oldest first, in one transaction. The database keeps no price
  history, so a backfilled day is valued at the holdings' *current* prices and quantities (the flows and
  invested amounts are those of that day). Only missing rows are written; existing ones never change.
- ``portfolio_daily_totals`` is recomputed for every day written and the day after it (its
  ``daily_pnl`` links to the day before), in the same transaction; one summary audit entry per run
  (system actor).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Date
from sqlmodel import Session

from dashboard.audit import chain as audit
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput
from dashboard.core.validate import a_date

MAX_BACKFILL_DAYS = 3660
EARLIEST_DAY = date(2000, 1, 1)

_COMPLETED_FLOW = (
    "t.status = 'COMPLETED' AND t.transaction_type IN ('DEPOSIT', 'WITHDRAWAL')"
)
_SIGNED = "CASE WHEN t.transaction_type = 'DEPOSIT' THEN t.amount_usd ELSE -t.amount_usd END"

# One day's snapshots for every portfolio that existed by the end of the day. A flow belongs to the day
# it was processed (UTC), as in the generator.
_INSERT_DAY = text(f"""
WITH bounds AS (
    SELECT CAST(:day AS date) AS day,
           (CAST(:day AS date) + 1)::timestamp AT TIME ZONE 'UTC' AS day_end,
           CAST(:day AS date)::timestamp AT TIME ZONE 'UTC' AS day_start
), held AS (
    SELECT h.portfolio_id,
           coalesce(sum(round(h.quantity * h.current_price, 2)) FILTER (WHERE h.asset_type = 'CRYPTO'), 0) AS crypto,
           coalesce(sum(round(h.quantity * h.current_price, 2)) FILTER (WHERE h.asset_type = 'STOCK'), 0) AS stock
    FROM holdings AS h
    GROUP BY h.portfolio_id
), flows AS (
    SELECT t.user_id,
           coalesce(sum({_SIGNED}) FILTER (WHERE t.processed_at >= b.day_start), 0) AS day_flow,
           sum({_SIGNED}) AS invested
    FROM transactions AS t, bounds AS b
    WHERE {_COMPLETED_FLOW} AND t.processed_at < b.day_end
    GROUP BY t.user_id
), vals AS (
    SELECT p.id AS portfolio_id,
           coalesce(held.crypto, 0) AS crypto,
           coalesce(held.stock, 0) AS stock,
           p.cash_value AS cash,
           coalesce(flows.day_flow, 0) AS flow,
           coalesce(flows.invested, 0) AS invested
    FROM portfolios AS p
    CROSS JOIN bounds AS b
    LEFT JOIN held ON held.portfolio_id = p.id
    LEFT JOIN flows ON flows.user_id = p.user_id
    WHERE p.created_at < b.day_end
)
INSERT INTO portfolio_snapshots (portfolio_id, snapshot_date, total_value, crypto_value, stock_value, cash_value,
                                 net_flow, total_pnl, total_pnl_percent)
SELECT v.portfolio_id, b.day, v.crypto + v.stock + v.cash, v.crypto, v.stock, v.cash, v.flow,
       v.crypto + v.stock + v.cash - v.invested,
       CASE WHEN v.invested > 0
            THEN greatest(-999999.9999, least(999999.9999,
                 round((v.crypto + v.stock + v.cash - v.invested) * 100 / v.invested, 4)))
            ELSE 0 END
FROM vals AS v CROSS JOIN bounds AS b
ON CONFLICT (portfolio_id, snapshot_date) DO NOTHING
RETURNING portfolio_id
""")

_TOTALS_SELECT = """
SELECT s.snapshot_date, count(*), sum(s.total_value), sum(s.crypto_value), sum(s.stock_value),
       sum(s.cash_value), sum(s.net_flow), sum(s.total_pnl),
       coalesce(sum(s.total_value - p.total_value - s.net_flow) FILTER (WHERE p.portfolio_id IS NOT NULL), 0),
       coalesce(sum(p.total_value), 0)
FROM portfolio_snapshots AS s
LEFT JOIN portfolio_snapshots AS p
       ON p.portfolio_id = s.portfolio_id AND p.snapshot_date = s.snapshot_date - 1
"""
_TOTALS_COLUMNS = ("(snapshot_date, portfolio_count, total_value, crypto_value, stock_value, cash_value, "
                   "net_flow, total_pnl, daily_pnl, prev_value)")
_UPSERT_DAYS = text(
    f"INSERT INTO portfolio_daily_totals {_TOTALS_COLUMNS} {_TOTALS_SELECT} "
    "WHERE s.snapshot_date = ANY(:days) GROUP BY s.snapshot_date "
    "ON CONFLICT (snapshot_date) DO UPDATE SET portfolio_count = EXCLUDED.portfolio_count, "
    "total_value = EXCLUDED.total_value, crypto_value = EXCLUDED.crypto_value, "
    "stock_value = EXCLUDED.stock_value, cash_value = EXCLUDED.cash_value, net_flow = EXCLUDED.net_flow, "
    "total_pnl = EXCLUDED.total_pnl, daily_pnl = EXCLUDED.daily_pnl, prev_value = EXCLUDED.prev_value, "
    "updated_at = now()"
).bindparams(bindparam("days", type_=ARRAY(Date())))
_DELETE_EMPTY_DAYS = text(
    "DELETE FROM portfolio_daily_totals AS d WHERE d.snapshot_date = ANY(:days) "
    "AND NOT EXISTS (SELECT 1 FROM portfolio_snapshots AS s WHERE s.snapshot_date = d.snapshot_date)"
).bindparams(bindparam("days", type_=ARRAY(Date())))


@dataclass
class SnapshotRun:
    days: list[date]
    written: dict[date, int] = field(default_factory=dict)  # rows inserted per day
    portfolios: int = 0  # portfolios that existed on the last day

    @property
    def total_written(self) -> int:
        return sum(self.written.values())

    def summary(self) -> str:
        first, last = self.days[0], self.days[-1]
        span = f"{first}" if first == last else f"{first} to {last} ({len(self.days)} days)"
        if self.total_written == 0:
            return f"snapshots {span}: nothing to do, every portfolio already has its snapshot (0 rows written)"
        filled = sum(1 for n in self.written.values() if n)
        return (f"snapshots {span}: wrote {self.total_written:,} snapshot rows on {filled} day(s); "
                f"daily totals recomputed")


def yesterday_utc() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def parse_day(value: object, name: str = "date") -> date:
    """An ISO date (YYYY-MM-DD) from text or a date; refuses anything else with a clear message."""
    return a_date(value, name)


def plan_days(day: date | str | None = None, backfill_from: date | str | None = None,
              *, latest: date | None = None) -> list[date]:
    """The days a run covers: ``day`` (default yesterday, UTC), or ``backfill_from`` .. ``day``.

    A day is snapshotted once it has ended (UTC), so days after ``latest`` (yesterday) are refused."""
    latest = latest or yesterday_utc()
    end = parse_day(day, "--date") if day is not None else latest
    if end > latest:
        raise InvalidInput(f"--date: {end} has not ended yet (UTC); the latest day that can be snapshotted is {latest}")
    if end < EARLIEST_DAY:
        raise InvalidInput(f"--date: {end} is before {EARLIEST_DAY}")
    if backfill_from is None:
        return [end]
    start = parse_day(backfill_from, "--backfill")
    if start > end:
        raise InvalidInput(f"--backfill: {start} is after the end date {end}")
    if start < EARLIEST_DAY:
        raise InvalidInput(f"--backfill: {start} is before {EARLIEST_DAY}")
    count = (end - start).days + 1
    if count > MAX_BACKFILL_DAYS:
        raise InvalidInput(f"--backfill: {count:,} days is too long a range (at most {MAX_BACKFILL_DAYS:,})")
    return [start + timedelta(days=i) for i in range(count)]


def snapshot_days(session: Session, *, days: Sequence[date], actor: Actor | None = None) -> SnapshotRun:
    """Write the missing snapshots of ``days`` (oldest first), refresh their daily totals and write one
    audit entry, all in the caller's transaction."""
    if not days:
        raise InvalidInput("no day to snapshot")
    ordered = sorted(set(days))
    run = SnapshotRun(days=ordered)
    for day in ordered:
        run.written[day] = len(session.execute(_INSERT_DAY, {"day": day}).all())
    changed = [d for d, n in run.written.items() if n]
    if changed:
        refresh_daily_totals(session, days=changed)
        run.portfolios = session.execute(
            text("SELECT count(*) FROM portfolio_snapshots WHERE snapshot_date = :d"), {"d": ordered[-1]}
        ).scalar_one()
    audit.record(
        session,
        actor=actor or Actor.system("snapshot-job"),
        action="portfolios.snapshot",
        target_type="portfolio_snapshots",
        description=run.summary(),
        details={"from": ordered[0].isoformat(), "to": ordered[-1].isoformat(), "days": len(ordered),
                 "rows_written": run.total_written, "days_written": len(changed)},
    )
    return run


def refresh_daily_totals(session: Session, *, days: Sequence[date]) -> None:
    """Recompute ``portfolio_daily_totals`` for ``days`` and each following day (its daily PnL links to
    the day before)."""
    wanted = sorted({d for day in days for d in (day, day + timedelta(days=1))})
    session.execute(_UPSERT_DAYS, {"days": wanted})
    session.execute(_DELETE_EMPTY_DAYS, {"days": wanted})


REBUILD_SQL = (
    "DELETE FROM portfolio_daily_totals",
    f"INSERT INTO portfolio_daily_totals {_TOTALS_COLUMNS} {_TOTALS_SELECT} GROUP BY s.snapshot_date",
)


def rebuild_daily_totals(session_or_conn: Any) -> int:
    """Recompute every row of ``portfolio_daily_totals`` from the snapshots (after a bulk load such as
    the data generator's COPY), in the caller's transaction; returns the number of days.

    Takes a SQLAlchemy/SQLModel session or a plain psycopg connection (the seed runner's)."""
    if isinstance(session_or_conn, psycopg.Connection):
        session_or_conn.execute(REBUILD_SQL[0])
        return session_or_conn.execute(REBUILD_SQL[1]).rowcount or 0
    session_or_conn.execute(text(REBUILD_SQL[0]))
    return session_or_conn.execute(text(REBUILD_SQL[1])).rowcount or 0
