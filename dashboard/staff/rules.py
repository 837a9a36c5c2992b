"""The staff screen's vocabulary: roles, names, ids, the list filters, and the rows it shows.

Pure functions, no database and no Reflex: the queries, the actions, the page state and the
create-admin command all check their input here, so each rule has one wording.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from dashboard.auth.passwords import validate_new_password
from dashboard.auth.rules import has_totp, normalise_email
from dashboard.core.errors import InvalidInput
from dashboard.core.validate import clean_text
from dashboard.models import User
from dashboard.models.enums import label

STAFF_ROLE_ORDER = ("ADMIN", "COMPLIANCE", "TREASURER", "MANAGER", "SUPPORT")
MAX_NAME_LENGTH = 150
MAX_SEARCH_LENGTH = 100
PAGE_SIZE = 25
MAX_STAFF_PAGE = 100
MAX_SESSIONS_PAGE = 200
NOT_PERMITTED = "You do not have permission to manage staff accounts."
NO_SUCH_STAFF = "This staff account does not exist."
LAST_ADMIN = "At least one active administrator must remain."
ON_OR_OFF = "Include deactivated must be on or off."

# The list: two tabs of one list (staff accounts, open sessions); the filters apply to the accounts.
STAFF_TAB, SESSIONS_TAB = "staff", "sessions"
TABS = (STAFF_TAB, SESSIONS_TAB)
FILTER_KEYS = ("search", "role", "inactive")
_NOUNS = {STAFF_TAB: ("staff account", "staff accounts"), SESSIONS_TAB: ("open session", "open sessions")}
_NOTHING = {STAFF_TAB: "No staff accounts match", SESSIONS_TAB: "No open sessions"}


# --- input ----------------------------------------------------------------------------------------
def staff_role(value: object, names: Mapping[str, str] | None = None) -> str:
    """One of the staff roles (``names``: how the message shows them, e.g. the screen's labels)."""
    if not isinstance(value, str) or value not in STAFF_ROLE_ORDER:
        shown = ", ".join((names or {}).get(role, role) for role in STAFF_ROLE_ORDER)
        raise InvalidInput(f"Choose one of the staff roles: {shown}.")
    return value


def clean_name(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"Enter a {what}.")
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidInput(f"Enter a {what}.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidInput(f"The {what} must have at most {MAX_NAME_LENGTH} characters.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
        raise InvalidInput(f"The {what} contains a character that is not allowed.")
    return cleaned


def search_term(value: object) -> str:
    """The search text with its spaces collapsed ("" for none)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("The search must be text.")
    term = " ".join(value.split())
    if len(term) > MAX_SEARCH_LENGTH:
        raise InvalidInput(f"The search can have at most {MAX_SEARCH_LENGTH} characters.")
    clean_text(term, "Search", MAX_SEARCH_LENGTH)  # control characters (NUL) refused plainly
    return term


def parse_id(value: object, what: str = "account") -> uuid.UUID:
    """An account or session id: a UUID, or its text; else ``InvalidInput`` saying what was wrong."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} id must be text (got {type(value).__name__}).")
    if len(value) <= 64:
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            pass
    shown = value[:40] + ("…" if len(value) > 40 else "")
    raise InvalidInput(f"{shown!r} is not a valid {what} id.")


def staff_filters(wanted: Mapping[str, str], names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The list's filters (as the form and the URL give them) as ``list_staff`` arguments."""
    inactive = wanted.get("inactive", "")
    if inactive not in ("", "yes"):
        raise InvalidInput(ON_OR_OFF)
    role = wanted.get("role", "")
    return {
        "search": search_term(wanted.get("search", "")),
        "role": staff_role(role, names) if role else None,
        "include_inactive": inactive == "yes",
    }


def field_errors(form: Mapping[str, str], checks: Mapping[str, Callable[[str], Any]]) -> dict[str, str]:
    """Every field's problem at once: field name -> message (empty when the form is fine)."""
    errors: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check(form.get(name, ""))
        except InvalidInput as exc:
            errors[name] = str(exc)
    return errors


def create_field_errors(form: Mapping[str, str], names: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every problem of the "New staff member" form at once (the checks ``create_staff`` makes)."""
    return field_errors(form, {
        "email": normalise_email,
        "first_name": lambda v: clean_name(v, "first name"),
        "last_name": lambda v: clean_name(v, "last name"),
        "role": lambda v: staff_role(v, names),
        "password": validate_new_password,
    })


# --- output ---------------------------------------------------------------------------------------
def when(value: datetime | None, empty: str = "") -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else empty


def account_view(user: User) -> dict[str, Any]:
    """What the audit log keeps about an account (no password hash, no TOTP seed)."""
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "is_active": user.is_active,
        "two_factor_enabled": has_totp(user),
    }


def account_row(user: User, now: datetime) -> dict[str, Any]:
    """An account as the staff list shows it."""
    locked = user.locked_until is not None and user.locked_until > now
    return {
        "id": str(user.id),
        "email": user.email,
        "name": f"{user.first_name} {user.last_name}",
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": str(user.role),
        "role_label": label(user.role),
        "is_active": bool(user.is_active),
        "status": "Deactivated" if not user.is_active else ("Locked" if locked else "Active"),
        "locked_until": when(user.locked_until) if locked else "",
        "two_factor": "On" if has_totp(user) else "Off",
        "last_login": when(user.last_login_at, "Never"),
        "created": when(user.created_at),
    }


def count_label(tab: str, total: int, first: int, shown: int) -> str:
    """Where the page is in the list: "Showing 1–25 of 40 staff accounts"."""
    singular, plural = _NOUNS.get(tab, _NOUNS[STAFF_TAB])
    noun = singular if total == 1 else plural
    if shown == 0:
        return _NOTHING.get(tab, "") if total == 0 else f"{total:,} {noun}"
    return f"Showing {first:,}–{first + shown - 1:,} of {total:,} {noun}"
