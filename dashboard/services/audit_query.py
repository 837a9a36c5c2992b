"""The audit page's reads: the filtered list, a record's timeline, the CSV export, the chain summary.

Everything is filtered, ordered and paged in SQL on indexed keys, newest first by ``seq``, and
returned as display strings (no ORM objects). How each filter stays an index range at a million rows:

- actor id: ``(actor_id, seq)``. Actor e-mail substring: the distinct e-mails in the log are walked
  with a loose index scan on ``(actor_email, seq)`` (one probe per distinct e-mail), matched, and the
  page is read with ``actor_email IN (...)``.
- action: exact on ``(action, seq)``; a prefix (``kyc.``) is turned into the list of distinct actions
  it matches, the same way.
- target: ``(target_type, target_id, seq)``.
- date range (whole UTC days, inclusive): ``created_at`` never decreases along ``seq`` (``record()``
  guarantees it), so the range is first turned into a ``seq`` range with two probes of the
  ``created_at`` index; every other index then serves the date filter as a range on its ``seq``
  column. The ``created_at`` condition is kept as well, so no row outside the range can show.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard.models import ActivityLog
from dashboard.core.permissions import Perm
from dashboard.services import audit
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput, NotAllowed

MAX_PAGE = 200
MAX_EXPORT_ROWS = 100_000
_DISTINCT_WALK_CAP = 5_000  # beyond this many distinct e-mails/actions, filter row by row instead

_t = ActivityLog.__table__
_c = _t.c


# --- filters ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What the officer typed. Empty strings mean "no filter"; dates are ``date`` or ``YYYY-MM-DD``."""

    actor: str = ""  # e-mail substring, or an actor's user id
    action: str = ""  # exact ("kyc.approve") or a prefix ending in "." or ".*" ("kyc.")
    target_type: str = ""
    target_id: str = ""  # needs target_type
    date_from: date | str | None = None  # inclusive, UTC
    date_to: date | str | None = None  # inclusive, UTC


@dataclass(frozen=True)
class _Query:
    actor_id: uuid.UUID | None = None
    actor_text: str | None = None
    action: str | None = None
    action_prefix: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None  # exclusive
    shown: dict[str, str] | None = None  # the filters as given, for the export's audit entry


_ACTION = re.compile(r"[a-z0-9][a-z0-9_\-]*(\.[a-z0-9][a-z0-9_\-]*)*")
_TARGET_TYPE = re.compile(r"[a-z][a-z0-9_]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _text(name: str, value: Any, max_len: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: expected text, got {type(value).__name__}")
    value = value.strip()
    if len(value) > max_len:
        raise InvalidInput(f"{name}: at most {max_len} characters")
    if _CONTROL.search(value):
        raise InvalidInput(f"{name}: control characters are not allowed")
    return value


