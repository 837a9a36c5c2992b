"""Benchmarks: ``python -m dashboard.cli bench [--group G] [--scenario S] [--profile demo|large | --url URL]``.

Every benchmark belongs to a group (``--list`` names them all):

- ``baseline``, ``kyc``, ``support`` (run when neither ``--group`` nor ``--scenario`` is given): the
  screens' SQL through SQLAlchemy, as the app runs it, next to the same SQL's ``EXPLAIN (ANALYZE)``;
- ``transactions``: the treasury queues' pages and service calls; ``--writes`` adds approvals on a
  scratch copy of the database;
- ``portfolios``: the overview and a client's chart, next to the same snapshots aggregated in pandas;
- ``groups``: group withdrawal requests through the service, next to raw SQL.

The database: each profile gets its own on the configured server (``dashboard_bench_<profile>``). For
the default groups (and with ``--reseed``) it is migrated and, when empty, seeded: that load is the
``seed_load`` scenario. The other groups use an existing database as it is (it is created and seeded
only when missing). ``--url`` benchmarks a given database as it is: never migrated, seeded or written.

Each scenario runs ``--repeat`` times; the table shows median and p95 in milliseconds, the rows, and
the ratio of the app's median to the raw figure. Figures are printed (and given as JSON), never asserted.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any, TextIO

from sqlalchemy import text
from sqlalchemy.engine import make_url

from dashboard.bench import baseline, kyc, portfolios, support, transactions
from dashboard.bench import groups as group_requests
from dashboard.bench.harness import Context, Group, Result, existing_or_prepared, prepare_database, print_table
from dashboard.db import make_engine, resolve_database_url, to_sqlalchemy_url

GROUPS: dict[str, Group] = {
    g.name: g
    for g in (baseline.GROUP, kyc.GROUP, support.GROUP, transactions.GROUP, portfolios.GROUP, group_requests.GROUP)
}
SEED_LOAD = "seed_load"
SEED_LOAD_DESCRIPTION = "load the profile into an empty database (only when it is not loaded yet)"


class BenchRefused(ValueError):
    """A combination of options that cannot run; the message says why (exit status 2)."""


def list_scenarios(out: TextIO | None = None) -> None:
    out = out or sys.stdout
    print(SEED_LOAD.ljust(34), SEED_LOAD_DESCRIPTION, file=out)
    for group in GROUPS.values():
        print(f"\n{group.name}: {group.description}" + (" (default)" if group.default else ""), file=out)
        for name, description in group.scenarios.items():
            print(f"  {name.ljust(32)} {description}" + (" (--writes)" if name in group.writes else ""), file=out)


def plan(groups: list[str] | None, scenarios: list[str] | None, *, writes: bool) -> dict[str, list[str]]:
    """The scenarios to run, by group, in run order; ``BenchRefused`` for a name or mix that cannot run."""
    owner = {name: g.name for g in GROUPS.values() for name in g.scenarios}
    names = list(dict.fromkeys(s for s in scenarios or [] if s != SEED_LOAD))
    unknown = [n for n in names if n not in owner]
    if unknown:
        raise BenchRefused(f"unknown scenario(s): {', '.join(unknown)}; see --list")
    unknown = [g for g in groups or [] if g not in GROUPS and g != "all"]
    if unknown:
        raise BenchRefused(f"unknown group(s): {', '.join(unknown)}; see --list")
    if groups:
        selected = list(GROUPS) if "all" in groups else [g for g in GROUPS if g in groups]
        outside = [n for n in names if owner[n] not in selected]
        if outside:
            raise BenchRefused(f"scenario(s) {', '.join(outside)} not in the chosen group(s); see --list")
    elif scenarios:
        selected = [g for g in GROUPS if g in {owner[n] for n in names}]
    else:
        selected = [g for g in GROUPS if GROUPS[g].default]
    chosen: dict[str, list[str]] = {}
    for name in selected:
        group = GROUPS[name]
        if names:
            picked = [n for n in names if owner[n] == name]
        else:
            picked = [n for n in group.scenarios if writes or n not in group.writes]
        needs = [n for n in picked if n in group.writes]
        if needs and not writes:
            raise BenchRefused(f"{', '.join(needs)} write(s) on a scratch copy: add --writes")
        if picked:
            chosen[name] = picked
    return chosen


def _analyze(url: str) -> None:
    """Fresh statistics for the planner (on a database the benchmark prepared)."""
    engine = make_engine(url, pool_size=2)
    try:
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    finally:
        engine.dispose()


def run_bench(
    *,
    server_url: str | None = None,
    profile: str = "demo",
    groups: list[str] | None = None,
    scenarios: list[str] | None = None,
    repeat: int = 30,
    database_url: str | None = None,
    writes: bool = False,
    reseed: bool = False,
    quiet: bool = False,
    json_path: str | None = None,
) -> int:
    """Run the chosen scenarios on the profile's database of ``server_url`` (default: the configured
    server) or on ``database_url`` as it is; print the tables and the JSON. Raises ``BenchRefused``
    before touching any database."""
    if database_url and (reseed or writes):
        raise BenchRefused("--reseed and --writes work on the profile's database, not with --url")
    chosen = plan(groups, scenarios, writes=writes)
    prepare = reseed or SEED_LOAD in (scenarios or []) or any(GROUPS[g].prepared for g in chosen)
    load: Result | None = None
    if database_url:
        bench_url = database_url
    else:
        server_url = server_url or resolve_database_url()
        if prepare:
            bench_url, load = prepare_database(server_url, profile, reseed=reseed, quiet=quiet)
            _analyze(bench_url)
        else:
            bench_url, load = existing_or_prepared(server_url, profile, quiet=quiet)

    context = Context(url=bench_url, server_url=None if database_url else server_url, profile=profile,
                      repeat=repeat)
    runs = [(GROUPS[name], GROUPS[name].run(context, picked)) for name, picked in chosen.items()]
    _report([load] if load else [], runs, profile=profile, bench_url=bench_url, json_path=json_path)
    return 0


def _report(load: list[Result], runs: list[tuple[Group, list[Any]]], *, profile: str, bench_url: str,
            json_path: str | None) -> None:
    """The common table (the load and every group without a table of its own), the groups' own tables,
    then the JSON of every row (also written to ``json_path``)."""
    table = load + [row for group, rows in runs if not group.printer for row in rows]
    if table or not any(group.printer for group, _ in runs):
        print_table(table, profile)
    for group, rows in runs:
        if group.printer:
            group.printer(rows)
    every = load + [row for _, rows in runs for row in rows]
    database = make_url(to_sqlalchemy_url(bench_url)).database
    payload = {"profile": profile, "database": database, "results": [asdict(r) for r in every]}
    print("\n" + json.dumps(payload, indent=2, default=str))
    if json_path:
        with open(json_path, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2, default=str)
