"""Support inbox (issue 7): the ticket inbox, the thread, replies, internal notes and ticket changes.

Rules
- Reading the inbox or a thread needs ``support.view``; replying, notes and every ticket change need
  ``support.reply`` (SUPPORT agents; an ADMIN only reads).
- Inbox: one SELECT, keyset on (updated_at DESC, id DESC). The default view (OPEN + IN_PROGRESS) reads a
  partial index, so it stays fast however many closed tickets pile up. Counts per status, "mine" and
  "unassigned" (open + in progress) come with the page.
- Unread for staff: a customer wrote after ``staff_read_at``. Opening a thread as an agent marks it read.
- Age against the first-response target of the ticket's priority (``FIRST_RESPONSE_HOURS``).
- A reply (public) sets ``last_reply_at`` (and ``first_response_at`` the first time), moves an OPEN
  ticket to IN_PROGRESS, notifies the customer and emits an outbox event. An internal note is stored
  with ``is_internal`` and never reaches the customer (no notification, no outbox event).
- The thread moved on: a reply carries how many messages by *others* the agent had seen; if more
  exist when it is sent (another agent or the customer wrote meanwhile) it is refused with ``Conflict``
  and nothing is written: the page shows the new messages and keeps the draft.
- Ticket changes (status, priority, category, assignee) lock the row and compare the value the agent
  saw: if another agent changed it meanwhile the change is refused (``Conflict``). Closing sets
  ``closed_at``; leaving CLOSED clears it (the table's CHECK ties the two).
- Every change is audited in the same transaction (status changes also go to ``status_history``).
- Presence: a heartbeat row per (ticket, staff member) in ``support_ticket_presence``; others seen in
  the last ``PRESENCE_TTL_SECONDS`` are "viewing". It is in the database so every worker sees it.

Ids and values arrive as untrusted text and are parsed here; bad input raises ``InvalidInput`` before
anything is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session

from dashboard.core import storage
from dashboard.models import SupportMessage, SupportTicket, TicketPresence, Transaction, User
from dashboard.models.enums import (
    ReviewableEntity,
    Role,
    TicketCategory,
    TicketPriority,
    TicketStatus,
    label,
)
from dashboard.core.permissions import Perm
from dashboard.audit import chain as audit
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotAuthenticated, NotFound
from dashboard.services.history import record_status_change
from dashboard.services.notifications import notify
from dashboard.services.outbox import emit

TS = TicketStatus
ACTIVE = (TS.OPEN.value, TS.IN_PROGRESS.value)
STATUSES = tuple(s.value for s in TicketStatus)
PRIORITIES = tuple(p.value for p in TicketPriority)
CATEGORIES = tuple(c.value for c in TicketCategory)
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_SEARCH = 100
MAX_MESSAGE = 10_000  # the table's CHECK (length(message) BETWEEN 1 AND 10000)
MESSAGE_LIMIT = 500  # messages shown in one thread (oldest first); longer threads show the latest 500
RECENT_TRANSACTIONS = 5
PRESENCE_TTL_SECONDS = 20
AGGREGATE = "support_ticket"
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


# --- small parsers -----------------------------------------------------------------------------------
def parse_id(value: Any, what: str = "ticket") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or not 32 <= len(value.strip()) <= 36:
        raise InvalidInput(f"That {what} id is not valid.")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidInput(f"That {what} id is not valid.") from None


def _text(value: Any, name: str, limit: int, *, required: bool = False, strip: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{name}: expected text.")
    if strip:
        value = value.strip()
    if required and not value.strip():
        raise InvalidInput(f"{name}: write something first.")
    if len(value) > limit:
        raise InvalidInput(f"{name}: at most {limit:,} characters (this one has {len(value):,}).")
    if any(ord(c) < 32 and c not in "\n\t\r" for c in value):
        raise InvalidInput(f"{name}: contains control characters.")
    return value


def _require(actor: Any, perm: Perm) -> Actor:
    if not isinstance(actor, Actor):
        raise NotAuthenticated("Please sign in.")
    if not actor.can(perm):
        raise NotAllowed("You do not have permission to do this.")
    if perm == Perm.SUPPORT_REPLY and actor.user_id is None:
        raise NotAllowed("Only a signed-in agent can work on tickets.")
    return actor


def _now(session: Session) -> datetime:
    return session.execute(sa.select(sa.func.now())).scalar_one()


def _like(text_value: str) -> str:
    return "%" + text_value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def _age_text(hours: float) -> str:
    if hours < 1:
        return f"{max(int(hours * 60), 0)} min"
    if hours < 48:
        return f"{int(hours)} h"
    return f"{int(hours // 24)} d"


def first_response(priority: str, status: str, created_at: datetime, first_response_at: datetime | None,
                   now: datetime) -> tuple[str, str]:
    """(state, label) of the first-response target: ``overdue``/``due_soon``/``on_time`` while waiting,
    ``met``/``missed`` once answered, ``none`` for a ticket resolved without a reply."""
    target = FIRST_RESPONSE_HOURS.get(priority, 24)
    if first_response_at is not None:
        took = (first_response_at - created_at).total_seconds() / 3600
        return ("met" if took <= target else "missed"), f"Answered in {_age_text(took)}"
    if status not in ACTIVE:
        return "none", "No reply needed"
    age = (now - created_at).total_seconds() / 3600
    left = target - age
    if left < 0:
        return "overdue", f"Overdue by {_age_text(-left)}"
    if left < target * 0.25:
        return "due_soon", f"{_age_text(left)} left"
    return "on_time", f"{_age_text(left)} left"


# --- the inbox ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InboxFilters:
    view: str = ""  # "", "mine", "unassigned"
    status: str = ""  # "" = open + in progress, "ALL", or one status
    priority: str = ""
    category: str = ""  # "" = any, "NONE" = no category, or one category
    search: str = ""

    def active(self) -> int:
        return sum(1 for k in FILTER_KEYS if getattr(self, k) not in ("", None))


def _choice(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], name: str) -> str:
    value = _text(raw.get(key), name, 40)
    if value in ("", "all"):
        return ""
    if value not in allowed:
        raise InvalidInput(f"{name}: {value[:40]!r} is not a valid choice.")
    return value


def parse_filters(raw: Any) -> InboxFilters:
    if raw is None:
        return InboxFilters()
    if isinstance(raw, InboxFilters):
        return raw
    if not isinstance(raw, Mapping):
        raise InvalidInput("The filters could not be read.")
    return InboxFilters(
        view=_choice(raw, "view", VIEWS[1:], "Show"),
        status=_choice(raw, "status", STATUSES + (ALL_STATUSES,), "Status"),
        priority=_choice(raw, "priority", PRIORITIES, "Priority"),
        category=_choice(raw, "category", CATEGORIES + ("NONE",), "Category"),
        search=" ".join(_text(raw.get("search"), "Search", MAX_SEARCH).split()),
    )


def encode_cursor(updated_at: datetime, row_id: uuid.UUID) -> str:
    return f"{updated_at.astimezone(UTC).isoformat()}|{row_id}"


def decode_cursor(value: Any) -> tuple[datetime, uuid.UUID]:
    if not isinstance(value, str) or len(value) > 100 or "|" not in value:
        raise InvalidInput("That page position is not valid. Go back to the first page.")
    when, _, ident = value.partition("|")
    try:
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise ValueError
        return moment, uuid.UUID(ident)
    except ValueError:
        raise InvalidInput("That page position is not valid. Go back to the first page.") from None


def inbox_query(filters: InboxFilters, *, me: uuid.UUID | None, after: tuple[datetime, uuid.UUID] | None,
                limit: int) -> sa.Select:
    """The inbox's one SELECT: most recently updated first, keyset on (updated_at, id) descending."""
    t = SupportTicket
    agent = aliased(User)
    query = (
        sa.select(
            t.id, t.number, t.subject, t.status, t.priority, t.category, t.created_at, t.updated_at,
            t.first_response_at, t.last_reply_at, t.last_customer_message_at, t.staff_read_at,
            User.email.label("customer_email"), User.first_name, User.last_name,
            agent.email.label("agent_email"),
        )
        .join(User, User.id == t.user_id)
        .outerjoin(agent, agent.id == t.assigned_to_id)
    )
    if filters.status == "":
        query = query.where(t.status.in_(ACTIVE))
    elif filters.status != ALL_STATUSES:
        query = query.where(t.status == filters.status)
    if filters.view == "mine":
        query = query.where(t.assigned_to_id == me)
    elif filters.view == "unassigned":
        query = query.where(t.assigned_to_id.is_(None))
    if filters.priority:
        query = query.where(t.priority == filters.priority)
    if filters.category == "NONE":
        query = query.where(t.category.is_(None))
    elif filters.category:
        query = query.where(t.category == filters.category)
    if filters.search:
        pattern = _like(filters.search)
        # Emails are stored lower-case (a CHECK): the customers matching are found first (one pass over
        # users), then the tickets are walked in inbox order and stop at the page's end.
        customers = sa.select(User.id).where(User.email.like(pattern.lower(), escape="\\"))
        query = query.where(sa.or_(t.subject.ilike(pattern, escape="\\"), t.user_id.in_(customers)))
    if after is not None:
        query = query.where(sa.tuple_(t.updated_at, t.id) < sa.tuple_(sa.literal(after[0]), sa.literal(after[1])))
    return query.order_by(t.updated_at.desc(), t.id.desc()).limit(limit)


