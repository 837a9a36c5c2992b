"""``bench``: the one entry point of the benchmarks (``dashboard.bench.runner``; ``--list`` names them)."""

from __future__ import annotations

import argparse
import sys

from dashboard.bench.runner import GROUPS, BenchRefused, list_scenarios, run_bench
from dashboard.cli.args import positive_int


def _bench(args: argparse.Namespace) -> int:
    if args.list:
        list_scenarios()
        return 0
    try:
        return run_bench(profile=args.profile, groups=args.group, scenarios=args.scenario, repeat=args.repeat,
                         database_url=args.url, writes=args.writes, reseed=args.reseed, quiet=args.quiet,
                         json_path=args.json)
    except BenchRefused as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="run benchmark scenarios on a database loaded with a profile")
    p.add_argument("--profile", choices=["demo", "large"], default="demo")
    p.add_argument("--reseed", action="store_true", help="drop and reload the profile's bench database")
    p.add_argument("--quiet", action="store_true", help="no progress bars while seeding")
    p.add_argument("--group", action="append", choices=[*GROUPS, "all"],
                   help="scenario group (repeatable); default: " + ", ".join(g for g in GROUPS if GROUPS[g].default))
    p.add_argument("--scenario", action="append", help="scenario name (repeatable); default: all of the groups")
    p.add_argument("--repeat", type=positive_int, default=30, help="timed runs per scenario")
    p.add_argument("--url", help="benchmark this existing database as it is (never migrated, seeded or written)")
    p.add_argument("--writes", action="store_true", help="also time the write scenarios, on a scratch copy")
    p.add_argument("--json", help="also write the results as JSON to this file")
    p.add_argument("--list", action="store_true", help="list the groups and their scenarios and exit")
    p.set_defaults(func=_bench)
