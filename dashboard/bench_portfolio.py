"""Portfolio benchmarks: ``python -m dashboard.bench_portfolio [--url URL] [--repeat N]``.

Scenarios (timed through the services, as the page runs them, on an existing database, read-only):
- ``portfolio_overview_all``: the All-range overview data (daily totals, the TWR index and drawdown,
  monthly PnL, top movers);
- ``portfolio_client_chart``: one client's chart data (its snapshots over All, gaps, TWR, drawdown).

Each is compared with the naive way: load the same snapshots into pandas and aggregate there. Figures
are printed, never asserted. Default database: ``dashboard_bench_large`` on the configured server.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

from dashboard.db import make_engine, to_sqlalchemy_url
from dashboard.portfolios import queries as svc
from dashboard.core.actor import Actor

BENCH_ACTOR = Actor.system("bench@local")  # the reads check their actor: an officer or the system


@dataclass
class Figures:
    scenario: str
    runs: int
    median_ms: float
    p95_ms: float
    pandas_median_ms: float
    pandas_p95_ms: float

    @property
    def ratio(self) -> float:
        return self.pandas_median_ms / self.median_ms if self.median_ms else float("nan")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1))]


def _time(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm the cache and the pool
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _pandas_overview(session: Session) -> Any:
    """The naive overview: every snapshot into a DataFrame, then group by day in pandas."""
    import pandas as pd

    frame = pd.read_sql(sa.text("SELECT portfolio_id, snapshot_date, total_value, crypto_value, stock_value, "
                                "cash_value, net_flow FROM portfolio_snapshots"), session.connection())
    daily = frame.groupby("snapshot_date")[["total_value", "crypto_value", "stock_value", "cash_value",
                                            "net_flow"]].sum()
    daily["count"] = frame.groupby("snapshot_date").size()
    pnl = daily["total_value"].diff() - daily["net_flow"]
    index = (1 + pnl / daily["total_value"].shift(1)).fillna(1).cumprod()
    return daily, index / index.cummax() - 1


def _pandas_client(session: Session, pid: uuid.UUID) -> Any:
    import pandas as pd

    frame = pd.read_sql(sa.text("SELECT snapshot_date, total_value, net_flow FROM portfolio_snapshots "
                                "WHERE portfolio_id = :p"), session.connection(), params={"p": pid})
    frame = frame.set_index("snapshot_date").sort_index()
    r = (frame["total_value"] - frame["net_flow"]) / frame["total_value"].shift(1) - 1
    index = (1 + r.fillna(0)).cumprod()
    return frame, index / index.cummax() - 1


def run(url: str, repeat: int = 30, pandas_repeat: int = 5) -> list[Figures]:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    results = []
    try:
        with Session(engine) as session:
            session.execute(sa.text("SET TRANSACTION READ ONLY"))
            if session.execute(sa.text("SELECT to_regclass('portfolio_daily_totals')")).scalar_one() is None:
                raise SystemExit("portfolio_daily_totals is missing: migrate this database (alembic upgrade head; "
                                 "the migration fills it from the snapshots) or benchmark a migrated copy")
            pid = session.execute(sa.text(
                "SELECT portfolio_id FROM portfolio_snapshots WHERE snapshot_date = "
                "(SELECT max(snapshot_date) FROM portfolio_daily_totals) ORDER BY total_value DESC LIMIT 1"
            )).scalar_one()
            cases = [
                ("portfolio_overview_all", lambda: svc.overview(session, actor=BENCH_ACTOR, range_name="All"),
                 lambda: _pandas_overview(session)),
                ("portfolio_client_chart",
                 lambda: svc.client_series(session, actor=BENCH_ACTOR, portfolio_id=pid, range_name="All"),
                 lambda: _pandas_client(session, pid)),
            ]
            for name, ours, naive in cases:
                mine = _time(ours, repeat)
                theirs = _time(naive, pandas_repeat if name == "portfolio_overview_all" else repeat)
                results.append(Figures(name, repeat, round(statistics.median(mine), 2), round(_p95(mine), 2),
                                       round(statistics.median(theirs), 2), round(_p95(theirs), 2)))
            session.rollback()
    finally:
        engine.dispose()
    return results


def print_figures(results: list[Figures], *, database: str = "") -> None:
    """Both ways side by side: ours (SQL / daily totals) and pandas over the same snapshots."""
    if database:
        print(f"database: {database}")
    print(f"{'scenario':<26}{'runs':>6}{'median ms':>12}{'p95 ms':>10}{'pandas median':>16}{'pandas p95':>13}"
          f"{'ratio':>9}")
    for r in results:
        print(f"{r.scenario:<26}{r.runs:>6}{r.median_ms:>12.2f}{r.p95_ms:>10.2f}{r.pandas_median_ms:>16.2f}"
              f"{r.pandas_p95_ms:>13.2f}{r.ratio:>8.1f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.bench_portfolio")
    parser.add_argument("--url", help="database URL (default: dashboard_bench_large on the configured server)")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= 10_000:
        print("--repeat: expected 1 to 10,000", file=sys.stderr)
        return 2
    url = args.url
    if not url:
        from dashboard.db import resolve_database_url

        url = make_url(to_sqlalchemy_url(resolve_database_url())).set(database="dashboard_bench_large").render_as_string(
            hide_password=False)
    results = run(url, repeat=args.repeat)
    print_figures(results, database=make_url(to_sqlalchemy_url(url)).database or "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
