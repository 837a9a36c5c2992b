"""The tamper-evident audit log.

``record()`` appends one ``activity_logs`` row **in the caller's transaction**, so the entry commits
or rolls back with the change it describes. Rows form a hash chain: each stores the previous row's
``row_hash`` as ``prev_hash`` and its own ``row_hash`` = SHA-256 over a canonical JSON form of its
content (including ``seq``, ``id``, ``created_at`` and ``prev_hash``).

Writers take a transaction-scoped advisory lock before reading the chain's head, so concurrent
writers queue up and never fork the chain; the lock is released when the writer's transaction ends.
(This serialises audited writes, which a back office makes at human speed.) Because the head is read
after the lock is granted, the writer's transaction must be READ COMMITTED (PostgreSQL's default): a
REPEATABLE READ snapshot taken before the lock could miss the row committed just before it.

The database refuses UPDATE, DELETE and TRUNCATE on the table (migration 153ee92d13d1).
``verify_chain()`` walks the whole chain and names the first row that was altered, removed or
inserted out of place by someone who bypassed those triggers.

Invariants the readers rely on:
- ``seq`` grows with commit order (taken under the lock); gaps are normal (rolled-back writers).
- ``created_at`` never decreases along ``seq`` (``record()`` clamps it to the head's), so a date range
  is a ``seq`` range; the audit page uses that to serve date filters from the ``seq`` indexes.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import null, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from dashboard.models import ActivityLog
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput

# Any constant works; it names "the audit chain" among this database's advisory locks.
AUDIT_CHAIN_LOCK = 0x4155_4449_5431  # "AUDIT1"

HASHED_FIELDS = (
    "seq",
    "id",
    "created_at",
    "actor_id",
    "actor_role",
    "actor_email",
    "action",
    "target_type",
    "target_id",
    "description",
    "before",
    "after",
    "details",
    "ip_address",
    "user_agent",
    "session_id",
    "correlation_id",
    "prev_hash",
)

_IP_TYPES = (
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
)


@lru_cache(maxsize=65_536)
def _ip_text(value: Any) -> str:
    """One spelling per INET value, stable across Python versions.

    Accepts what the app hands in (``"10.0.0.1"``, ``"2001:DB8::1"``, ``"10.0.0.1/32"``) and what
    psycopg hands back (``IPv4Address``, ``IPv6Interface``, ...). A full-length prefix is dropped, as
    PostgreSQL does; IPv6 is written exploded, because ``str()`` of some IPv6 forms changed in 3.13.
    """
    iface = ipaddress.ip_interface(value if not isinstance(value, str) else value.strip())
    host = iface.ip.exploded if iface.version == 6 else str(iface.ip)
    prefix = iface.network.prefixlen
    return host if prefix == iface.max_prefixlen else f"{host}/{prefix}"


def normalise_ip(value: Any) -> str | None:
    """The canonical text of an IP address (see ``_ip_text``); ``InvalidInput`` when it is not one."""
    if value is None or value == "":
        return None
    try:
        return _ip_text(value)
    except (ValueError, TypeError):
        raise InvalidInput(f"not an IP address: {str(value)[:64]!r}") from None


_SIMPLE = frozenset({str, int, bool, type(None)})  # already plain: returned as they are


def _plain(value: Any) -> Any:
    """JSON-safe, deterministic form of a value (Decimal and dates as strings, never floats)."""
    kind = type(value)
    if kind in _SIMPLE:  # the common cases first: this runs for every field of every row verified
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): (v if type(v) in _SIMPLE else _plain(v)) for k, v in value.items()}
    if isinstance(value, (bool, int, str)):  # subclasses (StrEnum, IntEnum)
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, float):
        # Floats never belong in money; keep them exact in text if one slips into details.
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, _IP_TYPES):
        return _ip_text(value)
    return str(value)


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical(row: dict[str, Any]) -> bytes:
    """The bytes ``row_hash`` covers. Gives the same result for the values ``record()`` writes and
    for the same row read back through psycopg (UUID objects, aware datetimes in any zone, JSONB as
    dicts, INET as ``ipaddress`` objects or text)."""
    get = row.get
    content = {name: (v if type(v := get(name)) in _SIMPLE else _plain(v)) for name in HASHED_FIELDS}
    ip = content["ip_address"]
    if ip is not None:
        content["ip_address"] = _ip_text(ip)
    return _ENCODE(content).encode()


def row_hash(row: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


_JSON_FIELDS = frozenset({"before", "after", "details"})
_LOCK_SQL = text("SELECT pg_advisory_xact_lock(:k), current_setting('transaction_isolation')")
# A separate statement from the lock: under READ COMMITTED its snapshot is taken after the lock is
# granted, so it sees the row the previous lock holder committed.
_HEAD_SQL = text(
    "SELECT h.row_hash, GREATEST(clock_timestamp(), h.created_at), "
    "nextval(pg_get_serial_sequence('activity_logs', 'seq')) "
    "FROM (SELECT 1) AS one LEFT JOIN LATERAL "
    "(SELECT row_hash, created_at FROM activity_logs ORDER BY seq DESC LIMIT 1) AS h ON true"
)


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    target_type: str | None = None,
    target_id: Any = None,
    description: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> ActivityLog:
    """Append one audit entry in the current transaction and return it."""
    actor = actor or Actor.system()
    ip_address = normalise_ip(actor.ip_address)
    isolation = session.execute(_LOCK_SQL, {"k": AUDIT_CHAIN_LOCK}).one()[1]
    if isolation != "read committed":
        raise RuntimeError(
            f"audit.record() needs a READ COMMITTED transaction (this one is {isolation}): "
            "its snapshot could predate the chain head and fork the chain"
        )
    head, created_at, seq = session.execute(_HEAD_SQL).one()
    values: dict[str, Any] = {
        "seq": seq,
        "id": uuid.uuid4(),
        # clock_timestamp, not now(): entries of one long transaction keep their real order in time;
        # never earlier than the head's, so created_at grows with seq even if the clock steps back
        "created_at": created_at,
        "actor_id": actor.user_id,
        "actor_role": actor.role,
        "actor_email": actor.email,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id) if target_id is not None else None,
        "description": description,
        "before": _plain(before) if before is not None else None,
        "after": _plain(after) if after is not None else None,
        "details": _plain(details) if details is not None else None,
        "ip_address": ip_address,
        "user_agent": actor.user_agent,
        "session_id": actor.session_id,
        "correlation_id": actor.correlation_id,
        "prev_hash": head,
    }
    values["row_hash"] = row_hash(values)
    # None -> SQL NULL, not the JSON value null (the hash treats both alike; IS NULL should too)
    columns = {k: (null() if v is None and k in _JSON_FIELDS else v) for k, v in values.items()}
    entry = ActivityLog(**columns)
    session.add(entry)
    session.flush()
    return entry


# --- verification ---------------------------------------------------------------------------------

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


def verify_chain(session_or_conn: Any, *, batch: int = 20_000) -> ChainCheck:
    """Walk the whole chain in ``seq`` order, ``batch`` rows per round trip (keyset on ``seq``, so
    memory stays constant), recompute every row's hash and check every ``prev_hash`` link.

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
