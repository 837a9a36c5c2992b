"""Verifying the audit chain: walk every entry in ``seq`` order, recompute each row's hash, check each
``prev_hash`` link, and name the first row that was altered, removed or inserted out of place by
someone who bypassed the database's append-only triggers. Long work on a big log (it reads the whole
table); the audit screen runs one at a time per server, the CLI runs it as ``audit verify``.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession

from dashboard.audit.chain import HASHED_FIELDS, canonical
from dashboard.core.actor import Actor
from dashboard.core.permissions import Perm, requires

ALTERED = "altered"
REMOVED = "removed"
INSERTED = "inserted"
KIND_LABELS = {ALTERED: "altered", REMOVED: "removed", INSERTED: "inserted out of place"}


@dataclass(frozen=True)
class ChainCheck:
    """What ``verify_chain`` found. On failure ``bad_seq``/``bad_id`` name the first bad row."""

    ok: bool
    rows_checked: int
    elapsed: float  # seconds
    last_seq: int | None = None  # the last row checked (the head when intact)
    kind: str | None = None  # ALTERED, REMOVED or INSERTED
    bad_seq: int | None = None
    bad_id: str | None = None
    detail: str = ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind or "", "")

    def summary(self) -> str:
        timing = f"{self.rows_checked:,} rows checked in {self.elapsed:.2f} s"
        if self.ok:
            head = f", head seq {self.last_seq}" if self.last_seq is not None else ""
            return f"chain intact: {timing}{head}"
        return f"chain BROKEN: first {self.kind_label} row seq {self.bad_seq} (id {self.bad_id}): {self.detail} [{timing}]"


# Text casts where psycopg's loaders would build Python objects only to turn them back into text:
# uuid::text is exactly str(UUID); inet::text is re-spelled by _ip_text (cached: addresses repeat);
# jsonb::text is parsed by json.loads, as psycopg's own jsonb loader would.
_STREAM_COLUMNS = {
    "id": "id::text",
    "actor_id": "actor_id::text",
    "before": "before::text",
    "after": "after::text",
    "details": "details::text",
    "ip_address": "ip_address::text",
    "session_id": "session_id::text",
    "correlation_id": "correlation_id::text",
}
_STREAM_SQL = (
    "SELECT "
    + ", ".join(_STREAM_COLUMNS.get(name, name) for name in HASHED_FIELDS)
    + ", row_hash FROM activity_logs WHERE seq > %s ORDER BY seq LIMIT %s"
)
_SEQ = HASHED_FIELDS.index("seq")
_ID = HASHED_FIELDS.index("id")
_PREV = HASHED_FIELDS.index("prev_hash")
_HASH = len(HASHED_FIELDS)
_JSON = tuple(HASHED_FIELDS.index(name) for name in ("before", "after", "details"))


def _driver_connection(source: Any) -> psycopg.Connection:
    if isinstance(source, psycopg.Connection):
        return source
    if isinstance(source, OrmSession):
        source = source.connection()
    if isinstance(source, Connection):
        return source.connection.driver_connection
    raise TypeError(f"verify_chain needs a Session or a Connection, not {type(source).__name__}")


@requires(Perm.AUDIT_VIEW)
def verify_chain(session_or_conn: Any, *, actor: Actor, batch: int = 20_000) -> ChainCheck:
    """Walk the whole chain in ``seq`` order, ``batch`` rows per round trip (keyset on ``seq``, so
    memory stays constant), recompute every row's hash and check every ``prev_hash`` link. Needs
    AUDIT_VIEW (the command line passes ``Actor.system("cli")``).

    Reads plain tuples through the connection's psycopg cursor; no ORM objects. Stops at the first
    problem and classifies it (see ``_classify_break``).
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    started = time.perf_counter()
    conn = _driver_connection(session_or_conn)
    checked = 0
    last_seq = 0
    prev: tuple | None = None  # previous row: (seq, id, row_hash)
    names = HASHED_FIELDS
    loads = json.loads
    with conn.cursor() as cur:
        while True:
            rows = cur.execute(_STREAM_SQL, (last_seq, batch)).fetchall()
            if not rows:
                break
            for row in rows:
                checked += 1
                values = list(row)
                for i in _JSON:
                    if values[i] is not None:
                        values[i] = loads(values[i])
                stored = row[_HASH]
                if hashlib.sha256(canonical(dict(zip(names, values)))).hexdigest() != stored:
                    problem = (ALTERED, row[_SEQ], row[_ID], "its content no longer matches its row_hash")
                elif row[_PREV] != (prev[2] if prev is not None else None):
                    problem = _classify_break(cur, prev, row)
                else:
                    prev = (row[_SEQ], row[_ID], stored)
                    continue
                return ChainCheck(False, checked, time.perf_counter() - started, row[_SEQ], *problem)
            last_seq = rows[-1][_SEQ]
    return ChainCheck(True, checked, time.perf_counter() - started, prev[0] if prev else None)