def counts_query(me: uuid.UUID | None) -> sa.Select:
    """Tickets per status (whole table, exact), plus "mine" and "unassigned" among the open + in-progress
    ones. One scalar subquery each, so every count is an index-only scan of its own slice (status index,
    assignee index) rather than one pass over the whole table."""
    t = SupportTicket
    active = t.status.in_(ACTIVE)

    def n(*where: Any) -> Any:
        return sa.select(sa.func.count()).select_from(t).where(*where).scalar_subquery()

    return sa.select(
        *[n(t.status == s).label(s) for s in STATUSES],
        n(t.assigned_to_id == me, active).label("mine"),
        n(t.assigned_to_id.is_(None), active).label("unassigned"),
    )


@dataclass
class InboxPage:
    rows: list[dict[str, str]]
    next_cursor: str | None
    counts: dict[str, int]
    filters: InboxFilters = field(default_factory=InboxFilters)


def _unread(last_customer: datetime | None, read_at: datetime | None) -> bool:
    return last_customer is not None and (read_at is None or last_customer > read_at)


def list_inbox(session: Session, *, actor: Actor, filters: Any = None, after: Any = None,
               limit: int = PAGE_SIZE) -> InboxPage:
    actor = _require(actor, Perm.SUPPORT_VIEW)
    parsed = parse_filters(filters)
    cursor = decode_cursor(after) if after not in (None, "") else None
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"Page size: 1 to {MAX_PAGE_SIZE}.")
    now = _now(session)
    result = session.execute(inbox_query(parsed, me=actor.user_id, after=cursor, limit=limit + 1)).all()
    rows = []
    for r in result[:limit]:
        state, sla = first_response(r.priority, r.status, r.created_at, r.first_response_at, now)
        rows.append({
            "id": str(r.id), "number": f"#{r.number}", "subject": r.subject,
            "customer": f"{r.first_name} {r.last_name}".strip(), "customer_email": r.customer_email,
            "status": r.status, "status_label": label(r.status), "priority": r.priority,
            "priority_label": label(r.priority), "category": label(r.category) or "—",
            "assignee": r.agent_email or "", "last_reply": _when(r.last_reply_at) or "—",
            "updated": _when(r.updated_at), "age": _age_text((now - r.created_at).total_seconds() / 3600),
            "unread": "yes" if _unread(r.last_customer_message_at, r.staff_read_at) else "",
            "sla_state": state, "sla_label": sla,
        })
    next_cursor = None
    if len(result) > limit and rows:
        last = result[limit - 1]
        next_cursor = encode_cursor(last.updated_at, last.id)
    counts = dict(session.execute(counts_query(actor.user_id)).one()._mapping)
    return InboxPage(rows=rows, next_cursor=next_cursor, counts={k: int(v) for k, v in counts.items()},
                     filters=parsed)


