"""Benchmarks of the transaction queues (issue 5), group ``transactions``:
``python -m dashboard.cli bench --group transactions --profile demo|large [--repeat N] [--writes]``.

Reads (``harness.Scenario``s run by ``harness.run_scenario``: the app's SQL through SQLAlchemy, timed,
next to the same SQL's ``EXPLAIN (ANALYZE)`` time): the first page of each queue with and without a
filter, on the profile's bench database (``dashboard_bench_<profile>``; created and seeded only when
missing). An existing database is used as it is, through read-only transactions: it is never migrated
or written. The service call itself (``list_queue``: query + formatting to display strings) is timed too.

Writes (``--writes``): one approval and a bulk approval of 100 deposits, on a scratch copy
(``CREATE DATABASE bench_tx_scratch_<profile> TEMPLATE dashboard_bench_<profile>``, dropped at the
end), through the real service (lock, balance, status history, notification, outbox, audit) with
one transaction per item. "raw" for a write is the same item's bare SQL (lock + conditional UPDATE +
portfolio UPDATE) in psycopg, rolled back.

Figures are printed, never asserted.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.sql import Select
from sqlmodel import Session

from dashboard.bench.harness import (
    Context, Group, Result, Scenario, admin_connection, bench_database, database_url, run_scenario, time_calls,
    timed_result,
)
from dashboard.core.actor import Actor
from dashboard.db import make_engine, to_libpq_url
from dashboard.transactions import actions, queries
from dashboard.transactions.bulk import decide_many
from dashboard.transactions.queue_sql import page_query
from dashboard.transactions.rules import PAGE_SIZE, Queue, parse_filters


def _page(queue: str, filters: dict[str, str] | None = None):
    def build(session: Session, ctx: dict[str, Any]) -> Select:
        wanted = dict(filters or {})
        if wanted.get("user") == "{email}":
            wanted["user"] = ctx["email"]
        return page_query(Queue(queue), parse_filters(queue, wanted), limit=PAGE_SIZE + 1)
    return build


def _some_email(session: Session) -> dict[str, Any]:
    email = session.execute(text(
        "SELECT u.email FROM transactions t JOIN users u ON u.id = t.user_id "
        "WHERE t.status IN ('PENDING','AWAITING_SECOND_APPROVAL') ORDER BY t.created_at LIMIT 1")).scalar()
    return {"email": email or "nobody@example.com"}


SQL_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("tx_deposits_first_page", "deposits & withdrawals, oldest first", _page("deposits")),
    Scenario("tx_deposits_withdrawals_only", "filter type = WITHDRAWAL", _page("deposits", {"type": "WITHDRAWAL"})),
    Scenario("tx_deposits_eur_over_100", "filter currency EUR, amount >= 100", _page(
        "deposits", {"currency": "EUR", "min_amount": "100"})),
    Scenario("tx_deposits_largest_first", "sort by amount, largest first", _page("deposits", {"sort": "amount_desc"})),
    Scenario("tx_deposits_one_customer", "filter by a customer's e-mail", _page("deposits", {"user": "{email}"}),
             setup=_some_email),
    Scenario("tx_crypto_first_page", "crypto buy & sell, oldest first", _page("crypto")),
    Scenario("tx_crypto_sells_momo", "filter type SELL, method MOMO", _page("crypto", {"type": "SELL", "method": "MOMO"})),
    Scenario("tx_crypto_largest_first", "crypto by amount, largest first", _page("crypto", {"sort": "amount_desc"})),
    Scenario("tx_gift_cards_first_page", "gift-card orders, oldest first", _page("gift_cards")),
    Scenario("tx_gift_cards_over_1000", "gift-card payout >= 1000 cedis", _page("gift_cards", {"min_amount": "1000"})),
)


VIEWER = Actor(user_id=None, email="bench@local", role="TREASURER")
SERVICE_READS = {f"svc_{q.value}_first_page": q for q in Queue}
COUNTS = "svc_queue_counts"
APPROVE_ONE, BULK_APPROVE = "tx_approve_one", "tx_bulk_approve_100"


def service_reads(engine: Engine, repeat: int, chosen: list[str]) -> list[Result]:
    """The service calls as the page makes them: query + formatting to display strings."""
    results = []
    with Session(engine) as session:
        for name in chosen:
            if name in SERVICE_READS:
                queue = SERVICE_READS[name]
                timings, page = time_calls(lambda: queries.list_queue(session, actor=VIEWER, queue=queue), repeat)
                results.append(timed_result(name, timings, len(page.rows)))
            elif name == COUNTS:
                timings, _ = time_calls(lambda: queries.queue_counts(session, actor=VIEWER), repeat)
                results.append(timed_result(name, timings, 3))
        session.rollback()
    return results


# --- writes on a scratch copy -------------------------------------------------------------------
@contextmanager
def scratch_copy(server_url: str, profile: str) -> Iterator[str]:
    """``bench_tx_scratch_<profile>``, a copy of the profile's bench database, dropped at the end."""
    source, _ = bench_database(server_url, profile)
    name = f"bench_tx_scratch_{profile}"
    with admin_connection(server_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    try:
        yield database_url(server_url, name)
    finally:
        with admin_connection(server_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _approvable(session: Session, n: int) -> list[str]:
    """Pending fiat deposits of STOCK customers (they pass every rule), oldest first."""
    return [str(r[0]) for r in session.execute(text(
        "SELECT t.id FROM transactions t JOIN users u ON u.id = t.user_id "
        "WHERE t.status = 'PENDING' AND t.transaction_type = 'DEPOSIT' AND u.account_type = 'STOCK' "
        "AND t.method IN ('WIRE_TRANSFER','ACH','CARD') AND t.currency NOT IN ('BTC','ETH','USDT','USDC') "
        "ORDER BY t.created_at, t.id LIMIT :n"), {"n": n}).all()]


def _ensure_pending(session: Session, n: int) -> None:
    """Top the scratch copy up with small pending fiat deposits of KYC-approved STOCK customers, so a
    small profile (demo) also has enough approvable items. Only ever run on the scratch copy."""
    have = len(_approvable(session, n))
    if have >= n:
        return
    session.execute(text(
        "INSERT INTO transactions (user_id, reference, transaction_type, amount, currency, amount_usd, method, "
        "status, created_at, updated_at) "
        "SELECT u.id, 'BENCH-' || substr(md5(random()::text || g::text), 1, 20), 'DEPOSIT', 10, 'USD', 10, "
        "'WIRE_TRANSFER', 'PENDING', now() - (g || ' seconds')::interval, now() "
        "FROM generate_series(1, :k) AS g "
        "CROSS JOIN LATERAL (SELECT id FROM users WHERE role = 'CUSTOMER' AND account_type = 'STOCK' "
        "AND kyc_status = 'APPROVED' AND g > 0 ORDER BY id OFFSET (g % 50) LIMIT 1) AS u"), {"k": n - have})
    session.commit()


def _treasurer(session: Session) -> Actor:
    row = session.execute(text("SELECT id, email FROM users WHERE role = 'TREASURER' AND is_active LIMIT 1")).first()
    if row is None:
        uid = uuid.uuid4()
        session.execute(text("INSERT INTO users (id, email, first_name, last_name, role, platform) "
                             "VALUES (:id, :e, 'Bench', 'Treasurer', 'TREASURER', 'STAFF')"),
                        {"id": uid, "e": f"bench-{uid.hex[:6]}@local"})
        session.commit()
        return Actor(user_id=uid, email=f"bench-{uid.hex[:6]}@local", role="TREASURER")
    return Actor(user_id=row[0], email=row[1], role="TREASURER")


def _raw_approval_ms(libpq_url: str, item_id: str) -> float:
    with psycopg.connect(libpq_url) as conn:
        t0 = time.perf_counter()
        conn.execute("SELECT user_id, amount_usd FROM transactions WHERE id = %s FOR UPDATE", (item_id,))
        conn.execute("UPDATE transactions SET status = 'COMPLETED', processed_at = now(), "
                     "processed_by = user_id WHERE id = %s AND status = 'PENDING'", (item_id,))
        conn.execute("UPDATE portfolios p SET cash_value = cash_value + t.amount_usd, "
                     "total_value = total_value + t.amount_usd FROM transactions t "
                     "WHERE t.id = %s AND p.user_id = t.user_id", (item_id,))
        elapsed = (time.perf_counter() - t0) * 1000
        conn.rollback()
    return elapsed


def writes(server_url: str, profile: str, repeat: int, chosen: list[str]) -> list[Result]:
    """One approval ``repeat`` times and a bulk approval of 100 deposits (three runs), through the real
    service, on a scratch copy of the profile's database."""
    results: list[Result] = []
    with scratch_copy(server_url, profile) as url:
        engine = make_engine(url, pool_size=2)
        try:
            with Session(engine) as session:
                actor = _treasurer(session)
                _ensure_pending(session, repeat + 3 * 100 + 5)
                ids = _approvable(session, repeat + 3 * 100 + 5)
            if len(ids) < repeat + 300:
                print(f"(only {len(ids)} approvable deposits in {profile}: writes use what there is)", file=sys.stderr)

            @contextmanager
            def sessions() -> Iterator[Session]:
                with Session(engine, expire_on_commit=False) as s:
                    with s.begin():
                        yield s

            singles, raws = [], []
            libpq = to_libpq_url(url)
            for item in ids[:repeat] if APPROVE_ONE in chosen else []:
                raws.append(_raw_approval_ms(libpq, item))
                start = time.perf_counter()
                with sessions() as s:
                    actions.decide(s, actor=actor, queue="deposits", item_id=item, action="approve")
                singles.append((time.perf_counter() - start) * 1000)
            if singles:
                results.append(timed_result(APPROVE_ONE, singles, 1, raws))
            bulk, rest = [], ids[repeat:]
            for i in range(3) if BULK_APPROVE in chosen else ():
                chunk = rest[i * 100:(i + 1) * 100]
                if len(chunk) < 100:
                    break
                start = time.perf_counter()
                with Session(engine) as outer:
                    report = decide_many(outer, sessions=sessions, actor=actor, queue="deposits", item_ids=chunk,
                                         action="approve")
                bulk.append((time.perf_counter() - start) * 1000)
                if report.done != 100:
                    print(f"bulk run {i}: {report.summary}", file=sys.stderr)
            if bulk:
                raw_bulk = statistics.median(raws) * 100 if raws else None
                med = statistics.median(bulk)
                results.append(Result(BULK_APPROVE, len(bulk), round(med, 3), round(max(bulk), 3), 100,
                                      round(raw_bulk, 3) if raw_bulk else None,
                                      round(med / raw_bulk, 2) if raw_bulk else None,
                                      notes={"per_item_ms": round(med / 100, 3)}))
        finally:
            engine.dispose()
    return results


def run(context: Context, chosen: list[str]) -> list[Result]:
    by_name = {s.name: s for s in SQL_SCENARIOS}
    # reads only: every transaction of this engine is read-only, so the profile database is never written
    engine = make_engine(context.url, pool_size=2, connect_args={"options": "-c default_transaction_read_only=on"})
    try:
        results = [run_scenario(engine, by_name[n], context.repeat) for n in chosen if n in by_name]
        results += service_reads(engine, context.repeat, chosen)
    finally:
        engine.dispose()
    wanted = [n for n in chosen if n in (APPROVE_ONE, BULK_APPROVE)]
    if wanted and context.server_url:
        results += writes(context.server_url, context.profile, min(context.repeat, 30), wanted)
    return results


GROUP = Group(
    "transactions",
    "each treasury queue's first page, with and without filters, and the service calls",
    {
        **{s.name: s.description for s in SQL_SCENARIOS},
        **{name: f"service call: the {q.value} queue's first page, formatted" for name, q in SERVICE_READS.items()},
        COUNTS: "service call: the three queues' counts",
        APPROVE_ONE: "approve one deposit through the service (lock, balance, history, outbox, audit)",
        BULK_APPROVE: "bulk approval of 100 deposits, one transaction per item",
    },
    run,
    writes=frozenset({APPROVE_ONE, BULK_APPROVE}),
)
