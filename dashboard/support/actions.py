"""Support inbox writes (issue 7): replies, internal notes, ticket changes, presence and canned replies.

Each is one transaction (the caller's session), needs ``support.reply`` (SUPPORT agents; an ADMIN only
reads) except dropping one's own presence, and is audited in the same transaction.

- A reply (public) sets ``last_reply_at`` (and ``first_response_at`` the first time), moves an OPEN
  ticket to IN_PROGRESS, notifies the customer and emits an outbox event. An internal note is stored
  with ``is_internal`` and never reaches the customer (no notification, no outbox event).
- The thread moved on: a reply carries how many messages by *others* the agent had seen; if more
  exist when it is sent (another agent or the customer wrote meanwhile) it is refused with ``Conflict``
  and nothing is written: the page shows the new messages and keeps the draft.
- Ticket changes (status, priority, category, assignee) lock the row and compare the value the agent
  saw: if another agent changed it meanwhile the change is refused (``Conflict``). Closing sets
  ``closed_at``; leaving CLOSED clears it (the table's CHECK ties the two). Status changes also go to
  ``status_history`` and the outbox.
- Canned replies: titles are unique (case-insensitive, a unique index); bodies follow the reply limit.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from dashboard.core.permissions import Perm, requires
from dashboard.models import CannedReply, SupportMessage, SupportTicket, TicketPresence, User
from dashboard.models.enums import ReviewableEntity, Role, label
from dashboard.audit import chain as audit
from dashboard.core.history import record_status_change
from dashboard.core.notifications import notify
from dashboard.core.outbox import emit
from dashboard.core.validate import clean_text
from dashboard.support import thread
from dashboard.support.rules import (
    AGGREGATE,
    CANNED_AGGREGATE,
    CATEGORIES,
    COLUMN,
    MAX_MESSAGE,
    MAX_TITLE,
    PRIORITIES,
    STATUSES,
    TS,
    WRITE_FIRST,
    moved_on,
    parse_id,
    preview,
    thread_position,
)


@requires(Perm.SUPPORT_REPLY)
def reply(session: Session, *, actor: Actor, ticket_id: Any, body: Any, seen_others: Any,
          internal: bool = False) -> SupportMessage:
    """Add a staff reply (or, with ``internal``, an internal note). ``seen_others``: how many messages by
    others the agent had in front of them; more now means the thread moved on (``Conflict``)."""
    ident = parse_id(ticket_id)
    text_value = clean_text(body, "Internal note" if internal else "Reply", MAX_MESSAGE, required=True,
                            multiline=True, empty=WRITE_FIRST)
    seen = thread_position(seen_others)
    if actor.user_id is None:  # a message needs its author
        raise NotAllowed("Only a signed-in agent can work on tickets.")
    ticket = thread.get_ticket(session, ident, lock=True)
    if not internal:
        if ticket.status == TS.CLOSED:
            raise Conflict("This ticket is closed. Reopen it (change its status) before replying.")
        now_others = thread.others_count(session, ident, actor.user_id)
        if now_others > seen:
            raise Conflict(moved_on(now_others - seen))
    now = thread.now(session)
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
           message=preview(f"Our support team replied to “{ticket.subject}”: {text_value}"))
    emit(session, event_type="support.reply_added", aggregate_type=AGGREGATE, aggregate_id=ident,
         payload={"ticket_id": ident, "ticket_number": ticket.number, "message_id": message.id,
                  "user_id": ticket.user_id, "status": ticket.status}, actor=actor)
    audit.record(session, actor=actor, action="support.replied", target_type=AGGREGATE, target_id=ident,
                 description=f"Replied to ticket #{ticket.number}", before=before,
                 after={"status": ticket.status, "last_reply_at": ticket.last_reply_at,
                        "first_response_at": ticket.first_response_at},
                 details={"message_id": message.id, "length": len(text_value)})
    return message


def _parse_value(session: Session, field_name: str, value: Any, actor: Actor) -> Any:
    raw = clean_text(value, field_name.title(), 64)
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


def _shown(session: Session, field_name: str, value: Any) -> str:
    return label(value) if field_name != "assignee" else thread.email_of(session, value)


@requires(Perm.SUPPORT_REPLY)
def change(session: Session, *, actor: Actor, ticket_id: Any, field_name: Any, value: Any,
           expected: Any) -> SupportTicket:
    """Change one of status, priority, category or assignee. ``expected`` is the value the agent saw:
    when the ticket holds something else now, another agent changed it first (``Conflict``)."""
    ident = parse_id(ticket_id)
    if field_name not in COLUMN:
        raise InvalidInput("That ticket field cannot be changed.")
    new = _parse_value(session, field_name, value, actor)
    saw = _expected(expected, field_name)
    ticket = thread.get_ticket(session, ident, lock=True)
    column = COLUMN[field_name]
    current = getattr(ticket, column)
    if current != saw:
        raise Conflict(f"Someone else changed the {field_name} of ticket #{ticket.number} meanwhile "
                       f"(now: {_shown(session, field_name, current) or 'none'}). Nothing was changed; "
                       "check the ticket and try again.")
    if current == new:
        return ticket
    now = thread.now(session)
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
    after: dict[str, Any] = {column: new}
    if field_name == "status":
        after["closed_at"] = ticket.closed_at
    audit.record(session, actor=actor, action=f"support.{field_name}_changed", target_type=AGGREGATE,
                 target_id=ident,
                 description=f"Ticket #{ticket.number}: {field_name} set to {_shown(session, field_name, new) or 'none'}",
                 before=before, after=after)
    return ticket


@requires(Perm.SUPPORT_VIEW)
def leave(session: Session, *, actor: Actor, ticket_id: Any) -> None:
    """Drop this agent's presence on a ticket (closing the thread)."""
    ident = parse_id(ticket_id)
    if actor.user_id is not None:
        session.execute(sa.delete(TicketPresence).where(TicketPresence.ticket_id == ident,
                                                        TicketPresence.user_id == actor.user_id))