def _classify_break(cur: psycopg.Cursor, prev: tuple | None, row: tuple) -> tuple[str, int, str, str]:
    """Name the first bad row when ``row``'s ``prev_hash`` is not its predecessor's ``row_hash``.

    Both rows hash correctly on their own, so someone wrote consistent hashes. The cases:
    - ``prev_hash`` is the hash of an *earlier* row E: ``row`` is genuine and the rows after E were
      slipped in ahead of it: the first row after E was **inserted out of place**.
    - ``prev_hash`` is the hash of a *later* row: the rows were reordered (**inserted out of place**).
    - ``prev_hash`` matches no row, but a later row links to the predecessor: ``row`` (and any rows
      up to that one) was **inserted out of place**.
    - ``prev_hash`` matches no row and nothing later links to the predecessor: the row it links to is
      gone: rows were **removed** before ``row``. When the two seqs are consecutive nothing can be
      missing between them, so one of the two was rewritten and re-hashed: **altered**.
    These lookups scan the table, but only once, after a break was found.
    """
    seq, row_id, prev_hash = row[_SEQ], str(row[_ID]), row[_PREV]
    prev_seq, prev_row_hash = (prev[0], prev[2]) if prev is not None else (None, None)

    if prev_hash is None:  # a second chain start in the middle of the log
        return INSERTED, seq, row_id, f"it starts a new chain (no prev_hash) after seq {prev_seq}"

    linked = cur.execute(
        "SELECT seq, id FROM activity_logs WHERE row_hash = %s AND seq <> %s ORDER BY seq LIMIT 1",
        (prev_hash, seq),
    ).fetchone()
    if linked is not None:
        linked_seq = linked[0]
        if linked_seq > seq:
            return INSERTED, seq, row_id, f"it links to the later row seq {linked_seq}: rows were reordered"
        if prev_seq is not None and linked_seq < prev_seq:
            first = cur.execute(
                "SELECT seq, id FROM activity_logs WHERE seq > %s ORDER BY seq LIMIT 1", (linked_seq,)
            ).fetchone()
            return (
                INSERTED, first[0], str(first[1]),
                f"seq {seq} links back to seq {linked_seq}: the rows from seq {first[0]} to {prev_seq} "
                "were inserted between them",
            )

    relinked = cur.execute(
        "SELECT seq FROM activity_logs WHERE seq > %s AND prev_hash IS NOT DISTINCT FROM %s ORDER BY seq LIMIT 1",
        (seq, prev_row_hash),
    ).fetchone()
    if relinked is not None:
        after = f"seq {prev_seq}" if prev_seq is not None else "the start of the chain"
        return (
            INSERTED, seq, row_id,
            f"it does not link to {after}, but the later row seq {relinked[0]} does",
        )
    if prev is None:
        return REMOVED, seq, row_id, "the oldest entries before it are missing (it links to a row that is gone)"
    if seq == prev_seq + 1:
        return (
            ALTERED, prev_seq, str(prev[1]),
            f"seq {seq} links to a different version of it: it was rewritten and its hash recomputed "
            f"(or seq {seq}'s prev_hash was)",
        )
    return (
        REMOVED, seq, row_id,
        f"the row it links to is gone: entries between seq {prev_seq} and {seq} were removed "
        f"(or seq {prev_seq} was rewritten and re-hashed)",
    )
