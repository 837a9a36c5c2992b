"""Command line: ``python -m dashboard.cli <command>``.

Commands:
  migrate                 alembic upgrade head on the configured database
  seed --profile P        load deterministic demo (P=demo) or benchmark (P=large) data
  bench                   run named benchmark scenarios and print a table and JSON
  snapshot [--date D] [--backfill FROM]
                          each portfolio's daily snapshot (idempotent) and the daily AUM totals
  db-url                  print the database URL in use (starting the embedded server if needed)
  db-stop                 stop the embedded server
  audit verify            check the whole audit hash chain (exit 1 names the first bad row)
  audit fill --rows N     append N synthetic chained audit entries (benchmarks)
  audit bench             time audit verify and the audit page's first pages
  create-admin --email E --first-name F --last-name L
                          create an ADMIN (password from DASHBOARD_ADMIN_PASSWORD or asked twice)

Every argument is validated; bad input exits with status 2 and a clear message, writing nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dashboard.db import resolve_database_url


def migrate_url(url: str, revision: str = "heads") -> None:
    from alembic import command
    from alembic.config import Config

    from dashboard.config import PROJECT_ROOT

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, revision)


def _cmd_migrate(args: argparse.Namespace) -> int:
    migrate_url(resolve_database_url())
    print("database migrated to head")
    return 0


def _cmd_db_url(args: argparse.Namespace) -> int:
    print(resolve_database_url())
    return 0


def _cmd_db_stop(args: argparse.Namespace) -> int:
    from dashboard.config import get_settings
    from dashboard.devdb import stop_embedded

    settings = get_settings()
    if settings.database_url:
        print("DATABASE_URL is set: not stopping an external server")
        return 0
    stop_embedded(settings.embedded_pg_dir)
    print("embedded PostgreSQL stopped")
    return 0


def _cmd_seed(args: argparse.Namespace) -> int:
    from dashboard.seed import run_seed

    return run_seed(
        url=resolve_database_url(),
        profile=args.profile,
        seed=args.seed,
        if_empty=args.if_empty,
        quiet=args.quiet,
    )


def _cmd_bench(args: argparse.Namespace) -> int:
    from dashboard.bench import run_bench

    return run_bench(
        url=resolve_database_url(),
        profile=args.profile,
        reseed=args.reseed,
        quiet=args.quiet,
        scenarios=args.scenario,
        repeat=args.repeat,
        json_path=args.json,
        list_only=args.list,
    )


def _cmd_snapshot(args: argparse.Namespace) -> int:
    from dashboard.snapshot_cli import cmd_snapshot

    return cmd_snapshot(resolve_database_url(), args.date, args.backfill, args.rebuild_totals)


def _cmd_audit_verify(args: argparse.Namespace) -> int:
    from dashboard.audit_tools import cmd_verify

    return cmd_verify(resolve_database_url())


def _cmd_audit_fill(args: argparse.Namespace) -> int:
    from dashboard.audit_tools import cmd_fill

    return cmd_fill(resolve_database_url(), rows=args.rows, seed=args.seed)


def _cmd_audit_bench(args: argparse.Namespace) -> int:
    from dashboard.audit_tools import cmd_bench

    return cmd_bench(resolve_database_url(), runs=args.repeat, verify=not args.no_verify)


def _bounded_int(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or value > high:
            raise argparse.ArgumentTypeError(f"expected a number from {low:,} to {high:,}, got {value:,}")
        return value

    return parse


_positive_int = _bounded_int(1, 100_000)
_seed_value = _bounded_int(1, 2**31 - 1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard.cli", description="Back-office dashboard tools")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply all migrations (alembic upgrade head)")
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("db-url", help="print the database URL in use")
    p.set_defaults(func=_cmd_db_url)

    p = sub.add_parser("db-stop", help="stop the embedded PostgreSQL (when DATABASE_URL is unset)")
    p.set_defaults(func=_cmd_db_stop)

    p = sub.add_parser("seed", help="load deterministic demo or benchmark data")
    p.add_argument("--profile", choices=["demo", "large"], default="demo")
    p.add_argument("--seed", type=_seed_value, default=20261122, help="random seed (same seed, same rows)")
    p.add_argument("--if-empty", action="store_true", help="do nothing when the database already has users")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_seed)

    p = sub.add_parser("snapshot", help="write each portfolio's daily snapshot (idempotent) and the daily totals")
    p.add_argument("--date", help="the day to snapshot, YYYY-MM-DD (default: yesterday, UTC)")
    p.add_argument("--backfill", metavar="FROM", help="also every day from FROM up to --date")
    p.add_argument("--rebuild-totals", action="store_true",
                   help="recompute portfolio_daily_totals from all snapshots first")
    p.set_defaults(func=_cmd_snapshot)

    p = sub.add_parser("bench", help="run benchmark scenarios on a database loaded with a profile")
    p.add_argument("--profile", choices=["demo", "large"], default="demo")
    p.add_argument("--reseed", action="store_true", help="drop and reload the profile's bench database")
    p.add_argument("--quiet", action="store_true", help="no progress bars while seeding")
    p.add_argument("--scenario", action="append", help="scenario name (repeatable); default: all")
    p.add_argument("--repeat", type=_positive_int, default=30, help="timed runs per scenario")
    p.add_argument("--json", help="also write the results as JSON to this file")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    p.set_defaults(func=_cmd_bench)
    from dashboard.auth_cli import add_create_admin_parser

    add_create_admin_parser(sub)

    from dashboard.audit_tools import row_count

    p = sub.add_parser("audit", help="the audit log: verify the hash chain, fill synthetic entries, benchmark")
    audit_sub = p.add_subparsers(dest="audit_command", required=True)
    q = audit_sub.add_parser("verify", help="walk the whole chain; exit 0 when intact, 1 when broken")
    q.set_defaults(func=_cmd_audit_verify)
    q = audit_sub.add_parser("fill", help="append N synthetic, correctly chained entries with COPY (benchmarks)")
    q.add_argument("--rows", type=row_count, required=True, help="how many entries (1 to 20,000,000)")
    q.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    q.set_defaults(func=_cmd_audit_fill)
    q = audit_sub.add_parser("bench", help="time verify and the audit page's first page per filter")
    q.add_argument("--repeat", type=_positive_int, default=30, help="timed runs per scenario")
    q.add_argument("--no-verify", action="store_true", help="skip the full verify")
    q.set_defaults(func=_cmd_audit_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
