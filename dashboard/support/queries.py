"""Support inbox reads (issue 7): the inbox, a thread, the poll, canned replies and ticket attachments.

Reading needs ``support.view`` (SUPPORT agents and ADMIN). Opening a thread and polling it as an agent
(``support.reply``) also mark it read and renew the agent's presence; viewing an attachment is audited.

- Inbox: one SELECT (``sql.inbox_query``), keyset pages on (updated_at DESC, id DESC). Counts per
  status, "mine" and "unassigned" (open + in progress) come with the page (``Page.extra["counts"]``).
- Age against the first-response target of the ticket's priority (``rules.first_response``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.core import storage
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput, NotFound
from dashboard.core.format import hours_text
from dashboard.core.listing import Page, check_limit, cut_page, optional_cursor
from dashboard.core.permissions import Perm, requires
from dashboard.models import CannedReply, SupportMessage, SupportTicket, User
from dashboard.models.enums import label
from dashboard.audit import chain as audit
from dashboard.support import thread
from dashboard.support.rules import (
    AGGREGATE,
    BAD_POSITION,
    CANNED_GONE,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    SERVABLE_TYPES,
    first_response,
    parse_filters,
    parse_id,
    render_canned,
    thread_position,
    unread,
    when,
)
from dashboard.support.sql import counts_query, inbox_query
from dashboard.support.thread import ThreadView


@requires(Perm.SUPPORT_VIEW)
def list_inbox(session: Session, *, actor: Actor, filters: Any = None, after: Any = None,
               limit: int = PAGE_SIZE) -> Page[dict[str, str]]:
    """One inbox page of display rows, latest activity first, and the counts (``extra["counts"]``)."""
    parsed = parse_filters(filters)
    cursor = optional_cursor(after, (datetime, uuid.UUID))
    check_limit(limit, MAX_PAGE_SIZE)
    now = thread.now(session)
    fetched = session.execute(inbox_query(parsed, me=actor.user_id, after=cursor, limit=limit + 1)).all()
    shown, next_cursor = cut_page(fetched, limit, lambda r: (r.updated_at, r.id))
    rows = []
    for r in shown:
        state, sla = first_response(r.priority, r.status, r.created_at, r.first_response_at, now)
        rows.append({
            "id": str(r.id), "number": f"#{r.number}", "subject": r.subject,
            "customer": f"{r.first_name} {r.last_name}".strip(), "customer_email": r.customer_email,
            "status": r.status, "status_label": label(r.status), "priority": r.priority,
            "priority_label": label(r.priority), "category": label(r.category) or "—",
            "assignee": r.agent_email or "", "last_reply": when(r.last_reply_at) or "—",
            "updated": when(r.updated_at), "age": hours_text((now - r.created_at).total_seconds() / 3600),
            "unread": "yes" if unread(r.last_customer_message_at, r.staff_read_at) else "",
            "sla_state": state, "sla_label": sla,
        })
    counts = session.execute(counts_query(actor.user_id)).one()._mapping
    return Page(rows=rows, next_cursor=next_cursor, extra={"counts": {k: int(v) for k, v in counts.items()}})


@requires(Perm.SUPPORT_VIEW)
def open_thread(session: Session, *, actor: Actor, ticket_id: Any) -> ThreadView:
    """The thread view. An agent (``support.reply``) also marks the ticket read and records presence."""
    ident = parse_id(ticket_id)
    if not thread.exists(session, ident):
        raise NotFound(thread.GONE)
    if thread.is_agent(actor):
        thread.mark_read(session, actor, ident)
        thread.heartbeat(session, ident, actor.user_id)
    return thread.view(session, actor, ident)


@dataclass
class PollResult:
    changed: bool
    fingerprint: str
    viewers: list[str]
    new_from_others: int
    gone: bool = False  # the ticket no longer exists


@requires(Perm.SUPPORT_VIEW)
def poll(session: Session, *, actor: Actor, ticket_id: Any, fingerprint: Any, seen_others: Any) -> PollResult:
    """The cheap check the open thread runs every few seconds: did anything change, who else is here.
    Also renews this agent's presence."""
    ident = parse_id(ticket_id)
    if not isinstance(fingerprint, str) or len(fingerprint) > 200:
        raise InvalidInput(BAD_POSITION)
    seen = thread_position(seen_others)
    if not thread.exists(session, ident):
        return PollResult(changed=True, fingerprint="", viewers=[], new_from_others=0, gone=True)
    if thread.is_agent(actor):
        thread.heartbeat(session, ident, actor.user_id)
    current = thread.fingerprint(session, ident)
    others = thread.others_count(session, ident, actor.user_id) if current != fingerprint else seen
    return PollResult(changed=current != fingerprint, fingerprint=current,
                      viewers=thread.viewers(session, ident, actor.user_id), new_from_others=max(others - seen, 0))


# --- canned replies ----------------------------------------------------------------------------------
@requires(Perm.SUPPORT_VIEW)
def canned_replies(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    """Every canned reply (title order): what the reply box offers and the manage dialog lists."""
    return thread.canned_list(session)


@requires(Perm.SUPPORT_VIEW)
def canned_draft(session: Session, *, actor: Actor, reply_id: Any, ticket_id: Any) -> str:
    """A canned reply's text for the customer of a ticket (``{first_name}`` filled in)."""
    ticket = parse_id(ticket_id)
    try:
        ident = parse_id(reply_id, "canned reply")
    except InvalidInput:
        raise NotFound(CANNED_GONE) from None
    body = session.execute(sa.select(CannedReply.body).where(CannedReply.id == ident)).scalar_one_or_none()
    if body is None:
        raise NotFound(CANNED_GONE)
    first_name = session.execute(sa.select(User.first_name).join(SupportTicket, SupportTicket.user_id == User.id)
                                 .where(SupportTicket.id == ticket)).scalar_one_or_none()
    if first_name is None:
        raise NotFound(thread.GONE)
    return render_canned(body, first_name=first_name)


# --- attachments -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttachmentFile:
    path: Any
    media_type: str
    file_name: str


@requires(Perm.SUPPORT_VIEW)
def attachment_file(session: Session, *, actor: Actor, message_id: Any) -> AttachmentFile:
    """The attachment of a message, for staff with ``support.view``; every view is audited.
    ``NotFound`` for an unknown id, a message without attachment, a type not served, a missing file."""
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
    path = storage.stored_file(message.attachment_key, unsafe="Not found.", missing="Not found.")
    number = session.execute(sa.select(SupportTicket.number).where(SupportTicket.id == message.ticket_id)).scalar_one()
    audit.record(session, actor=actor, action="support.attachment_viewed", target_type=AGGREGATE,
                 target_id=message.ticket_id, description=f"Viewed an attachment of ticket #{number}",
                 details={"message_id": message.id, "key": message.attachment_key})
    name = "".join(c for c in (message.attachment_name or f"attachment{suffix}") if c.isalnum() or c in "._- ")[:100]
    return AttachmentFile(path=path, media_type=media_type, file_name=name or f"attachment{suffix}")
