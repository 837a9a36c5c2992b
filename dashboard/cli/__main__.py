"""``python -m dashboard.cli <command>``: one parser, each command group registered by its module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dashboard.cli import audit, bench, db, seed, snapshot, staff, worker


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard.cli", description="Back-office dashboard tools")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (db, seed, snapshot, bench, staff, audit, worker):
        module.register(sub)
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