# --- the thread --------------------------------------------------------------------------------------
@dataclass
class ThreadView:
    ticket: dict[str, str]
    customer: dict[str, str]
    transactions: list[dict[str, str]]
    messages: list[dict[str, str]]  # replies and customer messages, oldest first
    notes: list[dict[str, str]]  # internal notes, oldest first
    seen_others: int  # messages by others than the viewer: the reply guard compares this
    fingerprint: str  # changes when anything shown changes (the poll compares it)
    viewers: list[str]
    can_reply: bool


def thread_query(ticket_id: uuid.UUID) -> sa.Select:
    """The main query of opening a thread: the ticket, its customer and assignee."""
    t = SupportTicket
    agent = aliased(User)
    return (
        sa.select(t, User, agent.email.label("agent_email"))
        .join(User, User.id == t.user_id)
        .outerjoin(agent, agent.id == t.assigned_to_id)
        .where(t.id == ticket_id)
    )


def messages_query(ticket_id: uuid.UUID, limit: int = MESSAGE_LIMIT) -> sa.Select:
    m = SupportMessage
    latest = (
        sa.select(m.id, m.sender_id, m.sender_role, m.message, m.is_internal, m.attachment_key, m.attachment_name,
                  m.attachment_size, m.created_at, User.email.label("sender_email"),
                  User.first_name.label("sender_first"), User.last_name.label("sender_last"))
        .join(User, User.id == m.sender_id)
        .where(m.ticket_id == ticket_id)
        .order_by(m.created_at.desc(), m.id.desc())
        .limit(limit)
        .subquery()
    )
    return sa.select(latest).order_by(latest.c.created_at, latest.c.id)


