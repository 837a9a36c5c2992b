"""Deterministic data generator: ``python -m dashboard.cli seed --profile demo|large``.

The same seed always gives the same rows (ids and timestamps included): every random number comes
from streams derived from the seed, ids are UUIDv7 built from each row's creation time, and every
date is anchored to ``AS_OF`` instead of the wall clock. See ``runner`` for the order of the steps.
"""

from __future__ import annotations

from dashboard.seed.clock import AS_OF, NOW, SNAPSHOT_DAYS
from dashboard.seed.profiles import DEMO_OFFICER, DEMO_STAFF, PROFILES, Profile


def run_seed(url: str, profile: str = "demo", seed: int = 20261122, if_empty: bool = False, quiet: bool = False) -> int:
    """Load a profile into the (migrated, empty) database at ``url``; return the exit code.

    0: loaded, or skipped because ``if_empty`` and users exist; 2: refused (unknown profile, data
    already present, database not migrated, demo accounts in production).
    """
    from dashboard.seed.runner import run

    return run(url=url, profile_name=profile, seed=seed, if_empty=if_empty, quiet=quiet)


__all__ = ["AS_OF", "DEMO_OFFICER", "DEMO_STAFF", "NOW", "PROFILES", "SNAPSHOT_DAYS", "Profile", "run_seed"]