def _day(name: str, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        raise InvalidInput(f"{name}: expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
        raise InvalidInput(f"{name}: {value.strip()[:32]!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31")
    raise InvalidInput(f"{name}: expected a date (YYYY-MM-DD), got {type(value).__name__}")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def parse_filters(filters: AuditFilters | Mapping[str, Any] | None) -> _Query:
    """Validate the filters; raise ``InvalidInput`` naming the first bad one."""
    if filters is None:
        filters = AuditFilters()
    elif isinstance(filters, Mapping):
        known = {f.name for f in fields(AuditFilters)}
        unknown = sorted(str(k) for k in filters if k not in known)
        if unknown:
            raise InvalidInput(f"unknown filter: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        filters = AuditFilters(**filters)
    elif not isinstance(filters, AuditFilters):
        raise InvalidInput("filters must be AuditFilters or a mapping")

    shown: dict[str, str] = {}
    actor_text = _text("actor", filters.actor, 255)
    actor_id = None
    if actor_text:
        shown["actor"] = actor_text
        try:
            actor_id = uuid.UUID(actor_text) if len(actor_text) in (32, 36) else None
        except ValueError:
            actor_id = None
        if actor_id is not None:
            actor_text = ""

    action = _text("action", filters.action, 64).lower()
    prefix = None
    if action:
        shown["action"] = action
        stem = action[:-1] if action.endswith(".*") else action
        if stem.endswith("."):
            if not _ACTION.fullmatch(stem[:-1]):
                raise InvalidInput(f"action: {action!r} is not an action prefix; use e.g. 'kyc.' or 'kyc.*'")
            prefix, action = stem, ""
        elif not _ACTION.fullmatch(action) or len(action) < 3:
            raise InvalidInput(
                f"action: {action!r} is not an action; use an action like 'kyc.approve' or a prefix like 'kyc.'"
            )

    target_type = _text("target_type", filters.target_type, 64).lower()
    target_id = _text("target_id", filters.target_id, 64)
    if target_type:
        shown["target_type"] = target_type
        if not _TARGET_TYPE.fullmatch(target_type):
            raise InvalidInput(f"target_type: {target_type!r} is not a record type (lower case, e.g. 'kyc_verification')")
    if target_id:
        shown["target_id"] = target_id
        if not target_type:
            raise InvalidInput("target_id: choose the record type (target_type) as well")

    day_from = _day("date_from", filters.date_from)
    day_to = _day("date_to", filters.date_to)
    if day_from and day_to and day_from > day_to:
        raise InvalidInput(f"date range: 'from' ({day_from}) is after 'to' ({day_to})")
    start = _midnight(day_from) if day_from else None
    end = None
    if day_to:
        shown["date_to"] = day_to.isoformat()
        end = _midnight(day_to) + timedelta(days=1) if day_to < date.max else None
    if day_from:
        shown["date_from"] = day_from.isoformat()

    return _Query(
        actor_id=actor_id,
        actor_text=actor_text or None,
        action=action or None,
        action_prefix=prefix,
        target_type=target_type or None,
        target_id=target_id or None,
        start=start,
        end=end,
        shown=shown,
    )


def _limit(name: str, value: Any, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name}: expected a whole number from 1 to {high}")
    if value < 1 or value > high:
        raise InvalidInput(f"{name}: must be from 1 to {high}, got {value}")
    return value


def _cursor(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 2**63 - 1:
        raise InvalidInput(f"{name}: not a valid page cursor")
    return value


def _require(actor: Actor | None, perm: Perm, what: str) -> None:
    if actor is None:
        raise NotAllowed(f"Sign in to {what}.")
    if not actor.can(perm):
        raise NotAllowed(f"Your role ({actor.role or 'none'}) may not {what}: it needs the {perm.value} permission.")


# --- SQL building -----------------------------------------------------------------------------------

_WALK_SQL = """
WITH RECURSIVE walk(val, n) AS (
    SELECT min({col}), 1 FROM activity_logs
    UNION ALL
    SELECT (SELECT min({col}) FROM activity_logs WHERE {col} > walk.val), walk.n + 1
    FROM walk WHERE walk.val IS NOT NULL AND walk.n < :cap
)
SELECT val, n FROM walk
"""


def _distinct(session: Session, column: str) -> list[str] | None:
    """Every distinct value of an indexed column, one index probe each; None past the cap."""
    rows = session.execute(sa.text(_WALK_SQL.format(col=column)), {"cap": _DISTINCT_WALK_CAP}).all()
    if rows and rows[-1][0] is not None and rows[-1][1] >= _DISTINCT_WALK_CAP:
        return None
    return [val for val, _ in rows if val is not None]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _seq_bounds(session: Session, start: datetime | None, end: datetime | None) -> tuple[int, int] | None:
    """The first and last seq inside [start, end), or None when no entry falls in it."""
    in_range = []
    if start is not None:
        in_range.append("created_at >= :start")
    if end is not None:
        in_range.append("created_at < :end")
    where = " AND ".join(in_range)
    row = session.execute(
        sa.text(
            "SELECT "
            f"(SELECT min(seq) FROM activity_logs WHERE created_at = (SELECT min(created_at) FROM activity_logs WHERE {where})), "
            f"(SELECT max(seq) FROM activity_logs WHERE created_at = (SELECT max(created_at) FROM activity_logs WHERE {where}))"
        ),
        {"start": start, "end": end},
    ).one()
    if row[0] is None:
        return None
    return int(row[0]), int(row[1])


def _conditions(session: Session, q: _Query) -> list[Any] | None:
    """WHERE conditions for the filters; None when nothing can match (no query needed)."""
    conds: list[Any] = []
    if q.actor_id is not None:
        conds.append(_c.actor_id == q.actor_id)
    if q.actor_text:
        emails = _distinct(session, "actor_email")
        if emails is None:
            conds.append(_c.actor_email.ilike(f"%{_like_escape(q.actor_text)}%", escape="\\"))
        else:
            needle = q.actor_text.lower()
            matching = [e for e in emails if needle in e.lower()]
            if not matching:
                return None
            conds.append(_c.actor_email.in_(matching))
    if q.action:
        conds.append(_c.action == q.action)
    if q.action_prefix:
        actions = _distinct(session, "action")
        if actions is None:
            conds.append(_c.action.startswith(q.action_prefix, autoescape=True))
        else:
            matching = [a for a in actions if a.startswith(q.action_prefix)]
            if not matching:
                return None
            conds.append(_c.action.in_(matching))
    if q.target_type:
        conds.append(_c.target_type == q.target_type)
    if q.target_id:
        conds.append(_c.target_id == q.target_id)
    if q.start is not None or q.end is not None:
        bounds = _seq_bounds(session, q.start, q.end)
        if bounds is None:
            return None
        conds.append(_c.seq.between(*bounds))
        if q.start is not None:
            conds.append(_c.created_at >= q.start)
        if q.end is not None:
            conds.append(_c.created_at < q.end)
    return conds


# --- display rows -----------------------------------------------------------------------------------


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


_ENTRY_COLUMNS = (
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


def _when(value: datetime) -> tuple[str, str]:
    utc = value.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC"), utc.isoformat(timespec="microseconds")


def _entry(row: Any) -> AuditEntry:
    (seq, id_, created_at, email, role, actor_id, action, target_type, target_id, description, before, after,
     details, ip, user_agent, session_id, correlation_id) = row
    when, when_iso = _when(created_at)
    target = " ".join(p for p in (target_type or "", target_id or "") if p)
    return AuditEntry(
        seq=int(seq),
        id=str(id_),
        when=when,
        when_iso=when_iso,
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


# --- services ---------------------------------------------------------------------------------------


def list_entries(
    session: Session,
    *,
    actor: Actor | None,
    filters: AuditFilters | Mapping[str, Any] | None = None,
    after_seq: int | str | None = None,
    before_seq: int | str | None = None,
    limit: int = 50,
) -> AuditPage:
    """One page of the audit log, newest first. ``after_seq``: the page older than that cursor
    (``next_cursor``); ``before_seq``: the page newer than it (``prev_cursor``). Needs AUDIT_VIEW."""
    _require(actor, Perm.AUDIT_VIEW, "see the audit log")
    q = parse_filters(filters)
    limit = _limit("limit", limit, MAX_PAGE)
    after = _cursor("after_seq", after_seq)
    before = _cursor("before_seq", before_seq)
    if after is not None and before is not None:
        raise InvalidInput("give either after_seq or before_seq, not both")

    conds = _conditions(session, q)
    if conds is None:
        return AuditPage([], False, None, None)
    stmt = sa.select(*_ENTRY_COLUMNS).where(*conds)
    if before is not None:
        stmt = stmt.where(_c.seq > before).order_by(_c.seq.asc()).limit(limit + 1)
        rows = session.execute(stmt).all()
        newer = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        entries = [_entry(r) for r in rows]
        return AuditPage(
            entries,
            has_more=bool(entries),  # the page we came from is older
            next_cursor=entries[-1].seq if entries else None,
            prev_cursor=entries[0].seq if entries and newer else None,
        )
    if after is not None:
        stmt = stmt.where(_c.seq < after)
    rows = session.execute(stmt.order_by(_c.seq.desc()).limit(limit + 1)).all()
    has_more = len(rows) > limit
    entries = [_entry(r) for r in rows[:limit]]
    return AuditPage(
        entries,
        has_more=has_more,
        next_cursor=entries[-1].seq if entries and has_more else None,
        prev_cursor=entries[0].seq if entries and after is not None else None,
    )


def timeline_for(
    session: Session,
    *,
    actor: Actor | None,
    target_type: str,
    target_id: Any,
    limit: int = 100,
) -> list[AuditEntry]:
    """The most recent ``limit`` entries about one record, newest first. Needs AUDIT_VIEW."""
    _require(actor, Perm.AUDIT_VIEW, "see the audit log")
    target_type = _text("target_type", target_type, 64).lower()
    target_id = _text("target_id", "" if target_id is None else str(target_id), 64)
    if not target_type or not target_id:
        raise InvalidInput("a timeline needs both the record type and its id")
    if not _TARGET_TYPE.fullmatch(target_type):
        raise InvalidInput(f"target_type: {target_type!r} is not a record type (lower case, e.g. 'kyc_verification')")
    limit = _limit("limit", limit, MAX_PAGE)
    stmt = (
        sa.select(*_ENTRY_COLUMNS)
        .where(_c.target_type == target_type, _c.target_id == target_id)
        .order_by(_c.seq.desc())
        .limit(limit)
    )
    return [_entry(r) for r in session.execute(stmt).all()]


EXPORT_COLUMNS = (
    "seq", "created_at_utc", "actor_email", "actor_role", "actor_id", "action", "target_type", "target_id",
    "description", "before", "after", "details", "ip_address", "user_agent", "session_id", "correlation_id",
    "id", "prev_hash", "row_hash",
)
_EXPORT_SELECT = (
    _c.seq,
    sa.func.to_char(sa.func.timezone("UTC", _c.created_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    _c.actor_email, _c.actor_role, sa.cast(_c.actor_id, sa.Text), _c.action, _c.target_type, _c.target_id,
    _c.description, sa.cast(_c.before, sa.Text), sa.cast(_c.after, sa.Text), sa.cast(_c.details, sa.Text),
    sa.func.abbrev(_c.ip_address), _c.user_agent, sa.cast(_c.session_id, sa.Text),
    sa.cast(_c.correlation_id, sa.Text), sa.cast(_c.id, sa.Text), _c.prev_hash, _c.row_hash,
)
_FORMULA_START = r"^[=+\-@\t\r]"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to every text cell a spreadsheet would run as a formula (= + - @ tab CR).
    Numbers are left alone; the input frame is not modified."""
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if not (col.dtype == object or pd.api.types.is_string_dtype(col)):
            continue
        try:
            risky = col.str.match(_FORMULA_START, na=False).astype(bool)
        except AttributeError:  # no text in this column
            continue
        if risky.any():
            out[name] = col.mask(risky, "'" + col.astype(str))
    return out


def export_csv(
    session: Session,
    *,
    actor: Actor | None,
    filters: AuditFilters | Mapping[str, Any] | None = None,
    max_rows: int = MAX_EXPORT_ROWS,
) -> bytes:
    """The filtered log as UTF-8 CSV, newest first, at most ``max_rows`` rows. Needs AUDIT_EXPORT.

    The export itself is audited (``audit.export``: filters, row count, SHA-256 of the file) in the
    caller's transaction. Cells that a spreadsheet would evaluate are neutralised with a leading ``'``.
    """
    _require(actor, Perm.AUDIT_EXPORT, "export the audit log")
    q = parse_filters(filters)
    max_rows = _limit("max_rows", max_rows, MAX_EXPORT_ROWS)
    conds = _conditions(session, q)
    rows: list[Any] = []
    if conds is not None:
        stmt = sa.select(*_EXPORT_SELECT).where(*conds).order_by(_c.seq.desc()).limit(max_rows + 1)
        rows = session.execute(stmt).all()
    truncated = len(rows) > max_rows
    rows = rows[:max_rows]
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(EXPORT_COLUMNS), dtype=object)
    frame = neutralise_formulas(frame.fillna(""))
    buffer = io.StringIO()
    # CRLF (RFC 4180): with "\n" alone, Python's csv would leave a lone CR in a cell unquoted
    frame.to_csv(buffer, index=False, lineterminator="\r\n")
    data = buffer.getvalue().encode("utf-8")
    audit.record(
        session,
        actor=actor,
        action="audit.export",
        target_type="activity_logs",
        description=f"Exported {len(rows):,} audit entries as CSV" + (" (truncated)" if truncated else ""),
        details={
            "filters": q.shown or {},
            "rows": len(rows),
            "max_rows": max_rows,
            "truncated": truncated,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    return data


def chain_status(session: Session) -> dict[str, Any]:
    """A cheap summary for the page header: the chain's head and how many entries (exact up to
    10,000, else PostgreSQL's estimate). Shows nothing of the entries themselves; full verification
    is ``python -m dashboard.cli audit verify``."""
    head = session.execute(
        sa.select(_c.seq, _c.row_hash, _c.created_at).order_by(_c.seq.desc()).limit(1)
    ).first()
    cap = 10_000
    counted = session.execute(
        sa.text("SELECT count(*) FROM (SELECT 1 FROM activity_logs LIMIT :cap) AS capped"), {"cap": cap}
    ).scalar_one()
    if counted < cap:
        rows, exact = int(counted), True
    else:
        estimate = session.execute(
            sa.text(
                "SELECT GREATEST(c.reltuples::bigint, pg_stat_get_live_tuples(c.oid)) "
                "FROM pg_class c WHERE c.oid = 'activity_logs'::regclass"
            )
        ).scalar_one()
        rows, exact = max(int(estimate or 0), cap), False
    return {
        "head_seq": int(head[0]) if head else None,
        "head_hash": head[1] if head else None,
        "head_at": _when(head[2])[0] if head else None,
        "rows": rows,
        "rows_exact": exact,
        "rows_label": f"{rows:,}" if exact else f"about {rows:,}",
    }
