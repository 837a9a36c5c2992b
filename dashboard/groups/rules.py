"""Group approvals' vocabulary: limits, the officer's messages, display formats and input parsing.

Pure: no database, no Reflex. The queries and actions read these; the page shows the same words.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dashboard.core.errors import InvalidInput
from dashboard.core.validate import clean_text, parse_uuid
from dashboard.models.enums import WithdrawalStatus

MAX_PAGE = 100
MAX_REASON = 500
MIN_REASON = 3
LEDGER_ROWS = 10
TABS = ("open", "history")
STATUS_FILTERS = ("", "pending", "approved", "declined", "paid", "expired")
OFFICER_ROLES = ("OWNER", "TREASURER")
NOT_FOUND = "That withdrawal request does not exist or is not in one of your groups."
WS = WithdrawalStatus

# Why a button is disabled (shown next to it).
WHY_REQUESTER = "You requested this: another officer must approve it."
WHY_APPROVED_ALREADY = "You already approved this request."
WHY_EXPIRED = "This request has expired."
WHY_QUORUM = "Quorum not met"
WHY_BALANCE = "Insufficient balance"
WHY_READ_ONLY = "Read-only: administrators see every group but do not act on requests."
WHY_NOT_OFFICER = "Only a current owner or treasurer of this group can act on it."
WHY_PAYOUT_IN_FLIGHT = "The provider has not confirmed the last attempt yet."
WHY_LAST_FAILED = "The last payout attempt failed: use Retry payout to send it again."

TIMELINE_LABELS = {"APPROVED": "Quorum reached: approved", "DECLINED": "Declined", "PAID": "Paid out",
                   "PENDING": "Back to pending"}
STATUS_LABELS = {"PENDING": "Pending", "APPROVED": "Approved", "DECLINED": "Declined", "PAID": "Paid",
                 "EXPIRED": "Expired"}


def utcnow() -> datetime:
    """The domain's clock."""
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and aware(expires_at) <= now


def why_already(status: str) -> str:
    """"This request is already approved." and the like."""
    return f"This request is already {STATUS_LABELS.get(status, status).lower()}."


# --- display --------------------------------------------------------------------------------------
def naira(kobo: int | None) -> str:
    """Integer kobo as naira text: 1234567 -> "₦12,345.67" (never a float)."""
    if kobo is None:
        return ""
    k = int(kobo)
    sign = "-" if k < 0 else ""
    k = abs(k)
    return f"{sign}₦{k // 100:,}.{k % 100:02d}"


def time_left(expires_at: datetime | None, now: datetime) -> str:
    if expires_at is None:
        return "No expiry"
    seconds = int((aware(expires_at) - now).total_seconds())
    if seconds <= 0:
        return "Expired"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h left"
    if hours:
        return f"{hours}h {minutes}m left"
    return f"{max(minutes, 1)}m left"


def when(value: datetime | None) -> str:
    if value is None:
        return ""
    return aware(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe_beneficiary(b: Any) -> str:
    if not isinstance(b, Mapping):
        return ""
    name = str(b.get("account_name") or b.get("name") or "").strip()
    bank = str(b.get("bank_name") or b.get("bank") or "").strip()
    number = str(b.get("account_number") or "")
    masked = f"•••{number[-4:]}" if len(number) >= 4 else number
    return " · ".join(p for p in (name, bank, masked) if p)[:200]


def person(first: str | None, last: str | None, email: str | None = None) -> str:
    name = f"{first or ''} {last or ''}".strip()
    return name or (email or "")


def display_status(status: str, expires_at: datetime | None, now: datetime) -> str:
    """A PENDING request past its window shows as EXPIRED (nothing rewrites the row)."""
    return "EXPIRED" if status == WS.PENDING and is_expired(expires_at, now) else status


# --- parsing --------------------------------------------------------------------------------------
def parse_id(value: Any, what: str = "request") -> uuid.UUID:
    return parse_uuid(value, what)


def parse_reason(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput("Give a reason for the decline.")
    reason = " ".join(clean_text(value, "Reason", 100_000, multiline=True).split())  # NUL refused plainly
    if len(reason) < MIN_REASON:
        raise InvalidInput(f"Give a reason for the decline (at least {MIN_REASON} characters).")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"The reason must have at most {MAX_REASON} characters.")
    return reason


def parse_tab(value: Any) -> str:
    if not isinstance(value, str) or value not in TABS:
        raise InvalidInput("Choose the open requests or the history.")
    return value


@dataclass(frozen=True)
class ListQuery:
    tab: str = "open"
    status: str = ""
    group_id: uuid.UUID | None = None

    def active(self) -> int:
        """How many filters narrow the tab (the tab itself is not a filter)."""
        return int(bool(self.status)) + int(self.group_id is not None)


def parse_query(tab: Any = "open", status: Any = "", group_id: Any = "") -> ListQuery:
    tab = parse_tab(tab)
    if status is None:
        status = ""
    if not isinstance(status, str) or status not in STATUS_FILTERS:
        raise InvalidInput("That status filter is not valid.")
    if tab == "open" and status not in ("", "pending", "approved"):
        raise InvalidInput("Open requests are pending or approved; use the history for the others.")
    if tab == "history" and status == "pending":
        raise InvalidInput("Pending requests are on the open tab.")
    gid = None
    if group_id not in (None, ""):
        gid = parse_id(group_id, "group")
    return ListQuery(tab=tab, status=status, group_id=gid)
