"""Parsing untrusted values that every domain takes: ids and free text.

A bad value is refused with an ``InvalidInput`` whose message names the field; nothing is cut or
silently cleaned (NUL and other control characters are refused, not stripped, so PostgreSQL never sees
them).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from dashboard.core.errors import InvalidInput

MAX_ID = 64


def parse_uuid(value: Any, what: str = "item", *, message: str = "") -> uuid.UUID:
    """A UUID from a click or a form (text only): ``message`` (or "That <what> id is not valid.")
    otherwise."""
    if isinstance(value, uuid.UUID):
        return value
    refusal = message or f"That {what} id is not valid."
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= MAX_ID:
        raise InvalidInput(refusal)
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidInput(refusal) from None


def clean_text(value: Any, name: str, limit: int, *, required: bool = False, multiline: bool = False,
               empty: str = "required.") -> str:
    """Text from a form, stripped. Refused when it is not text, empty while ``required`` (``"<name>:
    <empty>"``), longer than ``limit`` or holding control characters (line breaks and tabs pass when
    ``multiline``). ``None`` counts as empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: expected text.")
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{name}: {empty}")
    if len(value) > limit:
        raise InvalidInput(f"{name}: at most {limit:,} characters (this one has {len(value):,}).")
    allowed = "\n\t\r" if multiline else ""
    if any((ord(c) < 32 and c not in allowed) or ord(c) == 127 for c in value):
        raise InvalidInput(f"{name}: control characters are not allowed.")
    return value


def one_of(value: Any, allowed: tuple[str, ...], name: str) -> str:
    """A filter's choice: ``""`` when none is chosen (empty or "all"), else one of ``allowed``."""
    text = clean_text(value, name, 40)
    if text in ("", "all"):
        return ""
    if text not in allowed:
        raise InvalidInput(f"{name}: {text!r} is not a valid choice.")
    return text


def optional_date(value: Any, name: str) -> date | None:
    """A day typed as YYYY-MM-DD, or ``None`` when left empty."""
    text = clean_text(value, name, 10)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: use a date like 2025-01-31.") from None


def a_date(value: Any, name: str) -> date:
    """A day: a ``date`` (a ``datetime`` gives its day) or text as YYYY-MM-DD; refused otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip() or len(value) > 20:
        raise InvalidInput(f"{name}: enter a date as YYYY-MM-DD (expected a date).")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{name}: {value.strip()!r} is not a valid date (YYYY-MM-DD).") from None


def filter_form(raw: Any) -> Mapping[str, Any]:
    """A submitted filter set as a mapping (``{}`` when there is none); refused when it is not one."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInput("The filters could not be read.")
    return raw
