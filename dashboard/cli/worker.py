"""``python -m dashboard.cli worker [--concurrency N] [--queue Q ...] [--once]``: a job worker
(dashboard/jobs). Start as many as needed, on any machine that reaches the database; each one takes
jobs from the queues with row locks in PostgreSQL, so no job runs twice at once. ``--once`` runs what
is due now and exits (catch-up by hand, or from cron where no worker runs)."""

from __future__ import annotations

import argparse
import logging

from dashboard.cli.args import bounded_int
from dashboard.db import resolve_database_url


def _worker(args: argparse.Namespace) -> int:
    from dashboard.jobs import engine

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return engine.main(resolve_database_url(), concurrency=args.concurrency, queues=args.queue or None,
                       once=args.once)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run a background job worker (exports, schedules, deliveries)")
    p.add_argument("--concurrency", type=bounded_int(1, 64), default=2, help="jobs run at once by this worker (default 2)")
    p.add_argument("--queue", action="append", choices=("default", "schedules"),
                   help="only these queues (repeatable; default: all)")
    p.add_argument("--once", action="store_true", help="run the jobs due now, then exit")
    p.set_defaults(func=_worker)
