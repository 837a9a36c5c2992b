"""The audit screen's vocabulary: the filters (what an officer may type, validated into a query), their
labels, and the limits of a page, a timeline and an export. Pure: no database, no reflex."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from dashboard.core import validate
from dashboard.core.errors import InvalidInput

PAGE_SIZE = 50
MAX_PAGE = 200
TIMELINE_LIMIT = 100
MAX_EXPORT_ROWS = 100_000
MAX_ACTOR = 255  # the longest actor filter (an e-mail substring)

FILTER_FIELDS = ("actor", "action", "target_type", "target_id", "date_from", "date_to")
FILTER_LABELS = {
    "actor": "Actor",
    "action": "Action",
    "target_type": "Record type",
    "target_id": "Record id",
    "date_from": "From date",
    "date_to": "To date",
    "date range": "Dates",
}


def friendly(message: str) -> str:
    """The service names a bad filter by its key ("date_from: ..."); show the label instead."""
    key, sep, rest = message.partition(": ")
    if sep and key in FILTER_LABELS:
        return f"{FILTER_LABELS[key]}: {rest}"
    return message


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
class Query:
    """The filters, validated: what the SQL conditions are built from."""

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


def clean_text(name: str, value: Any, max_len: int) -> str:
    """A filter's text (its raw name in the message): single-line, at most ``max_len`` characters."""
    return validate.clean_text(value, name, max_len)


def record_type(value: Any) -> str:
    """A record type (``target_type``): lower case, e.g. ``kyc_verification``; "" when not given."""
    target_type = clean_text("target_type", value, 64).lower()
    if target_type and not _TARGET_TYPE.fullmatch(target_type):
        raise InvalidInput(f"target_type: {target_type!r} is not a record type (lower case, e.g. 'kyc_verification')")
    return target_type


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


def _as_filters(filters: AuditFilters | Mapping[str, Any] | None) -> AuditFilters:
    if filters is None:
        return AuditFilters()
    if isinstance(filters, Mapping):
        known = {f.name for f in fields(AuditFilters)}
        unknown = sorted(str(k) for k in filters if k not in known)
        if unknown:
            raise InvalidInput(f"unknown filter: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return AuditFilters(**filters)
    if not isinstance(filters, AuditFilters):
        raise InvalidInput("filters must be AuditFilters or a mapping")
    return filters


def _action(value: Any, shown: dict[str, str]) -> tuple[str, str | None]:
    """(exact action, action prefix): at most one of them set."""
    action = clean_text("action", value, 64).lower()
    if not action:
        return "", None
    shown["action"] = action
    stem = action[:-1] if action.endswith(".*") else action
    if stem.endswith("."):
        if not _ACTION.fullmatch(stem[:-1]):
            raise InvalidInput(f"action: {action!r} is not an action prefix; use e.g. 'kyc.' or 'kyc.*'")
        return "", stem
    if not _ACTION.fullmatch(action) or len(action) < 3:
        raise InvalidInput(
            f"action: {action!r} is not an action; use an action like 'kyc.approve' or a prefix like 'kyc.'"
        )
    return action, None


def parse_filters(filters: AuditFilters | Mapping[str, Any] | None) -> Query:
    """Validate the filters; raise ``InvalidInput`` naming the first bad one."""
    filters = _as_filters(filters)
    shown: dict[str, str] = {}
    actor_text = clean_text("actor", filters.actor, MAX_ACTOR)
    actor_id = None
    if actor_text:
        shown["actor"] = actor_text
        try:
            actor_id = uuid.UUID(actor_text) if len(actor_text) in (32, 36) else None
        except ValueError:
            actor_id = None
        if actor_id is not None:
            actor_text = ""

    action, prefix = _action(filters.action, shown)

    target_type = clean_text("target_type", filters.target_type, 64).lower()
    target_id = clean_text("target_id", filters.target_id, 64)
    if target_type:
        shown["target_type"] = target_type
        record_type(target_type)
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

    return Query(
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


def whole_number(name: str, value: Any, high: int) -> int:
    """A count from 1 to ``high`` (a page size, an export's row cap), named in the message."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name}: expected a whole number from 1 to {high}")
    if value < 1 or value > high:
        raise InvalidInput(f"{name}: must be from 1 to {high}, got {value}")
    return value


def seq_cursor(name: str, value: Any) -> int | None:
    """A page cursor: the ``seq`` of an entry (a number, or its digits as text); None: no cursor."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 2**63 - 1:
        raise InvalidInput(f"{name}: not a valid page cursor")
    return value


def count_filters(wanted: Mapping[str, str]) -> int:
    """Validate the filter form's values (a message names the field by its label); how many are set."""
    try:
        parse_filters(dict(wanted))
    except InvalidInput as exc:
        raise InvalidInput(friendly(str(exc))) from None
    return sum(1 for value in wanted.values() if value)
