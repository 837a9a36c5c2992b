"""``seed --profile demo|large [--as-of YYYY-MM-DD]``: deterministic demo or benchmark data (``dashboard.seed``)."""

from __future__ import annotations

import argparse

from dashboard.cli.args import iso_day, seed_value
from dashboard.db import resolve_database_url


def _seed(args: argparse.Namespace) -> int:
    from dashboard.seed import run_seed

    return run_seed(url=resolve_database_url(), profile=args.profile, seed=args.seed, if_empty=args.if_empty,
                    quiet=args.quiet, as_of=args.as_of)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("seed", help="load deterministic demo or benchmark data")
    p.add_argument("--profile", choices=["demo", "large"], default="demo")
    p.add_argument("--seed", type=seed_value, default=20261122, help="random seed (same seed, same rows)")
    p.add_argument("--as-of", type=iso_day, default=None, metavar="YYYY-MM-DD",
                   help="the data's today (default: the day it runs, UTC); a past day makes the rows "
                        "repeatable: same seed and as-of, same rows")
    p.add_argument("--if-empty", action="store_true", help="do nothing when the database already has users")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_seed)