def _message_row(r: Any) -> dict[str, str]:
    staff = r.sender_role != Role.CUSTOMER.value
    return {
        "id": str(r.id), "text": r.message, "when": _when(r.created_at),
        "sender": f"{r.sender_first} {r.sender_last}".strip() or r.sender_email, "sender_email": r.sender_email,
        "side": "staff" if staff else "customer", "role": label(r.sender_role),
        "attachment": r.attachment_name or ("attachment" if r.attachment_key else ""),
        "attachment_url": f"/_private/support/attachments/{r.id}" if r.attachment_key else "",
        "attachment_size": f"{(r.attachment_size or 0) / 1024:,.0f} KB" if r.attachment_key else "",
    }


def _get_ticket(session: Session, ident: uuid.UUID, *, lock: bool = False) -> SupportTicket:
    query = sa.select(SupportTicket).where(SupportTicket.id == ident).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound("This ticket does not exist.")
    return row


def _others_count(session: Session, ident: uuid.UUID, me: uuid.UUID | None) -> int:
    m = SupportMessage
    query = sa.select(sa.func.count()).where(m.ticket_id == ident)
    if me is not None:
        query = query.where(m.sender_id != me)
    return int(session.execute(query).scalar_one())


def _fingerprint(session: Session, ident: uuid.UUID) -> str:
    """Cheap: one index range on (ticket_id, created_at) plus the ticket row."""
    m, t = SupportMessage, SupportTicket
    count, latest = session.execute(
        sa.select(sa.func.count(), sa.func.max(m.created_at)).where(m.ticket_id == ident)).one()
    updated = session.execute(sa.select(t.updated_at).where(t.id == ident)).scalar_one_or_none()
    return f"{count}|{latest.isoformat() if latest else ''}|{updated.isoformat() if updated else ''}"


