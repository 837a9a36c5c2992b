"""``python -m dashboard.cli snapshot [--date D] [--backfill FROM] [--rebuild-totals]``.

Exit codes: 0 done (including "nothing to do"), 2 refused (bad or future date, FROM after D, range too
long), 1 database error. Bad input writes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time

from dashboard.core.errors import InvalidInput
from dashboard.db import make_engine, resolve_database_url
from dashboard.services import snapshots


def cmd_snapshot(url: str, date: str | None = None, backfill: str | None = None, rebuild_totals: bool = False) -> int:
    try:
        days = snapshots.plan_days(date, backfill)
    except InvalidInput as exc:
        print(f"snapshot: {exc}", file=sys.stderr)
        return 2
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session

    engine = make_engine(url, pool_size=1, max_overflow=0)
    started = time.perf_counter()
    try:
        with Session(engine) as session, session.begin():
            if rebuild_totals:
                count = snapshots.rebuild_daily_totals(session)
                print(f"daily totals rebuilt from the snapshots: {count:,} days")
            run = snapshots.snapshot_days(session, days=days)
    except SQLAlchemyError as exc:
        print(f"snapshot: database error, nothing was written: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"{run.summary()} [{time.perf_counter() - started:.2f} s]")
    return 0


def _snapshot(args: argparse.Namespace) -> int:
    return cmd_snapshot(resolve_database_url(), args.date, args.backfill, args.rebuild_totals)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("snapshot", help="write each portfolio's daily snapshot (idempotent) and the daily totals")
    p.add_argument("--date", help="the day to snapshot, YYYY-MM-DD (default: yesterday, UTC)")
    p.add_argument("--backfill", metavar="FROM", help="also every day from FROM up to --date")
    p.add_argument("--rebuild-totals", action="store_true",
                   help="recompute portfolio_daily_totals from all snapshots first")
    p.set_defaults(func=_snapshot)
