"""Runs the generation steps in one transaction and prints the summary.

Order (foreign keys first): staff and customers with KYC -> portfolios, trades, transactions and
snapshots -> wallets, crypto orders and gift cards -> support tickets -> group treasury ->
notifications and status history. Everything is written in a single transaction, so a failed run
leaves the database as it was (generated files are removed too).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import date

import psycopg
from psycopg import sql
from tqdm import tqdm

from dashboard.db import to_libpq_url
from dashboard.seed import clock, crypto, groups, history, kyc, kyc_write, portfolios, report, support
from dashboard.seed import copy as fmt
from dashboard.seed.context import Context, Files, History
from dashboard.seed.customers import build_customers, write_users
from dashboard.seed.ids import Streams
from dashboard.seed.profiles import PROFILES, Profile
from dashboard.seed.staff import build_staff, start_hashing

# Tables the generator fills; all must be empty before it starts.
TABLES = ("users", "kyc_verifications", "kyc_documents", "compliance_records", "portfolios", "holdings", "trades",
          "portfolio_snapshots", "transactions", "wallets", "crypto_transactions", "gift_cards", "gift_card_orders",
          "support_tickets", "support_messages", "group", "group_membership", "account", "withdrawal_request",
          "approval", "payout", "payout_attempt", "payout_recovery", "ledger_entry", "webhook_event", "notifications",
          "status_history", "active_sessions", "portfolio_daily_totals")


def _is_production() -> bool:
    try:
        from dashboard.config import get_settings

        return get_settings().is_production
    except Exception:  # settings refuse to load in a half-configured production environment
        return os.environ.get("DASHBOARD_ENV", "").strip().lower() == "prod"


def _fail(message: str) -> int:
    print(f"seed: {message}", file=sys.stderr)
    return 2


def _preflight(conn: psycopg.Connection, if_empty: bool) -> int | None:
    """None when the database is ready for seeding, else the exit code (message printed)."""
    if conn.execute("SELECT to_regclass('public.users') IS NULL").fetchone()[0]:
        return _fail("the database is not migrated; run `python -m dashboard.cli migrate` first")
    conn.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")  # one seeder at a time
    users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
    if users and if_empty:
        print(f"seed: the database already has data ({users:,} users); nothing to do (--if-empty)")
        return 0
    busy = [t for t in TABLES if conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(t))).fetchone()[0]]
    if busy:
        return _fail(
            f"refusing to seed: the database already contains data ({users:,} users; non-empty tables: "
            f"{', '.join(busy[:4])}{f' and {len(busy) - 4} more' if len(busy) > 4 else ''}). "
            "Seeding needs an empty, migrated database: reset it (drop and re-create "
            "the database, then `python -m dashboard.cli migrate`) and run the seed again."
        )
    return None


def _people(ctx: Context) -> None:
    profile, streams = ctx.profile, ctx.streams
    accounts = profile.staff + ((profile.officer,) if profile.officer else ())
    hashing = start_hashing(accounts, streams)  # bcrypt in the background while we generate
    ctx.staff = build_staff(profile.staff, streams)
    journeys = kyc.draw_journeys(streams.np("journeys"), profile.customers, profile.officer is not None)
    ctx.customers = build_customers(profile, streams, journeys, kyc.APPROVED_JOURNEYS, None)
    rows = kyc.plan_kyc(ctx)
    hashes = [f.result() for f in hashing]
    if profile.officer:
        ctx.customers.password_hash[0] = hashes[-1]
    write_users(ctx, hashes[: len(profile.staff)])
    kyc_write.write(ctx, rows)


STEPS: list[tuple[str, Callable[[Context], None]]] = [
    ("staff, customers and KYC", _people),
    ("portfolios, trades, transactions, snapshots", portfolios.generate),
    ("wallets, crypto orders, gift cards", crypto.generate),
    ("support tickets", support.generate),
    ("group treasury", groups.generate),
    ("notifications and status history", history.generate),
]


def _load(ctx: Context, timings: list[tuple[str, float]]) -> None:
    for name, step in STEPS:
        started = time.perf_counter()
        if not ctx.quiet:
            tqdm.write(f"seed: {name} ...")
        step(ctx)
        timings.append((name, time.perf_counter() - started))


def _finish(conn: psycopg.Connection, ctx: Context, timings: list[tuple[str, float]]) -> dict[str, int]:
    started = time.perf_counter()
    conn.execute("ANALYZE")
    timings.append(("analyze", time.perf_counter() - started))
    return {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0] for t in TABLES}


def run(url: str, profile_name: str, seed: int, if_empty: bool, quiet: bool, as_of: date | None = None) -> int:
    profile: Profile | None = PROFILES.get(profile_name)
    if profile is None:
        return _fail(f"unknown profile {profile_name!r}; choose one of: demo, large")
    if any(a.password for a in profile.staff) and _is_production():
        return _fail(f"refusing to create the {profile.name} staff accounts (published passwords) with DASHBOARD_ENV=prod")
    try:
        clock.configure(*clock.calendar_for(as_of))
    except clock.FutureAsOf as exc:
        return _fail(f"{exc}: generate data as of today or an earlier day")
    started = time.perf_counter()
    timings: list[tuple[str, float]] = []
    with psycopg.connect(to_libpq_url(url)) as conn:
        code = _preflight(conn, if_empty)
        if code is not None:
            conn.rollback()
            return code
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '256MB'")
        ctx = Context(profile=profile, streams=Streams(seed), loader=fmt.Loader(conn, quiet=quiet), files=Files(),
                      history=History(profile.history), quiet=quiet)
        try:
            _load(ctx, timings)
            from dashboard.portfolios.snapshots import rebuild_daily_totals

            rebuild_daily_totals(conn)  # the AUM aggregate the snapshot job maintains
            conn.commit()
        except BaseException:
            conn.rollback()
            ctx.files.remove_all()
            raise
        counts = _finish(conn, ctx, timings)
        conn.commit()
    report.summary(profile, seed, counts, timings, time.perf_counter() - started, ctx)
    return 0