def viewers(session: Session, ident: uuid.UUID, me: uuid.UUID | None) -> list[str]:
    p = TicketPresence
    query = (
        sa.select(User.email).select_from(p).join(User, User.id == p.user_id)
        .where(p.ticket_id == ident, p.seen_at > sa.func.now() - timedelta(seconds=PRESENCE_TTL_SECONDS))
        .order_by(User.email)
    )
    if me is not None:
        query = query.where(p.user_id != me)
    return list(session.execute(query).scalars())


def _heartbeat(session: Session, ident: uuid.UUID, me: uuid.UUID | None) -> None:
    if me is None:
        return
    stmt = pg_insert(TicketPresence).values(ticket_id=ident, user_id=me, seen_at=sa.func.now())
    session.execute(stmt.on_conflict_do_update(constraint="uq_support_ticket_presence_ticket_user",
                                               set_={"seen_at": sa.func.now()}))


def open_thread(session: Session, *, actor: Actor, ticket_id: Any) -> ThreadView:
    """The thread view. An agent (``support.reply``) also marks the ticket read and records presence."""
    actor = _require(actor, Perm.SUPPORT_VIEW)
    ident = parse_id(ticket_id)
    if session.execute(sa.select(SupportTicket.id).where(SupportTicket.id == ident)).first() is None:
        raise NotFound("This ticket does not exist.")
    if actor.can(Perm.SUPPORT_REPLY) and actor.user_id is not None:
        _mark_read(session, actor, ident)
        _heartbeat(session, ident, actor.user_id)
    return _thread_view(session, actor, ident)


def _mark_read(session: Session, actor: Actor, ident: uuid.UUID) -> None:
    t = SupportTicket
    updated = session.execute(
        sa.update(t).where(t.id == ident, t.last_customer_message_at.is_not(None),
                           sa.or_(t.staff_read_at.is_(None), t.staff_read_at < t.last_customer_message_at))
        .values(staff_read_at=sa.func.now()).returning(t.number)
    ).first()
    if updated is not None:
        audit.record(session, actor=actor, action="support.ticket_read", target_type=AGGREGATE, target_id=ident,
                     description=f"Read the customer's new messages on ticket #{updated.number}")


def _thread_view(session: Session, actor: Actor, ident: uuid.UUID) -> ThreadView:
    found = session.execute(thread_query(ident)).first()
    if found is None:
        raise NotFound("This ticket does not exist.")
    ticket, customer, agent_email = found
    now = _now(session)
    state, sla = first_response(ticket.priority, ticket.status, ticket.created_at, ticket.first_response_at, now)
    messages, notes = [], []
    for r in session.execute(messages_query(ident)).all():
        (notes if r.is_internal else messages).append(_message_row(r))
    tx = Transaction
    recent = session.execute(
        sa.select(tx.reference, tx.transaction_type, tx.amount, tx.currency, tx.status, tx.created_at)
        .where(tx.user_id == customer.id).order_by(tx.created_at.desc()).limit(RECENT_TRANSACTIONS)
    ).all()
    return ThreadView(
        ticket={
            "id": str(ticket.id), "number": f"#{ticket.number}", "subject": ticket.subject,
            "status": ticket.status, "status_label": label(ticket.status), "priority": ticket.priority,
            "priority_label": label(ticket.priority), "category": ticket.category or "NONE",
            "category_label": label(ticket.category) or "No category",
            "assignee_id": str(ticket.assigned_to_id) if ticket.assigned_to_id else "",
            "assignee": agent_email or "", "created": _when(ticket.created_at),
            "last_reply": _when(ticket.last_reply_at) or "—", "first_response": _when(ticket.first_response_at) or "—",
            "closed": _when(ticket.closed_at), "sla_state": state, "sla_label": sla,
            "target": f"{FIRST_RESPONSE_HOURS.get(ticket.priority, 24)} h",
        },
        customer={
            "id": str(customer.id), "name": f"{customer.first_name} {customer.last_name}".strip(),
            "first_name": customer.first_name, "email": customer.email,
            "kyc_status": customer.kyc_status, "kyc_label": label(customer.kyc_status),
            "account_type": label(customer.account_type) or "—", "platform": customer.platform or "—",
            "country": customer.country or "—", "since": _when(customer.created_at)[:10],
        },
        transactions=[{
            "reference": r.reference, "type": label(r.transaction_type), "amount": f"{r.amount:,.2f} {r.currency}",
            "status": label(r.status), "when": _when(r.created_at)[:10],
        } for r in recent],
        messages=messages,
        notes=notes,
        seen_others=_others_count(session, ident, actor.user_id),
        fingerprint=_fingerprint(session, ident),
        viewers=viewers(session, ident, actor.user_id),
        can_reply=actor.can(Perm.SUPPORT_REPLY) and actor.user_id is not None,
    )


