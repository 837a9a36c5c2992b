"""One keyset mechanism for every list: a page of rows after a cursor, and the cursor after it.

A list query orders by a unique key (e.g. ``(submitted_at, id)``) and asks for ``limit + 1`` rows; the
extra row says whether there is a next page, and the last shown row's key becomes the cursor. A cursor is
an opaque string to the browser side (it stays in backend-only state) but is still parsed strictly: a
forged one is refused with a clear message, never passed to SQL as is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from dashboard.core.errors import InvalidInput

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_CURSOR = 200
BAD_CURSOR = "That page position is not valid. Go back to the first page."

R = TypeVar("R")
KeyPart = type[datetime] | type[uuid.UUID] | type[int] | type[Decimal] | type[str]


def encode_cursor(*key: Any) -> str:
    """The cursor of a row whose sort key is ``key`` (datetimes must be timezone-aware)."""
    parts = []
    for value in key:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("cursor datetimes must be timezone-aware")
            parts.append(value.isoformat())
        elif value is None:
            parts.append("")
        else:
            parts.append(str(value))
    return "|".join(parts)


def decode_cursor(value: Any, kinds: Sequence[KeyPart]) -> tuple[Any, ...]:
    """Parse a cursor made by ``encode_cursor`` for a key of the given types; refuse anything else."""
    if not isinstance(value, str) or not value or len(value) > MAX_CURSOR:
        raise InvalidInput(BAD_CURSOR)
    raw = value.split("|")
    if len(raw) != len(kinds):
        raise InvalidInput(BAD_CURSOR)
    out: list[Any] = []
    try:
        for text, kind in zip(raw, kinds, strict=True):
            if kind is datetime:
                moment = datetime.fromisoformat(text)
                if moment.tzinfo is None:
                    raise ValueError
                out.append(moment)
            elif kind is Decimal:
                number = Decimal(text)
                if not number.is_finite():
                    raise ValueError
                out.append(number)
            else:
                out.append(kind(text))
    except (ValueError, InvalidOperation):
        raise InvalidInput(BAD_CURSOR) from None
    return tuple(out)


def optional_cursor(value: Any, kinds: Sequence[KeyPart]) -> tuple[Any, ...] | None:
    """``None`` for the first page (no cursor), else the decoded key."""
    return None if value in (None, "") else decode_cursor(value, kinds)


def check_limit(limit: Any, maximum: int = MAX_PAGE_SIZE) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= maximum:
        raise InvalidInput(f"Page size: 1 to {maximum}.")
    return limit


def like_pattern(text: str) -> str:
    """``%text%`` for ILIKE with the wildcard characters of ``text`` escaped. Control characters are refused
    here too (a NUL byte would reach PostgreSQL as a DataError), whichever path the text came by."""
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InvalidInput("Search: control characters are not allowed.")
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass
class Page(Generic[R]):
    """One page of a list: display rows, the cursor of the next page (``None`` on the last one) and
    whatever the screen shows beside the rows (counts per status, totals...)."""

    rows: list[R]
    next_cursor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def cut_page(fetched: Sequence[Any], limit: int, key: Callable[[Any], tuple[Any, ...]]) -> tuple[list[Any], str | None]:
    """Given ``limit + 1`` fetched rows: the rows to show and the next page's cursor."""
    shown = list(fetched[:limit])
    more = len(fetched) > limit and bool(shown)
    return shown, (encode_cursor(*key(shown[-1])) if more else None)


class FilterSet:
    """Base of a list's parsed filters (a frozen dataclass): ``active()`` counts the filters that
    narrow the list, i.e. every field not left empty."""

    def active(self) -> int:
        return sum(1 for f in fields(self) if getattr(self, f.name) not in ("", None))  # type: ignore[arg-type]


def where_chosen(query: Any, *pairs: tuple[Any, Any]) -> Any:
    """``query`` narrowed to ``column == value`` for each (column, value) whose value was chosen."""
    for column, value in pairs:
        if value not in ("", None):
            query = query.where(column == value)
    return query
