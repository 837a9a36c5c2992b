"""Benchmarks: ``python -m dashboard.cli bench --profile demo|large``.

Each profile gets its own database on the configured server (``dashboard_bench_<profile>``). When it
is missing or empty it is created, migrated and seeded, and that load is the ``seed_load`` scenario.
Query scenarios then run ``--repeat`` times each through SQLAlchemy, as the app runs them, and the
same SQL is run raw with ``EXPLAIN (ANALYZE)``; the table shows median and p95 in milliseconds, the
rows returned, and the ratio of the app's median to the raw execution time.

Figures are printed, never asserted: speed is measured here, not by timed tests.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Engine, literal, select, text, tuple_
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Select
from sqlmodel import Session

from dashboard import models as m
from dashboard.db import make_engine, to_sqlalchemy_url
from dashboard.models.enums import PENDING_TRANSACTION_STATUSES

PAGE_SIZE = 50


@dataclass
class Result:
    scenario: str
    runs: int
    median_ms: float
    p95_ms: float
    rows: int
    raw_median_ms: float | None = None
    ratio: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    build: Callable[[Session, dict[str, Any]], Select]
    setup: Callable[[Session], dict[str, Any]] | None = None  # run once, untimed


def _pending_transactions_first_page(session: Session, ctx: dict[str, Any] | None = None) -> Select:
    t = m.Transaction
    return (
        select(t.id, t.reference, t.transaction_type, t.amount, t.currency, t.amount_usd, t.method, t.status,
               t.created_at, m.User.email)
        .join(m.User, m.User.id == t.user_id)
        .where(t.status.in_([s.value for s in PENDING_TRANSACTION_STATUSES]))
        .order_by(t.created_at, t.id)
        .limit(PAGE_SIZE)
    )


def _all_transactions_newest_page(session: Session, ctx: dict[str, Any] | None = None) -> Select:
    t = m.Transaction
    return (
        select(t.id, t.reference, t.transaction_type, t.amount, t.currency, t.status, t.created_at, m.User.email)
        .join(m.User, m.User.id == t.user_id)
        .order_by(t.created_at.desc(), t.id.desc())
        .limit(PAGE_SIZE)
    )


def _first_page_cursor(session: Session) -> dict[str, Any]:
    rows = session.execute(_pending_transactions_first_page(session)).all()
    return {"after": (rows[-1].created_at, rows[-1].id) if rows else None}


def _pending_transactions_second_page(session: Session, ctx: dict[str, Any]) -> Select:
    """Keyset: the page after the first page's last row (the cursor is read once, untimed)."""
    t = m.Transaction
    query = _pending_transactions_first_page(session)
    if ctx.get("after"):
        created_at, row_id = ctx["after"]
        query = query.where(tuple_(t.created_at, t.id) > tuple_(literal(created_at), literal(row_id)))
    return query


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("transactions_pending_first_page", "first page of the pending transaction queue, oldest first",
                 _pending_transactions_first_page),
        Scenario("transactions_pending_next_page", "the following page by keyset (created_at, id)",
                 _pending_transactions_second_page, setup=_first_page_cursor),
        Scenario("transactions_all_newest_page", "newest 50 of all transactions", _all_transactions_newest_page),
    )
}


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _explain_ms(session: Session, query: Select) -> float:
    sql = str(query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    plan = session.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar_one()
    return float(plan[0]["Execution Time"]) + float(plan[0]["Planning Time"])


def run_scenario(engine: Engine, scenario: Scenario, repeat: int) -> Result:
    timings: list[float] = []
    raw: list[float] = []
    rows = 0
    with Session(engine) as session:
        ctx = scenario.setup(session) if scenario.setup else {}
        session.execute(scenario.build(session, ctx)).all()  # warm the cache and the pool
        for _ in range(repeat):
            start = time.perf_counter()
            query = scenario.build(session, ctx)
            rows = len(session.execute(query).all())
            timings.append((time.perf_counter() - start) * 1000)
            raw.append(_explain_ms(session, query))
        session.rollback()
    median = statistics.median(timings)
    raw_median = statistics.median(raw)
    return Result(
        scenario=scenario.name,
        runs=repeat,
        median_ms=round(median, 3),
        p95_ms=round(_percentile(timings, 95), 3),
        rows=rows,
        raw_median_ms=round(raw_median, 3),
        ratio=round(median / raw_median, 2) if raw_median > 0 else None,
    )


def _bench_database(url: str, profile: str) -> tuple[str, str]:
    base = make_url(to_sqlalchemy_url(url))
    name = f"dashboard_bench_{profile}"
    return name, base.set(database=name).render_as_string(hide_password=False)


def _admin(url: str) -> psycopg.Connection:
    admin = make_url(to_sqlalchemy_url(url)).set(database="postgres", drivername="postgresql")
    return psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True)