@dataclass
class PollResult:
    changed: bool
    fingerprint: str
    viewers: list[str]
    new_from_others: int


def poll(session: Session, *, actor: Actor, ticket_id: Any, fingerprint: Any, seen_others: Any) -> PollResult:
    """The cheap check the open thread runs every few seconds: did anything change, who else is here.
    Also renews this agent's presence."""
    actor = _require(actor, Perm.SUPPORT_VIEW)
    ident = parse_id(ticket_id)
    if not isinstance(fingerprint, str) or len(fingerprint) > 200:
        raise InvalidInput("The thread position is not valid. Reload the ticket.")
    if not isinstance(seen_others, int) or isinstance(seen_others, bool) or seen_others < 0:
        raise InvalidInput("The thread position is not valid. Reload the ticket.")
    if actor.can(Perm.SUPPORT_REPLY) and actor.user_id is not None:
        if session.execute(sa.select(SupportTicket.id).where(SupportTicket.id == ident)).first() is None:
            raise NotFound("This ticket does not exist.")
        _heartbeat(session, ident, actor.user_id)
    current = _fingerprint(session, ident)
    others = _others_count(session, ident, actor.user_id) if current != fingerprint else seen_others
    return PollResult(changed=current != fingerprint, fingerprint=current,
                      viewers=viewers(session, ident, actor.user_id), new_from_others=max(others - seen_others, 0))


def leave(session: Session, *, actor: Actor, ticket_id: Any) -> None:
    """Drop this agent's presence on a ticket (closing the thread)."""
    actor = _require(actor, Perm.SUPPORT_VIEW)
    ident = parse_id(ticket_id)
    if actor.user_id is not None:
        session.execute(sa.delete(TicketPresence).where(TicketPresence.ticket_id == ident,
                                                        TicketPresence.user_id == actor.user_id))


