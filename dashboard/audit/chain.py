"""The tamper-evident audit log.

``record()`` appends one ``activity_logs`` row **in the caller's transaction**, so the entry commits
or rolls back with the change it describes. Rows form a hash chain: each stores the previous row's
``row_hash`` as ``prev_hash`` and its own ``row_hash`` over a canonical JSON form of its content (including ``seq``,
``id``, ``created_at`` and ``prev_hash``).

The hash is keyed: ``row_hash`` = HMAC-SHA256 with the audit key (``DASHBOARD_AUDIT_KEY``; in dev/test
derived from the secret key), which the database never holds, so someone who can write to the table
cannot recompute a valid chain after editing, inserting or removing rows. ``hash_version`` says which
scheme a row uses: 1 = plain SHA-256 (rows written before the key was introduced; the append-only
trigger forbids re-keying them, and the first keyed row's HMAC covers the last of them through
``prev_hash``), 2 = HMAC. Versions never go down along ``seq``. Deleting the newest rows leaves a
shorter chain that is still valid, so the head is also anchored outside the database: signed
checkpoints (``dashboard.audit.checkpoint``).

Writers take a transaction-scoped advisory lock before reading the chain's head, so concurrent
writers queue up and never fork the chain; the lock is released when the writer's transaction ends.
(This serialises audited writes, which a back office makes at human speed.) Because the head is read
after the lock is granted, the writer's transaction must be READ COMMITTED (PostgreSQL's default): a
REPEATABLE READ snapshot taken before the lock could miss the row committed just before it.

The database refuses UPDATE, DELETE and TRUNCATE on the table (migration 153ee92d13d1).
``dashboard.audit.verify.verify_chain()`` walks the whole chain and names the first row that was
altered, removed or inserted out of place by someone who bypassed those triggers.

Invariants the readers rely on:
- ``seq`` grows with commit order (taken under the lock); gaps are normal (rolled-back writers).
- ``created_at`` never decreases along ``seq`` (``record()`` clamps it to the head's), so a date range
  is a ``seq`` range; the audit page uses that to serve date filters from the ``seq`` indexes.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import null, text
from sqlmodel import Session

from dashboard.config import get_settings
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput
from dashboard.models import ActivityLog

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


HASH_SHA256 = 1  # legacy rows, before the chain was keyed (never written any more)
HASH_HMAC = 2  # HMAC-SHA256 with the audit key: every row record() writes
HASH_VERSIONS = (HASH_SHA256, HASH_HMAC)


@lru_cache(maxsize=8)
def _derive_key(audit_key: str, secret_key: str) -> bytes:
    if audit_key:
        return audit_key.encode()
    # dev/test only (production refuses an empty DASHBOARD_AUDIT_KEY): one key per secret key
    return hmac.digest(secret_key.encode(), b"dashboard.audit.chain.v1", "sha256")


def audit_key() -> bytes:
    """The chain's HMAC key, from the settings (never stored in the database)."""
    settings = get_settings()
    return _derive_key(settings.audit_key, settings.secret_key)


def legacy_row_hash(row: dict[str, Any]) -> str:
    """Plain SHA-256 of the canonical content: hash_version 1 (what anyone can compute)."""
    return hashlib.sha256(canonical(row)).hexdigest()


def row_hash(row: dict[str, Any], key: bytes | None = None) -> str:
    """HMAC-SHA256 of the canonical content with the audit key: hash_version 2."""
    return hmac.digest(key if key is not None else audit_key(), canonical(row), "sha256").hex()


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
        "action": str(action),  # an AuditAction is stored (and hashed) as its plain value
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
    values["hash_version"] = HASH_HMAC
    # None -> SQL NULL, not the JSON value null (the hash treats both alike; IS NULL should too)
    columns = {k: (null() if v is None and k in _JSON_FIELDS else v) for k, v in values.items()}
    entry = ActivityLog(**columns)
    session.add(entry)
    session.flush()
    return entry
