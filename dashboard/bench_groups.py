"""Group-approval benchmark scenarios (issue 8): the request list and the request view.

Each scenario times the **whole service call** as the page makes it (``run_db``'s shape: one session,
one transaction, every query of the screen, Python formatting) and compares it with **raw SQL**: the
screen's main statement(s) run directly on a psycopg cursor, no ORM and no formatting.

- ``groups_list_admin_open`` / ``groups_list_admin_history``: ADMIN (every group), first page of 50.
- ``groups_list_officer_open``: the officer with the most groups, first page of open requests.
- ``groups_view_paid_request``: opening a PAID request of the busiest group (balance from
  ``group_balances``, 10 latest ledger rows, members, timeline, payouts, recoveries, actions).
  Raw: the request row, the balance row and the 10 latest ledger rows.

Needs migration 8d2f6b0e4c31 (``group_balances``). Read-only:
``python -m dashboard.bench_groups <database url> [repeat]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard.db import make_engine, to_libpq_url
from dashboard.core.permissions import GROUP_OFFICER
from dashboard.groups import queries
from dashboard.groups.access import officer_group_ids
from dashboard.core.actor import Actor


@dataclass
class Result:
    scenario: str
    runs: int
    median_ms: float
    p95_ms: float
    rows: int
    raw_median_ms: float
    ratio: float


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _time(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    fn()  # warm-up
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, out


def _context(engine: Engine) -> dict[str, Any]:
    with Session(engine) as s:
        admin = s.execute(sa.text("SELECT id FROM users WHERE role = 'ADMIN' ORDER BY created_at LIMIT 1")).scalar()
        officer = s.execute(sa.text(
            "SELECT user_id FROM group_membership WHERE removed_at IS NULL AND role_in_group IN ('OWNER','TREASURER') "
            "GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1")).scalar()
        busiest = s.execute(sa.text("SELECT group_id FROM ledger_entry GROUP BY group_id ORDER BY count(*) DESC "
                                    "LIMIT 1")).scalar()
        request = s.execute(sa.text("SELECT id FROM withdrawal_request WHERE group_id = :g AND status = 'PAID' "
                                    "ORDER BY created_at DESC LIMIT 1"), {"g": busiest}).scalar()
        viewer = s.execute(sa.text(
            "SELECT user_id FROM group_membership WHERE group_id = :g AND removed_at IS NULL "
            "AND role_in_group IN ('OWNER','TREASURER') LIMIT 1"), {"g": busiest}).scalar()
    return {"admin": Actor(user_id=admin, email="bench-admin", role="ADMIN"),
            "officer": Actor(user_id=officer, email="bench-officer", role=GROUP_OFFICER),
            "viewer": Actor(user_id=viewer, email="bench-viewer", role=GROUP_OFFICER),
            "request": request, "group": busiest}


LIST_RAW = """
SELECT w.id, g.name, g.approvals_required, w.amount_kobo, w.beneficiary, w.reason, w.status, w.expires_at,
       w.created_at, u.first_name, u.last_name, u.email,
       (SELECT count(*) FROM approval a JOIN group_membership m ON m.group_id = w.group_id
          AND m.user_id = a.approver_user_id AND m.removed_at IS NULL AND m.role_in_group IN ('OWNER', 'TREASURER')
        WHERE a.withdrawal_id = w.id)
FROM withdrawal_request w JOIN "group" g ON g.id = w.group_id JOIN users u ON u.id = w.requested_by
WHERE {where} ORDER BY w.created_at DESC, w.id DESC LIMIT 51
"""
OPEN = "(w.status = 'APPROVED' OR (w.status = 'PENDING' AND (w.expires_at IS NULL OR w.expires_at > now())))"
HISTORY = ("(w.status IN ('APPROVED', 'DECLINED', 'PAID') OR (w.status = 'PENDING' AND NOT "
           "(w.expires_at IS NULL OR w.expires_at > now())))")


def run(url: str, repeat: int = 50) -> list[Result]:
    import psycopg

    engine = make_engine(url, pool_size=1)
    raw_conn = psycopg.connect(to_libpq_url(make_engine(url).url.render_as_string(hide_password=False)),
                               autocommit=True)
    ctx = _context(engine)

    def service(fn: Callable[..., Any], **kw: Any) -> Callable[[], Any]:
        def call() -> Any:
            with Session(engine) as s, s.begin():
                return fn(s, **kw)
        return call

    def raw(*statements: tuple[str, dict[str, Any]]) -> Callable[[], Any]:
        def call() -> Any:
            with raw_conn.cursor() as cur:
                return [cur.execute(sql, params).fetchall() for sql, params in statements]
        return call

    officer_groups = []
    with Session(engine) as s:
        officer_groups = officer_group_ids(s, ctx["officer"].user_id)
    scenarios = [
        ("groups_list_admin_open", service(queries.list_requests, actor=ctx["admin"], tab="open"),
         raw((LIST_RAW.format(where=OPEN), {}))),
        ("groups_list_admin_history", service(queries.list_requests, actor=ctx["admin"], tab="history"),
         raw((LIST_RAW.format(where=HISTORY), {}))),
        ("groups_list_officer_open", service(queries.list_requests, actor=ctx["officer"], tab="open"),
         raw((LIST_RAW.format(where="w.group_id = ANY(%(g)s) AND " + OPEN), {"g": officer_groups}))),
        ("groups_view_paid_request", service(queries.open_request, actor=ctx["viewer"], request_id=str(ctx["request"])),
         raw(("SELECT * FROM withdrawal_request WHERE id = %(w)s", {"w": ctx["request"]}),
             ("SELECT balance_kobo FROM group_balances WHERE group_id = %(g)s", {"g": ctx["group"]}),
             (("SELECT id, created_at, type, amount_kobo, reference FROM ledger_entry WHERE group_id = %(g)s "
               "ORDER BY created_at DESC, id DESC LIMIT 10"), {"g": ctx["group"]}))),
    ]
    results = []
    try:
        for name, fn, raw_fn in scenarios:
            times, out = _time(fn, repeat)
            raw_times, _ = _time(raw_fn, repeat)
            rows = len(out.rows) if hasattr(out, "rows") else len(out.ledger)
            med, raw_med = statistics.median(times), statistics.median(raw_times)
            results.append(Result(name, repeat, med, _p95(times), rows, raw_med, med / raw_med if raw_med else 0.0))
    finally:
        raw_conn.close()
        engine.dispose()
    return results


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m dashboard.bench_groups <database url> [repeat]")
        return 2
    repeat = int(argv[1]) if len(argv) > 1 else 50
    print(f"{'scenario':<28} {'runs':>5} {'median ms':>10} {'p95 ms':>8} {'rows':>5} {'raw ms':>8} {'ratio':>6}")
    for r in run(argv[0], repeat):
        print(f"{r.scenario:<28} {r.runs:>5} {r.median_ms:>10.3f} {r.p95_ms:>8.3f} {r.rows:>5} "
              f"{r.raw_median_ms:>8.3f} {r.ratio:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
