"""The support inbox's vocabulary (issue 7): statuses and choices, limits, the first-response target,
the inbox filters and the parsing of untrusted text. Pure: no database, no UI.

- Age against the first-response target of the ticket's priority (``FIRST_RESPONSE_HOURS``).
- Ids and values arrive as untrusted text and are parsed here; bad input raises ``InvalidInput`` before
  anything is read or written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dashboard.core.errors import InvalidInput
from dashboard.core.format import hours_text
from dashboard.core.listing import FilterSet
from dashboard.core.validate import clean_text, filter_form, one_of, parse_uuid
from dashboard.models.enums import TicketCategory, TicketPriority, TicketStatus

TS = TicketStatus
ACTIVE = (TS.OPEN.value, TS.IN_PROGRESS.value)
STATUSES = tuple(s.value for s in TicketStatus)
PRIORITIES = tuple(p.value for p in TicketPriority)
CATEGORIES = tuple(c.value for c in TicketCategory)
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_SEARCH = 100
MAX_MESSAGE = 10_000  # the table's CHECK (length(message) BETWEEN 1 AND 10000)
MAX_TITLE = 120  # a canned reply's title
MAX_CANNED = 200  # canned replies listed
MAX_AGENTS = 200  # assignee choices listed
MESSAGE_LIMIT = 500  # messages shown in one thread (oldest first); longer threads show the latest 500
RECENT_TRANSACTIONS = 5
PRESENCE_TTL_SECONDS = 20
AGGREGATE = "support_ticket"
CANNED_AGGREGATE = "canned_reply"
NOTIFY_PREVIEW = 300

# First-response target per priority (hours).
FIRST_RESPONSE_HOURS = {"URGENT": 1, "HIGH": 4, "NORMAL": 24, "LOW": 72}

# Files the attachment route may send, by the stored type; anything else is refused.
SERVABLE_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
    ".pdf": "application/pdf", ".txt": "text/plain",
}

VIEWS = ("", "mine", "unassigned")
FILTER_KEYS = ("view", "status", "priority", "category", "search")
ALL_STATUSES = "ALL"

# Ticket fields an agent may change, and the column each one is stored in.
COLUMN = {"status": "status", "priority": "priority", "category": "category", "assignee": "assigned_to_id"}

BAD_POSITION = "The thread position is not valid. Reload the ticket."
# Part of the refusal of a reply written while the thread moved on: the page reloads the thread on it.
MOVED_ON = "arrived on this ticket while you were writing"
CANNED_GONE = "That canned reply no longer exists."
WRITE_FIRST = "write something first."  # an empty reply, note or canned reply


# --- small parsers -----------------------------------------------------------------------------------
def parse_id(value: Any, what: str = "ticket") -> uuid.UUID:
    return parse_uuid(value, what)


def thread_position(value: Any) -> int:
    """How many messages by others the agent had seen (the reply guard and the poll compare it)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(BAD_POSITION)
    return value


def moved_on(new_messages: int) -> str:
    n = new_messages
    return (f"{n} new message{'s' if n != 1 else ''} {MOVED_ON}. "
            "Your reply was not sent: read them, then send it again.")


def preview(value: str) -> str:
    return value if len(value) <= NOTIFY_PREVIEW else value[: NOTIFY_PREVIEW - 1].rstrip() + "…"


def render_canned(body: str, *, first_name: str) -> str:
    """The canned text for one customer (``{first_name}`` filled in; nothing else is interpreted)."""
    return body.replace("{first_name}", first_name or "there")


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def first_response(priority: str, status: str, created_at: datetime, first_response_at: datetime | None,
                   now: datetime) -> tuple[str, str]:
    """(state, label) of the first-response target: ``overdue``/``due_soon``/``on_time`` while waiting,
    ``met``/``missed`` once answered, ``none`` for a ticket resolved without a reply."""
    target = FIRST_RESPONSE_HOURS.get(priority, 24)
    if first_response_at is not None:
        took = (first_response_at - created_at).total_seconds() / 3600
        return ("met" if took <= target else "missed"), f"Answered in {hours_text(took)}"
    if status not in ACTIVE:
        return "none", "No reply needed"
    age = (now - created_at).total_seconds() / 3600
    left = target - age
    if left < 0:
        return "overdue", f"Overdue by {hours_text(-left)}"
    if left < target * 0.25:
        return "due_soon", f"{hours_text(left)} left"
    return "on_time", f"{hours_text(left)} left"


def unread(last_customer: datetime | None, read_at: datetime | None) -> bool:
    """Unread for staff: the customer wrote after ``staff_read_at``."""
    return last_customer is not None and (read_at is None or last_customer > read_at)


# --- the inbox filters -------------------------------------------------------------------------------
@dataclass(frozen=True)
class InboxFilters(FilterSet):
    view: str = ""  # "", "mine", "unassigned"
    status: str = ""  # "" = open + in progress, "ALL", or one status
    priority: str = ""
    category: str = ""  # "" = any, "NONE" = no category, or one category
    search: str = ""


def parse_filters(raw: Any) -> InboxFilters:
    if isinstance(raw, InboxFilters):
        return raw
    raw = filter_form(raw)
    return InboxFilters(
        view=one_of(raw.get("view"), VIEWS[1:], "Show"),
        status=one_of(raw.get("status"), STATUSES + (ALL_STATUSES,), "Status"),
        priority=one_of(raw.get("priority"), PRIORITIES, "Priority"),
        category=one_of(raw.get("category"), CATEGORIES + ("NONE",), "Category"),
        search=" ".join(clean_text(raw.get("search"), "Search", MAX_SEARCH).split()),
    )


def quick_filter(key: Any) -> dict[str, str]:
    """A count card above the inbox: the filters showing that status, or "mine" / "unassigned"."""
    if key in ("mine", "unassigned"):
        return {"view": key}
    if key in STATUSES:
        return {"status": key}
    raise InvalidInput("That is not an inbox view.")