# --- canned replies ----------------------------------------------------------------------------------
def _canned_fields(title: Any, body: Any) -> tuple[str, str]:
    return (clean_text(title, "Title", MAX_TITLE, required=True, empty=WRITE_FIRST),
            clean_text(body, "Text", MAX_MESSAGE, required=True, multiline=True, empty=WRITE_FIRST))


def _title_taken(title: str) -> Conflict:
    return Conflict(f"A canned reply called {title!r} already exists. Choose another title.")


def _check_title(session: Session, title: str, except_id: uuid.UUID | None = None) -> None:
    query = sa.select(CannedReply.id).where(sa.func.lower(CannedReply.title) == title.lower())
    if except_id is not None:
        query = query.where(CannedReply.id != except_id)
    if session.execute(query).first() is not None:
        raise _title_taken(title)


def _save(session: Session, row: CannedReply, title: str) -> None:
    """Flush the row; a title taken meanwhile (the unique index) is the same ``Conflict``."""
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        raise _title_taken(title) from None


def _locked_canned(session: Session, reply_id: Any) -> CannedReply:
    ident = parse_id(reply_id, "canned reply")
    row = session.execute(sa.select(CannedReply).where(CannedReply.id == ident).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise NotFound("This canned reply does not exist (another agent may have deleted it).")
    return row


@requires(Perm.SUPPORT_REPLY)
def create_canned(session: Session, *, actor: Actor, title: Any, body: Any) -> CannedReply:
    title_value, body_value = _canned_fields(title, body)
    _check_title(session, title_value)
    row = CannedReply(title=title_value, body=body_value, created_by_id=actor.user_id, updated_by_id=actor.user_id)
    _save(session, row, title_value)
    audit.record(session, actor=actor, action="support.canned_created", target_type=CANNED_AGGREGATE,
                 target_id=row.id, description=f"Created the canned reply {title_value!r}",
                 after={"title": title_value, "body": body_value})
    return row


@requires(Perm.SUPPORT_REPLY)
def update_canned(session: Session, *, actor: Actor, reply_id: Any, title: Any, body: Any) -> CannedReply:
    title_value, body_value = _canned_fields(title, body)
    row = _locked_canned(session, reply_id)
    _check_title(session, title_value, except_id=row.id)
    before = {"title": row.title, "body": row.body}
    if before == {"title": title_value, "body": body_value}:
        return row
    row.title, row.body, row.updated_by_id, row.updated_at = title_value, body_value, actor.user_id, sa.func.now()
    _save(session, row, title_value)
    audit.record(session, actor=actor, action="support.canned_updated", target_type=CANNED_AGGREGATE,
                 target_id=row.id, description=f"Edited the canned reply {title_value!r}", before=before,
                 after={"title": title_value, "body": body_value})
    return row


@requires(Perm.SUPPORT_REPLY)
def delete_canned(session: Session, *, actor: Actor, reply_id: Any) -> None:
    row = _locked_canned(session, reply_id)
    before = {"title": row.title, "body": row.body}
    session.delete(row)
    session.flush()
    audit.record(session, actor=actor, action="support.canned_deleted", target_type=CANNED_AGGREGATE,
                 target_id=row.id, description=f"Deleted the canned reply {before['title']!r}", before=before)
