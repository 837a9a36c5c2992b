"""Reading what a browser sends: form submissions and event arguments are untrusted.

Every handler parses its arguments here before it calls a query or an action; a bad value becomes an
``InvalidInput`` whose message the page shows (``guarded`` turns it into a toast, or the list state puts
it under the filters). Nothing is truncated silently: text over its limit is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboard.core.errors import InvalidInput

ALL = "__all__"  # the value of a select's "All" item (never a real choice, nor a likely search): no filter
MAX_ID = 64


def form_fields(form_data: Any, keys: tuple[str, ...], *, max_length: int = 5000,
                exact: tuple[str, ...] = ()) -> dict[str, str]:
    """The named text fields of a submitted form, stripped; ``ALL`` becomes ``""``. The fields named
    in ``exact`` (passwords) are kept exactly as typed."""
    if not isinstance(form_data, Mapping):
        raise InvalidInput("The form could not be read. Reload the page and try again.")
    out: dict[str, str] = {}
    for key in keys:
        value = form_data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput("The form could not be read: expected text.")
        if len(value) > max_length:
            raise InvalidInput(f"{key.replace('_', ' ').capitalize()}: at most {max_length:,} characters.")
        out[key] = value if key in exact else ("" if value == ALL else value.strip())
    return out


def id_arg(value: Any, what: str = "id") -> str:
    """An item id passed by a click (a UUID, a number or a reference): text of at most 64 characters."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID:
        raise InvalidInput(f"That {what} is not valid.")
    return value.strip()


def choice_arg(value: Any, allowed: tuple[str, ...] | frozenset[str], what: str) -> str:
    """One of a fixed set of values (a tab, a range, an action)."""
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"Unknown {what}.")
    return value


def bool_arg(value: Any) -> bool:
    """A checkbox or switch: a real boolean only."""
    if not isinstance(value, bool):
        raise InvalidInput("Expected on or off.")
    return value
