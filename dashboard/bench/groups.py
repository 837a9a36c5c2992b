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
``python -m dashboard.cli bench --group groups [--url <database url>] [--repeat N]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard.bench.harness import Context, Group, Result, time_calls, timed_result
from dashboard.groups import queries
from dashboard.groups.access import officer_group_ids
from dashboard.core.actor import Actor
from dashboard.core.permissions import GROUP_OFFICER
from dashboard.db import make_engine, to_libpq_url


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


SCENARIOS = {
    "groups_list_admin_open": "ADMIN, every group: first page of open requests",
    "groups_list_admin_history": "ADMIN, every group: first page of the history",
    "groups_list_officer_open": "the officer with the most groups: first page of open requests",
    "groups_view_paid_request": "opening a PAID request of the busiest group",
}


def run(url: str, repeat: int = 30, chosen: list[str] | None = None) -> list[Result]:
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
            if chosen is not None and name not in chosen:
                continue
            times, out = time_calls(fn, repeat)
            raw_times, _ = time_calls(raw_fn, repeat)
            rows = len(out.rows) if hasattr(out, "rows") else len(out.ledger)
            results.append(timed_result(name, times, rows, raw_times))
    finally:
        raw_conn.close()
        engine.dispose()
    return results


def _run(context: Context, chosen: list[str]) -> list[Result]:
    return run(context.url, repeat=context.repeat, chosen=chosen)


GROUP = Group("groups", "group withdrawal requests: the list and one request, next to raw SQL", SCENARIOS, _run)
