"""The tamper-evident audit log.

``record()`` appends one ``activity_logs`` row **in the caller's transaction**, so the entry commits
or rolls back with the change it describes. Rows form a hash chain: each stores the previous row's
``row_hash`` as ``prev_hash`` and its own ``row_hash`` = SHA-256 over a canonical JSON form of its
content (including ``seq``, ``id``, ``created_at`` and ``prev_hash``).

Writers take a transaction-scoped advisory lock before reading the chain's head, so concurrent
writers queue up and never fork the chain; the lock is released when the writer's transaction ends.
(This serialises audited writes, which a back office makes at human speed.)
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from ..models import ActivityLog
from .actor import Actor

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


def _plain(value: Any) -> Any:
    """JSON-safe, deterministic form of a value (Decimal and dates as strings, never floats)."""
    if value is None or isinstance(value, (bool, int, str)):
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
    return str(value)


def canonical(row: dict[str, Any]) -> bytes:
    content = {name: _plain(row.get(name)) for name in HASHED_FIELDS}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(row: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


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
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_CHAIN_LOCK})
    head = session.execute(text("SELECT row_hash FROM activity_logs ORDER BY seq DESC LIMIT 1")).scalar()
    seq = session.execute(text("SELECT nextval(pg_get_serial_sequence('activity_logs', 'seq'))")).scalar_one()
    values: dict[str, Any] = {
        "seq": seq,
        "id": uuid.uuid4(),
        # clock_timestamp, not now(): entries of one long transaction keep their real order in time
        "created_at": session.execute(text("SELECT clock_timestamp()")).scalar_one(),
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
        "ip_address": actor.ip_address,
        "user_agent": actor.user_agent,
        "session_id": actor.session_id,
        "correlation_id": actor.correlation_id,
        "prev_hash": head,
    }
    values["row_hash"] = row_hash(values)
    entry = ActivityLog(**values)
    session.add(entry)
    session.flush()
    return entry
