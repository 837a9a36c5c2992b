"""An audit row as the screen shows it: every field a display string (except ``seq``, the cursor),
and a page of them. Built from the columns ``ENTRY_COLUMNS`` selects; no ORM objects."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from dashboard.audit.sql import COLUMNS as _c


@dataclass(frozen=True)
class AuditEntry:
    """One audit row as the page shows it: every field a string, except ``seq`` (the cursor)."""

    seq: int
    id: str
    when: str  # "2026-01-31 14:05:09 UTC"
    when_iso: str  # full precision, UTC
    actor: str  # the e-mail at the time, or "system"
    actor_role: str
    actor_id: str
    action: str
    target_type: str
    target_id: str
    target: str  # "kyc_verification 3f2a…"
    description: str
    changes: str  # "status: PENDING → APPROVED; reviewed_by: → a@b.c"
    before: str  # compact JSON, or ""
    after: str
    details: str
    ip_address: str
    user_agent: str
    session_id: str
    correlation_id: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    has_more: bool  # older entries exist past this page
    next_cursor: int | None  # pass as after_seq for the older page
    prev_cursor: int | None  # pass as before_seq for the newer page (None on the newest page)


ENTRY_COLUMNS = (
    _c.seq, _c.id, _c.created_at, _c.actor_email, _c.actor_role, _c.actor_id, _c.action, _c.target_type,
    _c.target_id, _c.description, _c.before, _c.after, _c.details, _c.ip_address, _c.user_agent,
    _c.session_id, _c.correlation_id,
)


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def _short(value: Any, width: int = 40) -> str:
    text = "" if value is None else (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return text if len(text) <= width else text[: width - 1] + "…"


def _changes(before: Any, after: Any, most: int = 6) -> str:
    if not isinstance(before, dict) and not isinstance(after, dict):
        return ""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    parts = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            parts.append(f"{key}: {_short(old) or '—'} → {_short(new) or '—'}")
    if len(parts) > most:
        parts = parts[:most] + [f"(+{len(parts) - most} more)"]
    return "; ".join(parts)


def when(value: datetime) -> tuple[str, str]:
    """A moment as ("2026-01-31 14:05:09 UTC", full-precision ISO in UTC)."""
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC"), utc.isoformat(timespec="microseconds")


def entry(row: Any) -> AuditEntry:
    """The display form of one row of ``ENTRY_COLUMNS``."""
    (seq, id_, created_at, email, role, actor_id, action, target_type, target_id, description, before, after,
     details, ip, user_agent, session_id, correlation_id) = row
    shown, shown_iso = when(created_at)
    target = " ".join(p for p in (target_type or "", target_id or "") if p)
    return AuditEntry(
        seq=int(seq),
        id=str(id_),
        when=shown,
        when_iso=shown_iso,
        actor=email or "system",
        actor_role=role or "",
        actor_id=str(actor_id) if actor_id else "",
        action=action,
        target_type=target_type or "",
        target_id=target_id or "",
        target=target,
        description=description or "",
        changes=_changes(before, after),
        before=_json_text(before),
        after=_json_text(after),
        details=_json_text(details),
        ip_address=str(ip) if ip is not None else "",
        user_agent=user_agent or "",
        session_id=str(session_id) if session_id else "",
        correlation_id=str(correlation_id) if correlation_id else "",
    )