# --- writing -----------------------------------------------------------------------------------------
def reply(session: Session, *, actor: Actor, ticket_id: Any, body: Any, seen_others: Any,
          internal: bool = False) -> SupportMessage:
    """Add a staff reply (or, with ``internal``, an internal note). ``seen_others``: how many messages by
    others the agent had in front of them; more now means the thread moved on (``Conflict``)."""
    actor = _require(actor, Perm.SUPPORT_REPLY)
    ident = parse_id(ticket_id)
    what = "Internal note" if internal else "Reply"
    text_value = _text(body, what, MAX_MESSAGE, required=True)
    if not isinstance(seen_others, int) or isinstance(seen_others, bool) or seen_others < 0:
        raise InvalidInput("The thread position is not valid. Reload the ticket.")
    ticket = _get_ticket(session, ident, lock=True)
    if not internal:
        if ticket.status == TS.CLOSED:
            raise Conflict("This ticket is closed. Reopen it (change its status) before replying.")
        now_others = _others_count(session, ident, actor.user_id)
        if now_others > seen_others:
            n = now_others - seen_others
            raise Conflict(f"{n} new message{'s' if n != 1 else ''} arrived on this ticket while you were writing. "
                           "Your reply was not sent: read them, then send it again.")
    now = _now(session)
    message = SupportMessage(ticket_id=ident, sender_id=actor.user_id, sender_role=actor.role or Role.SUPPORT.value,
                             message=text_value, is_internal=bool(internal), created_at=now)
    session.add(message)
    before = {"status": ticket.status, "last_reply_at": ticket.last_reply_at,
              "first_response_at": ticket.first_response_at}
    ticket.updated_at = now
    if not internal:
        ticket.last_reply_at = now
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        if ticket.status == TS.OPEN:
            ticket.status = TS.IN_PROGRESS.value
            record_status_change(session, entity_type=ReviewableEntity.SUPPORT_TICKET, entity_id=ident,
                                 from_status=TS.OPEN.value, to_status=TS.IN_PROGRESS.value, actor=actor,
                                 reason="Staff replied")
        ticket.staff_read_at = now  # the agent answered having read everything
    session.add(ticket)
    session.flush()
    if internal:
        audit.record(session, actor=actor, action="support.note_added", target_type=AGGREGATE, target_id=ident,
                     description=f"Added an internal note to ticket #{ticket.number}",
                     details={"message_id": message.id, "length": len(text_value)})
        return message
    notify(session, user_id=ticket.user_id, notification_type="support_reply",
           title=f"New reply to your ticket #{ticket.number}",
           message=_preview(f"Our support team replied to “{ticket.subject}”: {text_value}"))
    emit(session, event_type="support.reply_added", aggregate_type=AGGREGATE, aggregate_id=ident,
         payload={"ticket_id": ident, "ticket_number": ticket.number, "message_id": message.id,
                  "user_id": ticket.user_id, "status": ticket.status}, actor=actor)
    audit.record(session, actor=actor, action="support.replied", target_type=AGGREGATE, target_id=ident,
                 description=f"Replied to ticket #{ticket.number}", before=before,
                 after={"status": ticket.status, "last_reply_at": ticket.last_reply_at,
                        "first_response_at": ticket.first_response_at},
                 details={"message_id": message.id, "length": len(text_value)})
    return message


def _preview(value: str) -> str:
    return value if len(value) <= NOTIFY_PREVIEW else value[: NOTIFY_PREVIEW - 1].rstrip() + "…"


FIELDS = ("status", "priority", "category", "assignee")


def _parse_value(session: Session, field_name: str, value: Any, actor: Actor) -> Any:
    raw = _text(value, field_name.title(), 64)
    if field_name == "status":
        if raw not in STATUSES:
            raise InvalidInput(f"Status: {raw[:40]!r} is not a ticket status.")
        return raw
    if field_name == "priority":
        if raw not in PRIORITIES:
            raise InvalidInput(f"Priority: {raw[:40]!r} is not a priority.")
        return raw
    if field_name == "category":
        if raw in ("", "NONE"):
            return None
        if raw not in CATEGORIES:
            raise InvalidInput(f"Category: {raw[:40]!r} is not a category.")
        return raw
    # assignee: "" / "NONE" = nobody, "me", or an agent's id
    if raw in ("", "NONE"):
        return None
    if raw == "me":
        return actor.user_id
    ident = parse_id(raw, "agent")
    agent = session.execute(sa.select(User.role, User.is_active).where(User.id == ident)).first()
    if agent is None or agent.role != Role.SUPPORT.value or not agent.is_active:
        raise InvalidInput("Assignee: choose an active support agent.")
    return ident


