"""Deterministic data generator: ``python -m dashboard.cli seed --profile demo|large [--as-of D]``.

The same seed and as-of day always give the same rows (ids and timestamps included): every random
number comes from streams derived from the seed, ids are UUIDv7 built from each row's creation time,
and every date is anchored to the run's calendar (``clock``: the day it runs by default, so a demo is
live on the day it is loaded) instead of the wall clock. See ``runner`` for the order of the steps.
"""

from __future__ import annotations

from datetime import date

from dashboard.seed.clock import SNAPSHOT_DAYS, calendar_for
from dashboard.seed.profiles import BENCH_STAFF, DEMO_OFFICER, DEMO_STAFF, PROFILES, Profile


def run_seed(url: str, profile: str = "demo", seed: int = 20261122, if_empty: bool = False, quiet: bool = False,
             as_of: date | None = None) -> int:
    """Load a profile into the (migrated, empty) database at ``url``; return the exit code.

    ``as_of``: the data's today (None: the day it runs, UTC). 0: loaded, or skipped because
    ``if_empty`` and users exist; 2: refused (unknown profile, a future as-of, data already present,
    database not migrated, published staff passwords in production).
    """
    from dashboard.seed.runner import run

    return run(url=url, profile_name=profile, seed=seed, if_empty=if_empty, quiet=quiet, as_of=as_of)


__all__ = ["BENCH_STAFF", "DEMO_OFFICER", "DEMO_STAFF", "PROFILES", "SNAPSHOT_DAYS", "Profile", "calendar_for",
           "run_seed"]
