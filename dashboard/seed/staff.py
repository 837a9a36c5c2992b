"""Dashboard staff accounts and their (demo) password hashes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from dashboard.models.enums import Role
from dashboard.auth import passwords
from dashboard.seed import clock
from dashboard.seed.clock import DAY_MS
from dashboard.seed.ids import Streams, uuid7
from dashboard.seed.profiles import StaffAccount

_BCRYPT64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _salt(rng: random.Random) -> str:
    """A bcrypt salt (22 characters; the last one carries only 2 significant bits)."""
    return "".join(rng.choice(_BCRYPT64) for _ in range(21)) + rng.choice(".Oeu")


def hash_with_seeded_salt(password: str, rng: random.Random) -> str:
    """The project's password hash (``dashboard.auth.passwords``) with a salt from the seed, so
    the same seed gives the same rows. Falls back to a random salt if the context is not reachable."""
    context = getattr(passwords, "_context", None)
    if context is None:
        return passwords.hash_password(password)
    return context.handler().using(salt=_salt(rng)).hash(password)


def start_hashing(accounts: Sequence[StaffAccount], streams: Streams) -> list[Future[str | None]]:
    """Hash every known password once, in two background threads (bcrypt releases the GIL), while
    the main thread generates data. Call ``.result()`` on each future when writing the users."""
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="seed-bcrypt")

    def one(account: StaffAccount) -> str | None:
        if account.password is None:
            return None
        return hash_with_seeded_salt(account.password, streams.py(f"salt:{account.email}"))

    futures = [pool.submit(one, account) for account in accounts]
    pool.shutdown(wait=False)
    return futures


@dataclass
class Staff:
    accounts: tuple[StaffAccount, ...]
    ids: np.ndarray  # S32
    created_ms: np.ndarray
    roles: np.ndarray  # str

    def with_roles(self, *roles: Role) -> np.ndarray:
        """Indexes of staff members having one of ``roles``."""
        return np.flatnonzero(np.isin(self.roles, [r.value for r in roles]))

    def pick(self, rng: np.random.Generator, n: int, *roles: Role) -> np.ndarray:
        """Ids of ``n`` staff members drawn from ``roles``."""
        pool = self.with_roles(*roles)
        return self.ids[pool[rng.integers(0, len(pool), n)]]

    def pick_pair(self, rng: np.random.Generator, n: int, *roles: Role) -> tuple[np.ndarray, np.ndarray]:
        """Two different staff members per row (four-eyes: maker and checker)."""
        pool = self.with_roles(*roles)
        if len(pool) < 2:
            raise ValueError(f"four-eyes needs two staff members with roles {roles}")
        first = rng.integers(0, len(pool), n)
        second = (first + rng.integers(1, len(pool), n)) % len(pool)
        return self.ids[pool[first]], self.ids[pool[second]]



def build_staff(accounts: tuple[StaffAccount, ...], streams: Streams) -> Staff:
    rng = streams.np("staff")
    # Staff accounts predate the customers: created in the first weeks of the history.
    created = clock.HISTORY_START_MS - 30 * DAY_MS + np.arange(len(accounts), dtype=np.int64) * DAY_MS
    created += rng.integers(9, 17, len(accounts)) * 3_600_000
    return Staff(
        accounts=accounts,
        ids=uuid7(rng, created),
        created_ms=created,
        roles=np.array([a.role.value for a in accounts]),
    )