def _expected(value: Any, field_name: str) -> Any:
    """What the agent saw, in the column's form (``None`` for none)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise InvalidInput("The ticket you changed could not be read. Reload it.")
    if value in ("", "NONE"):
        return None
    if field_name == "assignee":
        return parse_id(value, "agent")
    return value


COLUMN = {"status": "status", "priority": "priority", "category": "category", "assignee": "assigned_to_id"}


def change(session: Session, *, actor: Actor, ticket_id: Any, field_name: Any, value: Any,
           expected: Any) -> SupportTicket:
    """Change one of status, priority, category or assignee. ``expected`` is the value the agent saw:
    when the ticket holds something else now, another agent changed it first (``Conflict``)."""
    actor = _require(actor, Perm.SUPPORT_REPLY)
    ident = parse_id(ticket_id)
    if field_name not in FIELDS:
        raise InvalidInput("That ticket field cannot be changed.")
    new = _parse_value(session, field_name, value, actor)
    saw = _expected(expected, field_name)
    ticket = _get_ticket(session, ident, lock=True)
    column = COLUMN[field_name]
    current = getattr(ticket, column)
    if current != saw:
        shown = label(current) if field_name != "assignee" else _email(session, current)
        raise Conflict(f"Someone else changed the {field_name} of ticket #{ticket.number} meanwhile "
                       f"(now: {shown or 'none'}). Nothing was changed; check the ticket and try again.")
    if current == new:
        return ticket
    now = _now(session)
    before: dict[str, Any] = {column: current}
    if field_name == "status":
        before["closed_at"] = ticket.closed_at
    setattr(ticket, column, new)
    ticket.updated_at = now
    if field_name == "status":
        ticket.closed_at = now if new == TS.CLOSED else None
        record_status_change(session, entity_type=ReviewableEntity.SUPPORT_TICKET, entity_id=ident,
                             from_status=current, to_status=new, actor=actor)
        emit(session, event_type="support.status_changed", aggregate_type=AGGREGATE, aggregate_id=ident,
             payload={"ticket_id": ident, "ticket_number": ticket.number, "user_id": ticket.user_id,
                      "from_status": current, "to_status": new}, actor=actor)
    session.add(ticket)
    session.flush()
    shown_new = (label(new) if field_name != "assignee" else _email(session, new)) or "none"
    after: dict[str, Any] = {column: new}
    if field_name == "status":
        after["closed_at"] = ticket.closed_at
    audit.record(session, actor=actor, action=f"support.{field_name}_changed", target_type=AGGREGATE,
                 target_id=ident, description=f"Ticket #{ticket.number}: {field_name} set to {shown_new}",
                 before=before, after=after)
    return ticket


def _email(session: Session, user_id: uuid.UUID | None) -> str:
    if user_id is None:
        return ""
    return session.execute(sa.select(User.email).where(User.id == user_id)).scalar_one_or_none() or ""


def agents(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """Active support agents (the assignee choices)."""
    _require(actor, Perm.SUPPORT_VIEW)
    rows = session.execute(
        sa.select(User.id, User.email).where(User.role == Role.SUPPORT.value, User.is_active.is_(True))
        .order_by(User.email).limit(200)
    ).all()
    return [{"id": str(r.id), "email": r.email} for r in rows]


# --- attachments -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttachmentFile:
    path: Any
    media_type: str
    file_name: str


def attachment_file(session: Session, *, actor: Actor, message_id: Any) -> AttachmentFile:
    """The attachment of a message, for staff with ``support.view``; every view is audited.
    ``NotFound`` for an unknown id, a message without attachment, a type not served, a missing file."""
    actor = _require(actor, Perm.SUPPORT_VIEW)
    try:
        ident = parse_id(message_id, "message")
    except InvalidInput:
        raise NotFound("Not found.") from None
    message = session.get(SupportMessage, ident)
    if message is None or not message.attachment_key:
        raise NotFound("Not found.")
    suffix = PurePosixPath(message.attachment_key).suffix.lower()
    media_type = SERVABLE_TYPES.get(suffix)
    if media_type is None:
        raise NotFound("Not found.")
    try:
        path = storage.path_for(message.attachment_key)
    except storage.InvalidStorageKey:
        raise NotFound("Not found.") from None
    if not path.is_file():
        raise NotFound("Not found.")
    number = session.execute(sa.select(SupportTicket.number).where(SupportTicket.id == message.ticket_id)).scalar_one()
    audit.record(session, actor=actor, action="support.attachment_viewed", target_type=AGGREGATE,
                 target_id=message.ticket_id, description=f"Viewed an attachment of ticket #{number}",
                 details={"message_id": message.id, "key": message.attachment_key})
    name = "".join(c for c in (message.attachment_name or f"attachment{suffix}") if c.isalnum() or c in "._- ")[:100]
    return AttachmentFile(path=path, media_type=media_type, file_name=name or f"attachment{suffix}")
