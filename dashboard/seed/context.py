"""State shared by the generation steps: the connection, random streams, private files, the
status-history collector and the row counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dashboard.core import storage
from dashboard.models.enums import ReviewableEntity
from dashboard.seed import copy as fmt
from dashboard.seed.ids import SD, Streams, ordered, uuid7
from dashboard.seed.profiles import Profile

if TYPE_CHECKING:
    from dashboard.seed.customers import Customers
    from dashboard.seed.staff import Staff


class Files:
    """Writes generated files to private storage; remembers them so a failed run can remove them."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self._pool: dict[str, tuple[int, str]] = {}

    def put(self, key: str, data: bytes) -> tuple[int, str]:
        """Store ``data`` under ``key``; return (size, sha256)."""
        digest = storage.write(key, data)
        self.written.append(key)
        return len(data), digest

    def shared(self, key: str, render: Callable[[], bytes]) -> tuple[int, str]:
        """A pooled file many rows point at: rendered and stored once."""
        if key not in self._pool:
            self._pool[key] = self.put(key, render())
        return self._pool[key]

    def remove_all(self) -> None:
        for key in self.written:
            try:
                storage.path_for(key).unlink(missing_ok=True)
            except (OSError, storage.InvalidStorageKey):
                pass


def _column(value: Any, n: int) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.shape == (n,):
        return value
    if isinstance(value, list):
        return np.array(value, dtype=object)
    return np.full(n, value, dtype=object)


class History:
    """Collects ``status_history`` rows from every domain; written once at the end."""

    def __init__(self, kinds: frozenset[ReviewableEntity]) -> None:
        self.kinds = kinds
        self.parts: list[dict[str, np.ndarray]] = []

    def wants(self, entity: ReviewableEntity) -> bool:
        return entity in self.kinds

    def add(self, entity: ReviewableEntity, ids: np.ndarray, from_status: Any, to_status: Any, ms: np.ndarray,
            actors: Any = b"", reasons: Any = None) -> None:
        """One status change per row of ``ids``; ``from_status`` None means "created"; ``actors`` are
        user ids (S32), ``b""`` for a system change."""
        n = len(ids)
        if not n or entity not in self.kinds:
            return
        self.parts.append({
            "entity_type": np.full(n, entity.value, dtype=object), "entity_id": np.asarray(ids),
            "from_status": _column(from_status, n), "to_status": _column(to_status, n),
            "reason": _column(reasons, n), "actor": _column(actors, n).astype("S32"),
            "ms": np.asarray(ms, dtype=np.int64),
        })

    def columns(self, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray] | None:
        if not self.parts:
            return None
        merged = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        by_time = np.argsort(merged["ms"], kind="stable")  # cheap to sort raw values, not text
        merged = {k: v[by_time] for k, v in merged.items()}
        ids = uuid7(rng, merged["ms"])
        actor = merged["actor"]
        columns = {
            "id": fmt.uuid(ids),
            "entity_type": merged["entity_type"].astype(SD),
            "entity_id": fmt.uuid(merged["entity_id"]),
            "from_status": fmt.text(merged["from_status"].tolist()),
            "to_status": merged["to_status"].astype(SD),
            "reason": fmt.text(merged["reason"].tolist()),
            "actor_id": np.where(actor == b"", fmt.NULL, actor.astype(SD)).astype(SD),
            "created_at": fmt.ts(merged["ms"]),
        }
        return columns, ordered(ids)


@dataclass
class Context:
    profile: Profile
    streams: Streams
    loader: fmt.Loader
    files: Files
    history: History
    quiet: bool
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    staff: Staff | None = None
    customers: Customers | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # results one step hands to a later one

    def copy(self, table: str, columns: dict[str, np.ndarray], order: np.ndarray | None = None) -> int:
        written = self.loader.copy(table, columns, order=order)
        self.counts[table] += written
        return written

    def copy_chunks(self, table: str, names: list[str], chunks: Any, total: int) -> int:
        written = self.loader.copy_chunks(table, names, chunks, total=total)
        self.counts[table] += written
        return written


def lookup(values: np.ndarray, mapping: dict | Callable[[Any], Any]) -> np.ndarray:
    """``mapping[v]`` for every element, computed once per distinct value (fast on big columns)."""
    keys, inverse = np.unique(np.asarray(values), return_inverse=True)
    get = mapping if callable(mapping) else mapping.__getitem__
    return np.array([get(k.item() if hasattr(k, "item") else k) for k in keys])[inverse]


def draw(rng: np.random.Generator, weights: dict, n: int) -> np.ndarray:
    """``n`` values drawn with ``weights`` (keys as strings, ``None`` as ""); when ``n`` allows it,
    every key occurs at least once, so small profiles still show every status."""
    keys = ["" if k is None else str(k) for k in weights]
    p = np.array(list(weights.values()), dtype=float)
    out = np.array(keys)[rng.choice(len(keys), n, p=p / p.sum())]
    if n >= 2 * len(keys):
        for i, key in enumerate(keys):
            if not (out == key).any():
                out[(i * 7919) % n] = key
    return out
