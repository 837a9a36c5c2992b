"""``python -m dashboard.cli audit verify | checkpoint | fill | bench``: the audit log's hash chain.

- ``verify``: walk the whole chain and check the last signed checkpoint; print rows checked, time, and
  "chain intact" (then sign a new checkpoint of the head) or the first altered / removed / inserted row,
  or the checkpoint that no longer matches. Exit status 0 when intact, 1 when broken.
- ``checkpoint``: check the last checkpoint and the rows after it, then sign the head into the
  checkpoint file (``dashboard.audit.checkpoint``); run periodically. Exit 1 (nothing written) when broken.
- ``fill --rows N``: append N synthetic, correctly chained entries with COPY (``dashboard.bench.audit_fill``).
- ``bench``: the verify time and the audit page's first-page timings (``dashboard.bench.audit``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import psycopg

from dashboard.bench.audit_fill import MAX_FILL_ROWS, fill_synthetic
from dashboard.cli.args import positive_int
from dashboard.db import resolve_database_url, to_libpq_url
from dashboard.audit.checkpoint import sign_head
from dashboard.audit.verify import CHECKPOINT, verify_chain
from dashboard.core.actor import Actor


def row_count(text: str) -> int:
    """argparse type for ``audit fill --rows``: a whole number from 1 to 20,000,000."""
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1 or value > MAX_FILL_ROWS:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to {MAX_FILL_ROWS:,}, got {value:,}")
    return value


def cmd_verify(url: str, *, batch: int = 20_000, out: Any = None, since_checkpoint: bool = False) -> int:
    """Verify the chain on ``url`` (the whole of it, or from the last checkpoint); print the outcome; when
    intact sign a checkpoint of the head. 0 when intact, 1 when broken."""
    out = out or sys.stdout
    with psycopg.connect(to_libpq_url(url)) as conn:
        conn.read_only = True
        result = verify_chain(conn, actor=Actor.system("cli"), batch=batch, since_checkpoint=since_checkpoint)
        db = conn.execute("SELECT current_database()").fetchone()[0]
        conn.rollback()
    print(f"rows checked: {result.rows_checked:,}", file=out)
    print(f"time: {result.elapsed:.2f} s", file=out)
    if not result.ok:
        if result.kind == CHECKPOINT:
            print(f"chain UNVERIFIABLE: {result.detail}", file=out)
        else:
            print(f"chain BROKEN: first {result.kind_label} row: seq {result.bad_seq}, id {result.bad_id}\n"
                  f"  {result.detail}", file=out)
        return 1
    head = f" (head seq {result.last_seq})" if result.last_seq is not None else " (the log is empty)"
    print(f"chain intact{head}", file=out)
    message = sign_head(db, result, incremental=since_checkpoint)
    if not message.startswith("the log is empty"):
        print(message, file=out)
    return 0


def cmd_checkpoint(url: str, *, out: Any = None) -> int:
    """Check the last checkpoint and the rows after it, then sign the head (0), or exit 1 when broken."""
    return cmd_verify(url, out=out, since_checkpoint=True)


def cmd_fill(url: str, *, rows: int, seed: int = 1, out: Any = None) -> int:
    out = out or sys.stdout
    elapsed = fill_synthetic(url, rows, seed)
    print(f"appended {rows:,} audit entries in {elapsed:.1f} s ({rows / max(elapsed, 1e-9):,.0f} rows/s)", file=out)
    return 0


def _verify(args: argparse.Namespace) -> int:
    return cmd_verify(resolve_database_url())


def _checkpoint(args: argparse.Namespace) -> int:
    return cmd_checkpoint(resolve_database_url())


def _fill(args: argparse.Namespace) -> int:
    return cmd_fill(resolve_database_url(), rows=args.rows, seed=args.seed)


def _bench(args: argparse.Namespace) -> int:
    from dashboard.bench.audit import run_audit_bench

    return run_audit_bench(resolve_database_url(), runs=args.repeat, verify=not args.no_verify)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="the audit log: verify the hash chain, sign checkpoints, fill synthetic entries, benchmark")
    audit_sub = p.add_subparsers(dest="audit_command", required=True)
    q = audit_sub.add_parser("verify", help="walk the whole chain; exit 0 when intact, 1 when broken")
    q.set_defaults(func=_verify)
    q = audit_sub.add_parser("checkpoint", help="sign the chain's head into the checkpoint file (run periodically)")
    q.set_defaults(func=_checkpoint)
    q = audit_sub.add_parser("fill", help="append N synthetic, correctly chained entries with COPY (benchmarks)")
    q.add_argument("--rows", type=row_count, required=True, help="how many entries (1 to 20,000,000)")
    q.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    q.set_defaults(func=_fill)
    q = audit_sub.add_parser("bench", help="time verify and the audit page's first page per filter")
    q.add_argument("--repeat", type=positive_int, default=30, help="timed runs per scenario")
    q.add_argument("--no-verify", action="store_true", help="skip the full verify")
    q.set_defaults(func=_bench)