def prepare_database(url: str, profile: str, *, reseed: bool, quiet: bool) -> tuple[str, Result | None]:
    """Create, migrate and seed the profile's bench database when needed; time the load."""
    from dashboard.cli import migrate_url
    from dashboard.seed import run_seed

    name, bench_url = _bench_database(url, profile)
    with _admin(url) as conn:
        if reseed:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    migrate_url(bench_url)
    engine = make_engine(bench_url, pool_size=2)
    try:
        with engine.connect() as conn:
            has_rows = conn.execute(text("SELECT EXISTS (SELECT 1 FROM users)")).scalar_one()
    finally:
        engine.dispose()
    if has_rows:
        return bench_url, None
    start = time.perf_counter()
    code = run_seed(url=bench_url, profile=profile, seed=20261122, if_empty=False, quiet=quiet)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise RuntimeError(f"seeding the {profile} profile failed (exit {code})")
    counts = table_counts(bench_url)
    load = Result(scenario="seed_load", runs=1, median_ms=round(elapsed * 1000, 1), p95_ms=round(elapsed * 1000, 1),
                  rows=sum(counts.values()), notes={"row_counts": counts})
    return bench_url, load


def table_counts(url: str) -> dict[str, int]:
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in sorted(m.metadata.tables)
            }
    finally:
        engine.dispose()


def _print_table(results: list[Result], profile: str) -> None:
    header = f"{'scenario':<34} {'runs':>5} {'median ms':>11} {'p95 ms':>10} {'rows':>10} {'raw ms':>9} {'ratio':>6}"
    print(f"\nbenchmark, profile {profile}")
    print(header)
    print("-" * len(header))
    for r in results:
        raw = f"{r.raw_median_ms:.3f}" if r.raw_median_ms is not None else "-"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        print(f"{r.scenario:<34} {r.runs:>5} {r.median_ms:>11.3f} {r.p95_ms:>10.3f} {r.rows:>10} {raw:>9} {ratio:>6}")


def run_bench(
    *,
    url: str,
    profile: str,
    scenarios: list[str] | None,
    repeat: int,
    json_path: str | None,
    list_only: bool,
    reseed: bool = False,
    quiet: bool = False,
) -> int:
    if list_only:
        print("seed_load".ljust(34), "load the profile into an empty database (only when it is not loaded yet)")
        for s in SCENARIOS.values():
            print(s.name.ljust(34), s.description)
        return 0
    unknown = [s for s in (scenarios or []) if s not in SCENARIOS and s != "seed_load"]
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; see --list")
        return 2

    bench_url, load = prepare_database(url, profile, reseed=reseed, quiet=quiet)
    results: list[Result] = [load] if load else []
    chosen = [SCENARIOS[name] for name in (scenarios or SCENARIOS) if name in SCENARIOS]
    engine = make_engine(bench_url, pool_size=2)
    try:
        with engine.connect() as conn:  # fresh statistics for the planner
            conn.execute(text("ANALYZE"))
            conn.commit()
        for scenario in chosen:
            results.append(run_scenario(engine, scenario, repeat))
    finally:
        engine.dispose()

    _print_table(results, profile)
    payload = {"profile": profile, "database": make_url(bench_url).database, "results": [asdict(r) for r in results]}
    print("\n" + json.dumps(payload, indent=2, default=str))
    if json_path:
        with open(json_path, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2, default=str)
    return 0


# Scenarios of the screens, registered last (their modules import this one).
from dashboard.bench_kyc import SCENARIOS as _KYC  # noqa: E402

from dashboard.bench_support import SCENARIOS as _SUPPORT  # noqa: E402

SCENARIOS.update(_KYC)
SCENARIOS.update(_SUPPORT)
