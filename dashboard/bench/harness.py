"""What every benchmark group shares: the result row, the SQL scenario shape, timing, percentiles, the
app-to-``EXPLAIN ANALYZE`` ratio, the database per profile, and the printed table.

Scenario modules import this module only; the runner (``dashboard.bench.runner``) imports them; the
command line imports the runner. Figures are printed, never asserted.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.sql import Select
from sqlmodel import Session

from dashboard import models as m
from dashboard.db import make_engine, migrate_url, to_sqlalchemy_url

PAGE_SIZE = 50
SEED = 20261122


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
    """One SQL statement of a screen: ``build`` returns it (timed), ``setup`` reads its inputs once, untimed."""

    name: str
    description: str
    build: Callable[[Session, dict[str, Any]], Select]
    setup: Callable[[Session], dict[str, Any]] | None = None


@dataclass(frozen=True)
class Context:
    """What a group gets to run: the bench database, its server (None when given one ``--url``), options."""

    url: str
    server_url: str | None
    profile: str
    repeat: int


@dataclass(frozen=True)
class Group:
    """A set of scenarios run together. ``scenarios`` maps each name to its description (``--list``);
    ``run(context, chosen names)`` returns result rows. ``prepared``: the database is migrated (and
    seeded when empty) first; otherwise an existing database is used as it is. ``printer``: its own
    table instead of the common one. ``writes``: scenarios that write (on a scratch copy), run only with
    ``--writes``."""

    name: str
    description: str
    scenarios: dict[str, str]
    run: Callable[[Context, list[str]], list[Any]]
    default: bool = False
    prepared: bool = False
    printer: Callable[[list[Any]], None] | None = None
    writes: frozenset[str] = frozenset()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` from 0 to 100)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def time_calls(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Call ``fn`` once to warm the cache and the pool, then ``repeat`` times; the milliseconds and the
    last return value."""
    fn()
    timings, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, out


def ratio(median: float, raw: float | None) -> float | None:
    return round(median / raw, 2) if raw else None


def timed_result(name: str, timings: list[float], rows: int, raw: list[float] | None = None, **notes: Any) -> Result:
    """A result row from timings: median, p95, and the ratio to the ``raw`` timings' median when given."""
    median = statistics.median(timings)
    raw_median = statistics.median(raw) if raw else None
    return Result(scenario=name, runs=len(timings), median_ms=round(median, 3),
                  p95_ms=round(percentile(timings, 95), 3), rows=rows, raw_median_ms=round(raw_median, 3) if raw_median is not None else None,
                  ratio=ratio(median, raw_median), notes=dict(notes))


def explain_ms(session: Session, query: Select) -> float:
    """Planning + execution time of ``query`` by ``EXPLAIN (ANALYZE)``, in milliseconds."""
    sql = str(query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    plan = session.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar_one()
    return float(plan[0]["Execution Time"]) + float(plan[0]["Planning Time"])


def run_scenario(engine: Engine, scenario: Scenario, repeat: int) -> Result:
    """The app's SQL through SQLAlchemy, timed, next to the same SQL's ``EXPLAIN (ANALYZE)`` time."""
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
            raw.append(explain_ms(session, query))
        session.rollback()
    return timed_result(scenario.name, timings, rows, raw)


def scenario_group(name: str, description: str, scenarios: tuple[Scenario, ...], *, default: bool = True,
                   prepared: bool = True) -> Group:
    """A group of SQL scenarios, each run by ``run_scenario`` on one engine; by default run when no group
    is named, on the profile's database migrated (and seeded when empty) first."""
    by_name = {s.name: s for s in scenarios}

    def run(context: Context, chosen: list[str]) -> list[Result]:
        engine = make_engine(context.url, pool_size=2)
        try:
            return [run_scenario(engine, by_name[n], context.repeat) for n in chosen]
        finally:
            engine.dispose()

    return Group(name, description, {s.name: s.description for s in scenarios}, run, default=default,
                 prepared=prepared)


# --- the database of a profile ------------------------------------------------------------------


def database_url(url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``url``."""
    return make_url(to_sqlalchemy_url(url)).set(database=name).render_as_string(hide_password=False)


def bench_database(url: str, profile: str) -> tuple[str, str]:
    """(name, URL) of the profile's bench database, ``dashboard_bench_<profile>``, on ``url``'s server."""
    name = f"dashboard_bench_{profile}"
    return name, database_url(url, name)


def admin_connection(url: str) -> psycopg.Connection:
    """An autocommit connection to the ``postgres`` database of ``url``'s server (CREATE/DROP DATABASE)."""
    admin = make_url(to_sqlalchemy_url(url)).set(database="postgres", drivername="postgresql")
    return psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True)


def prepare_database(url: str, profile: str, *, reseed: bool, quiet: bool) -> tuple[str, Result | None]:
    """Create, migrate and seed the profile's bench database when needed; time the load (``seed_load``)."""
    from dashboard.seed import run_seed

    name, bench_url = bench_database(url, profile)
    with admin_connection(url) as conn:
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
    code = run_seed(url=bench_url, profile=profile, seed=SEED, if_empty=False, quiet=quiet)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise RuntimeError(f"seeding the {profile} profile failed (exit {code})")
    counts = table_counts(bench_url)
    load = Result(scenario="seed_load", runs=1, median_ms=round(elapsed * 1000, 1), p95_ms=round(elapsed * 1000, 1),
                  rows=sum(counts.values()), notes={"row_counts": counts})
    return bench_url, load


def existing_or_prepared(url: str, profile: str, *, quiet: bool) -> tuple[str, Result | None]:
    """The profile's bench database. An existing one is used as it is (never migrated nor written); a
    missing one is created and seeded by ``prepare_database``."""
    name, bench_url = bench_database(url, profile)
    with admin_connection(url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if exists:
        return bench_url, None
    return prepare_database(url, profile, reseed=False, quiet=quiet)


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


def print_table(results: list[Result], profile: str) -> None:
    header = f"{'scenario':<34} {'runs':>5} {'median ms':>11} {'p95 ms':>10} {'rows':>10} {'raw ms':>9} {'ratio':>6}"
    print(f"\nbenchmark, profile {profile}")
    print(header)
    print("-" * len(header))
    for r in results:
        raw = f"{r.raw_median_ms:.3f}" if r.raw_median_ms is not None else "-"
        shown = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        print(f"{r.scenario:<34} {r.runs:>5} {r.median_ms:>11.3f} {r.p95_ms:>10.3f} {r.rows:>10} {raw:>9} {shown:>6}")
