"""Portfolio benchmarks, group ``portfolios``:
``python -m dashboard.cli bench --group portfolios [--profile P | --url URL] [--repeat N]``.

Scenarios (timed through the services, as the page runs them, on an existing database, read-only):
- ``portfolio_overview_all``: the All-range overview data (daily totals, the TWR index and drawdown,
  monthly PnL, top movers);
- ``portfolio_client_chart``: one client's chart data (its snapshots over All, gaps, TWR, drawdown).

Each is compared with the naive way: load the same snapshots into pandas and aggregate there. Figures
are printed, never asserted, in a table of their own (ours next to pandas).
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.bench.harness import Group, percentile, time_calls
from dashboard.core.actor import Actor
from dashboard.db import make_engine
from dashboard.services import portfolios as svc

BENCH_ACTOR = Actor(user_id=None, email="bench@local", role="MANAGER")


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


SCENARIOS = {
    "portfolio_overview_all": "the All-range overview (daily totals, TWR, drawdown, monthly PnL, movers) vs pandas",
    "portfolio_client_chart": "one client's chart over All (snapshots, gaps, TWR, drawdown) vs pandas",
}


def run(url: str, repeat: int = 30, pandas_repeat: int = 5, chosen: list[str] | None = None) -> list[Figures]:
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
                if chosen is not None and name not in chosen:
                    continue
                mine, _ = time_calls(ours, repeat)
                theirs, _ = time_calls(naive, pandas_repeat if name == "portfolio_overview_all" else repeat)
                results.append(Figures(name, repeat, round(statistics.median(mine), 2), round(percentile(mine, 95), 2),
                                       round(statistics.median(theirs), 2), round(percentile(theirs, 95), 2)))
            session.rollback()
    finally:
        engine.dispose()
    return results


def print_figures(results: list[Figures]) -> None:
    """Both ways side by side: ours (SQL / daily totals) and pandas over the same snapshots."""
    print("\nportfolios: ours (SQL, daily totals) next to pandas over the same snapshots")
    print(f"{'scenario':<26}{'runs':>6}{'median ms':>12}{'p95 ms':>10}{'pandas median':>16}{'pandas p95':>13}"
          f"{'ratio':>9}")
    for r in results:
        print(f"{r.scenario:<26}{r.runs:>6}{r.median_ms:>12.2f}{r.p95_ms:>10.2f}{r.pandas_median_ms:>16.2f}"
              f"{r.pandas_p95_ms:>13.2f}{r.ratio:>8.1f}x")


GROUP = Group(
    "portfolios",
    "the portfolio overview and a client's chart, next to the same snapshots aggregated in pandas",
    SCENARIOS,
    lambda context, chosen: run(context.url, repeat=context.repeat, chosen=chosen),
    printer=print_figures,
)
