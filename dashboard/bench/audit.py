"""``python -m dashboard.cli audit bench``: the verify time and the audit page's first-page timings
(median / p95), on the configured database. Figures are printed, never asserted.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from dashboard.bench.harness import percentile
from dashboard.core.actor import Actor
from dashboard.db import make_engine
from dashboard.audit.queries import list_entries
from dashboard.audit.verify import verify_chain


def bench_scenarios(session: Any) -> dict[str, dict[str, Any]]:
    """Filters for the list benchmark, picked from the data so that each one matches something."""
    head = session.execute(text(
        "SELECT actor_id::text, actor_email FROM activity_logs WHERE actor_email <> 'system' ORDER BY seq DESC LIMIT 1"
    )).first()
    bounds = session.execute(text("SELECT min(seq), max(seq) FROM activity_logs")).one()
    middle = (bounds[0] + bounds[1]) // 2 if bounds[0] is not None else 0
    target = session.execute(text(
        "SELECT target_type, target_id FROM activity_logs WHERE seq >= :s AND target_type = 'kyc_verification' "
        "ORDER BY seq LIMIT 1"), {"s": middle}
    ).first()
    day = session.execute(text("SELECT (created_at AT TIME ZONE 'UTC')::date FROM activity_logs WHERE seq >= :s "
                               "ORDER BY seq LIMIT 1"), {"s": middle}).scalar()
    scenarios: dict[str, dict[str, Any]] = {"no filter": {}}
    if head:
        scenarios["actor e-mail substring"] = {"actor": head[1].split("@")[0]}
        if head[0]:
            scenarios["actor id"] = {"actor": head[0]}
    scenarios["action exact (kyc.approve)"] = {"action": "kyc.approve"}
    scenarios["action prefix (kyc.)"] = {"action": "kyc."}
    scenarios["rare action (staff.update_role)"] = {"action": "staff.update_role"}
    if target:
        scenarios["target"] = {"target_type": target[0], "target_id": target[1]}
    scenarios["target type only"] = {"target_type": "withdrawal_request"}
    if day:
        scenarios["date range (30 days, mid-history)"] = {
            "date_from": day.isoformat(), "date_to": (day + timedelta(days=29)).isoformat()}
        scenarios["one day, mid-history"] = {"date_from": day.isoformat(), "date_to": day.isoformat()}
        if head:
            scenarios["actor + action prefix + 30 days"] = {
                "actor": head[1].split("@")[0], "action": "kyc.", "date_from": day.isoformat(),
                "date_to": (day + timedelta(days=29)).isoformat()}
    return scenarios


def _timed_pages(session: Any, officer: Actor, filters: dict[str, Any], after_seq: int | None,
                 runs: int) -> tuple[list[float], Any]:
    """``runs`` timed calls of the audit page's list (one page of 50), each in its own transaction."""
    timings, page = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        page = list_entries(session, actor=officer, filters=filters, after_seq=after_seq, limit=50)
        timings.append((time.perf_counter() - t0) * 1000)
        session.rollback()
    return timings, page


def run_audit_bench(url: str, *, runs: int = 30, verify: bool = True, out: Any = None) -> int:
    """Print the verify time and the audit page's first-page timings (median / p95 over ``runs``)."""
    out = out or sys.stdout
    officer = Actor.system("cli")
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with Session(engine) as session:
            total = session.execute(text("SELECT count(*) FROM activity_logs")).scalar_one()
            print(f"activity_logs: {total:,} rows", file=out)
            if verify:
                result = verify_chain(session, actor=officer)
                print(f"verify: {result.summary()}", file=out)
            print(f"{'first page of 50':<36} {'median ms':>10} {'p95 ms':>8} {'rows':>5}  2nd page ms", file=out)
            for name, filters in bench_scenarios(session).items():
                timings, page = _timed_pages(session, officer, filters, None, runs)
                second: list[float] = []
                if page.next_cursor is not None:
                    second, _ = _timed_pages(session, officer, filters, page.next_cursor, max(1, runs // 3))
                print(
                    f"{name:<36} {percentile(timings, 50):>10.2f} {percentile(timings, 95):>8.2f} "
                    f"{len(page.entries):>5}  " + (f"{percentile(second, 50):.2f}" if second else "-"),
                    file=out,
                )
    finally:
        engine.dispose()
    return 0
