"""Bulk loading with ``COPY ... FROM STDIN`` (text format) and the column formatters it needs.

Every column is turned into a numpy ``StringDType`` array of COPY text fields first (vectorised:
ids, amounts with fixed decimals, timestamps), then rows are joined with tabs and streamed in
chunks. A writer thread (psycopg's ``QueuedLibpqWriter``) sends one chunk while the next is built.

Large leaf tables follow PostgreSQL's "Populating a Database" advice: inside the seeding
transaction their secondary indexes, unique and foreign-key constraints are dropped, the rows are
copied with ``FREEZE`` and the exact same definitions (read from the catalog) are recreated, which
re-validates every foreign key. If anything fails the transaction rolls back, schema included.
"""

from __future__ import annotations

import json as _json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from tqdm import tqdm

from dashboard.seed.clock import NULL_MS

SD = np.dtypes.StringDType()
NULL = "\\N"
CHUNK_ROWS = 100_000
PROGRESS_MIN_ROWS = 50_000  # smaller tables load too fast for a progress bar

# Unreferenced tables big enough in the large profile to be loaded with deferred indexes.
BULK_TABLES = frozenset({
    "portfolio_snapshots", "transactions", "ledger_entry", "support_messages", "crypto_transactions",
    "status_history", "trades", "gift_card_orders", "approval", "notifications",
})


# --- column formatters: each returns a StringDType array of COPY text fields --------------------
def uuid(ids: np.ndarray) -> np.ndarray:
    return np.asarray(ids).astype(SD)


def optional_uuid(ids: np.ndarray) -> np.ndarray:
    """Ids (S32) where present, NULL where empty (``b""``)."""
    ids = np.asarray(ids, dtype="S32")
    return np.where(ids == b"", NULL, ids.astype(SD)).astype(SD)


