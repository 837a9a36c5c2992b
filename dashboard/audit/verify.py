"""Verifying the audit chain: walk every entry in ``seq`` order, recompute each row's hash (with its
``hash_version``'s scheme: HMAC with the audit key, or SHA-256 for legacy rows), check each
``prev_hash`` link and the last signed checkpoint (``checkpoint.py``), and name the first row that was
altered, removed or inserted out of place by someone who bypassed the database's append-only
triggers, or the checkpoint that no longer matches (the newest rows were deleted). Long work on a big log (it reads the whole
table); the audit screen runs one at a time per server, the CLI runs it as ``audit verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession

from dashboard.audit.chain import HASH_HMAC, HASH_SHA256, HASHED_FIELDS, audit_key, canonical
from dashboard.audit.checkpoint import Checkpoint, CheckpointError, last_checkpoint
from dashboard.core.actor import Actor
from dashboard.core.permissions import Perm, requires

ALTERED = "altered"
REMOVED = "removed"
INSERTED = "inserted"
CHECKPOINT = "checkpoint"
KIND_LABELS = {ALTERED: "altered", REMOVED: "removed", INSERTED: "inserted out of place",
               CHECKPOINT: "untrustworthy checkpoint"}


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
    last_id: str | None = None  # the last row checked: what a new checkpoint signs
    last_hash: str | None = None
    legacy_until: int | None = None  # the last row using hash_version 1, if any
    checkpoint: Checkpoint | None = None  # the checkpoint the chain was checked against

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind or "", "")

    def summary(self) -> str:
        timing = f"{self.rows_checked:,} rows checked in {self.elapsed:.2f} s"
        if self.ok:
            head = f", head seq {self.last_seq}" if self.last_seq is not None else ""
            anchor = f", matches {self.checkpoint.label()}" if self.checkpoint else ", no checkpoint yet"
            return f"chain intact: {timing}{head}{anchor}"
        if self.kind == CHECKPOINT:
            return f"chain UNVERIFIABLE: {self.detail} [{timing}]"
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
    + ", row_hash, hash_version FROM activity_logs WHERE seq > %s ORDER BY seq LIMIT %s"
)
_SEQ = HASHED_FIELDS.index("seq")
_ID = HASHED_FIELDS.index("id")
_PREV = HASHED_FIELDS.index("prev_hash")
_HASH = len(HASHED_FIELDS)
_VERSION = _HASH + 1
_UNKNOWN = ("unknown",)  # the predecessor of the first row of an incremental walk (not checked)
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
def verify_chain(
    session_or_conn: Any,
    *,
    actor: Actor,
    batch: int = 20_000,
    checkpoint_dir: Path | None = None,
    since_checkpoint: bool = False,
) -> ChainCheck:
    """Walk the whole chain in ``seq`` order, ``batch`` rows per round trip (keyset on ``seq``, so
    memory stays constant), recompute every row's hash and check every ``prev_hash`` link, then check
    the last checkpoint in ``checkpoint_dir`` (default: the settings' folder) still matches. Needs
    AUDIT_VIEW (the command line passes ``Actor.system("cli")``).

    ``since_checkpoint``: check the last checkpoint first and walk only the rows from it to the head
    (what the periodic ``audit checkpoint`` does; the rows before it were checked when it was signed).

    Reads plain tuples through the connection's psycopg cursor; no ORM objects. Stops at the first
    problem and classifies it (see ``_classify_break``).
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    started = time.perf_counter()
    conn = _driver_connection(session_or_conn)
    with conn.cursor() as cur:
        db = cur.execute("SELECT current_database()").fetchone()[0]
        try:
            anchor = last_checkpoint(db, checkpoint_dir)
        except CheckpointError as exc:
            return ChainCheck(False, 0, time.perf_counter() - started, kind=CHECKPOINT, detail=str(exc))
        start = (0, None)
        if since_checkpoint and anchor is not None:
            problem = _check_anchor(cur, anchor)
            if problem:
                return ChainCheck(False, 0, time.perf_counter() - started, None, *problem, checkpoint=anchor)
            start = (anchor.seq - 1, _UNKNOWN)
        found = _walk(cur, batch, anchor, *start)
        if found[0] is None and anchor is not None and not since_checkpoint:
            problem = _check_anchor(cur, anchor)
            if problem:
                found = (problem, *found[1:])
    problem, checked, last, legacy_until = found
    elapsed = time.perf_counter() - started
    if problem is not None:
        return ChainCheck(False, checked, elapsed, problem[1], *problem, checkpoint=anchor)
    return ChainCheck(True, checked, elapsed, last[0] if last else None, last_id=last[1] if last else None,
                      last_hash=last[2] if last else None, legacy_until=legacy_until, checkpoint=anchor)


def _walk(cur: psycopg.Cursor, batch: int, anchor: Checkpoint | None, last_seq: int, prev: tuple | None):
    """Check rows after ``last_seq``; ``prev``: (seq, id, row_hash) of the row before them.
    Returns (problem or None, rows checked, the last good row, the last legacy seq)."""
    key = audit_key()
    keyed, sha256 = hmac.digest, hashlib.sha256
    # a legacy (SHA-256) row after this seq was turned back into one without the key
    legacy_limit = anchor.legacy_until if anchor is not None else None
    legacy_until = None
    seen_keyed = anchor is not None and legacy_limit is None
    checked = 0
    names = HASHED_FIELDS
    loads = json.loads
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
            stored, version, seq = row[_HASH], row[_VERSION], row[_SEQ]
            content = canonical(dict(zip(names, values)))
            problem = None
            if version == HASH_HMAC:
                seen_keyed = True
                ok = keyed(key, content, "sha256").hex() == stored
            elif version == HASH_SHA256 and not seen_keyed and (legacy_limit is None or seq <= legacy_limit):
                legacy_until = seq
                ok = sha256(content).hexdigest() == stored
            else:
                ok = False
                problem = (ALTERED, seq, row[_ID], f"it uses hash scheme {version} where only keyed rows (HMAC, "
                           f"scheme {HASH_HMAC}) may be: it was rewritten without the audit key")
            if not ok:
                problem = problem or (ALTERED, seq, row[_ID], "its content no longer matches its row_hash")
            elif prev is not _UNKNOWN and row[_PREV] != (prev[2] if prev is not None else None):
                problem = _classify_break(cur, prev, row)
            else:
                prev = (seq, row[_ID], stored)
                continue
            return problem, checked, prev, legacy_until
        last_seq = rows[-1][_SEQ]
    return None, checked, (prev if prev is not _UNKNOWN else None), legacy_until


def checkpoint_status(session_or_conn: Any, *, checkpoint_dir: Path | None = None) -> dict[str, Any]:
    """The last checkpoint and whether its row is still in the log with the hash it signed (one indexed
    read; the full walk is ``verify_chain``). ``state``: "none", "matches", "broken" or "unreadable"."""
    with _driver_connection(session_or_conn).cursor() as cur:
        db = cur.execute("SELECT current_database()").fetchone()[0]
        try:
            anchor = last_checkpoint(db, checkpoint_dir)
        except CheckpointError as exc:
            return {"state": "unreadable", "seq": None, "at": None, "detail": str(exc)}
        if anchor is None:
            return {"state": "none", "seq": None, "at": None, "detail": ""}
        problem = _check_anchor(cur, anchor)
    return {"state": "broken" if problem else "matches", "seq": anchor.seq, "at": anchor.at,
            "detail": problem[3] if problem else ""}


def _check_anchor(cur: psycopg.Cursor, anchor: Checkpoint) -> tuple[str, int, str, str] | None:
    """The checkpoint's row must still be in the log with the hash it signed."""
    row = cur.execute("SELECT id::text, row_hash FROM activity_logs WHERE seq = %s", (anchor.seq,)).fetchone()
    if row is None:
        head = cur.execute("SELECT max(seq) FROM activity_logs").fetchone()[0]
        return (REMOVED, anchor.seq, anchor.id,
                f"{anchor.label()} names seq {anchor.seq}, which is gone: entries were removed from the end of "
                f"the log (its head is now {'seq ' + str(head) if head is not None else 'empty'})")
    if (row[0], row[1]) != (anchor.id, anchor.row_hash):
        return (ALTERED, anchor.seq, anchor.id,
                f"seq {anchor.seq} no longer has the id and row_hash {anchor.label()} recorded: "
                "the chain was rewritten up to it")
    return None


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