def ref(ids: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``ids[index]``, NULL where ``index`` is negative."""
    index = np.asarray(index, dtype=np.int64)
    out = np.asarray(ids)[np.maximum(index, 0)].astype(SD)
    return np.where(index >= 0, out, NULL).astype(SD)


def escape(values: np.ndarray) -> np.ndarray:
    out = np.strings.replace(values, "\\", "\\\\")
    for char, code in (("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        out = np.strings.replace(out, char, code)
    return out


def text(values: Sequence[str | None] | np.ndarray) -> np.ndarray:
    """Free text (escaped); ``None`` becomes NULL."""
    if isinstance(values, np.ndarray) and values.dtype == SD:
        return escape(values)
    items = list(values)
    missing = np.fromiter((v is None for v in items), dtype=bool, count=len(items))
    arr = np.array(["" if v is None else v for v in items], dtype=SD)
    return np.where(missing, NULL, escape(arr)).astype(SD)


def const(value: Any, n: int) -> np.ndarray:
    field = NULL if value is None else str(value).replace("\\", "\\\\")
    return np.full(n, field, dtype=SD)


def nulls(n: int) -> np.ndarray:
    return np.full(n, NULL, dtype=SD)


def integer(values: np.ndarray, null: np.ndarray | None = None) -> np.ndarray:
    out = np.asarray(values, dtype=np.int64).astype(SD)
    return out if null is None else np.where(null, NULL, out).astype(SD)


def boolean(values: np.ndarray) -> np.ndarray:
    return np.where(np.asarray(values, dtype=bool), "t", "f").astype(SD)


def fixed(units: np.ndarray, decimals: int) -> np.ndarray:
    """Integer ``units`` of 10**-decimals as an exact decimal: fixed(12345, 2) -> '123.45'."""
    units = np.asarray(units, dtype=np.int64)
    scale = 10**decimals
    magnitude = np.abs(units)
    whole = (magnitude // scale).astype(SD)
    frac = np.strings.slice((magnitude % scale + scale).astype(SD), 1, None)
    out = np.strings.add(np.strings.add(whole, "."), frac)
    return np.where(units < 0, np.strings.add("-", out), out).astype(SD)


def money(cents: np.ndarray) -> np.ndarray:
    return fixed(cents, 2)


def ts(ms: np.ndarray) -> np.ndarray:
    """Millisecond timestamps as ISO 8601 UTC; NULL_MS becomes NULL."""
    ms = np.asarray(ms, dtype=np.int64)
    missing = ms == NULL_MS
    text_ms = np.datetime_as_string(np.where(missing, 0, ms).astype("datetime64[ms]"), unit="ms", timezone="UTC")
    out = text_ms.astype(SD)
    return np.where(missing, NULL, out).astype(SD) if missing.any() else out


def date(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(np.asarray(days, dtype="datetime64[D]")).astype(SD)


def json(objects: Iterable[Any]) -> np.ndarray:
    """JSON documents (keys sorted, so output is deterministic); ``None`` becomes NULL."""
    items = [None if o is None else _json.dumps(o, sort_keys=True, separators=(",", ":")) for o in objects]
    return text(items)


# --- loading ---------------------------------------------------------------------------------
class Loader:
    """Streams formatted columns into tables over one connection (inside one transaction)."""

    def __init__(self, conn: psycopg.Connection, *, quiet: bool) -> None:
        self.conn = conn
        self.quiet = quiet

    def copy(self, table: str, columns: dict[str, np.ndarray], *, order: np.ndarray | None = None) -> int:
        """Load one table from whole columns, rows sorted by ``order`` when given."""
        names = list(columns)
        n = len(next(iter(columns.values())))
        if order is not None:
            columns = {k: v[order] for k, v in columns.items()}

        def chunks() -> Iterator[dict[str, np.ndarray]]:
            for start in range(0, n, CHUNK_ROWS):
                yield {k: v[start : start + CHUNK_ROWS] for k, v in columns.items()}

        return self.copy_chunks(table, names, chunks(), total=n)

    def copy_chunks(self, table: str, names: list[str], chunks: Iterable[dict[str, np.ndarray]], *, total: int) -> int:
        """Load one table from an iterable of column chunks (for tables too big to hold as text)."""
        stmt = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.SQL(" WITH (FREEZE)") if table in BULK_TABLES and not _is_referenced(self.conn, table) else sql.SQL(""),
        )
        written = 0
        with self._bulk(table), tqdm(total=total, desc=f"  {table}", unit=" rows", leave=False, unit_scale=True,
                                     disable=self.quiet or total < PROGRESS_MIN_ROWS) as bar:
            with self.conn.cursor() as cur, cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as copy:
                for chunk in chunks:
                    columns = [chunk[name].tolist() for name in names]
                    rows = len(columns[0])
                    if rows:
                        copy.write("\n".join(map("\t".join, zip(*columns))) + "\n")
                    written += rows
                    bar.update(rows)
        return written

    @contextmanager
    def _bulk(self, table: str) -> Iterator[None]:
        if table not in BULK_TABLES:
            yield
            return
        with deferred_constraints(self.conn, table):
            yield


def _qualified(conn: psycopg.Connection, table: str) -> str:
    return sql.Identifier(table).as_string(conn)


def _is_referenced(conn: psycopg.Connection, table: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass)",
        (_qualified(conn, table),),
    ).fetchone()
    return bool(row and row[0])


@contextmanager
def deferred_constraints(conn: psycopg.Connection, table: str) -> Iterator[None]:
    """Drop ``table``'s secondary indexes, unique and foreign-key constraints; recreate them after.

    Partial indexes stay: only a few rows enter them, and PostgreSQL would print a recreated
    ``IN (...)`` predicate differently from the migration's (same meaning, different text)."""
    name = _qualified(conn, table)
    if conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table))).fetchone()[0]:
        raise RuntimeError(f"table {table} is not empty")
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
        (name,),
    ).fetchall()  # unique ('u') before foreign keys ('f') when recreating
    indexes = conn.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND i.indpred IS NULL AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) "
        "ORDER BY c.relname",
        (name,),
    ).fetchall()
    if not _is_referenced(conn, table):
        conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table)))  # allows COPY ... FREEZE
    for conname, _, _ in reversed(constraints):
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(conname)))
    for relname, _ in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(relname)))
    yield
    for _, definition in indexes:
        conn.execute(definition)
    for conname, definition, _ in constraints:
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(sql.Identifier(table), sql.Identifier(conname))
            + sql.SQL(definition)
        )
