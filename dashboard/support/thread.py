"""The open thread, read from the database: the view (ticket, customer card, messages and internal notes
apart, the assignee choices, the canned replies), the reply guard's count, the poll's fingerprint and
presence. No permission checks here: ``queries.py`` and ``actions.py`` check the actor, then call these.

- Unread for staff: a customer wrote after ``staff_read_at``. Opening a thread as an agent marks it read.
- The thread moved on: a reply carries how many messages by *others* the agent had seen
  (``others_count``); the fingerprint changes when anything shown changes (the poll compares it).
- Presence: a heartbeat row per (ticket, staff member) in ``support_ticket_presence``; others seen in
  the last ``PRESENCE_TTL_SECONDS`` are "viewing". It is in the database so every worker sees it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.errors import NotFound
from dashboard.core.permissions import Perm
from dashboard.models import CannedReply, SupportMessage, SupportTicket, TicketPresence, Transaction, User
from dashboard.models.enums import Role, label
from dashboard.audit import chain as audit
from dashboard.support.rules import (
    AGGREGATE,
    FIRST_RESPONSE_HOURS,
    MAX_AGENTS,
    MAX_CANNED,
    PRESENCE_TTL_SECONDS,
    RECENT_TRANSACTIONS,
    first_response,
    when,
)
from dashboard.support.sql import messages_query, thread_query

GONE = "This ticket does not exist."


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
    agents: list[dict[str, str]]  # the assignee choices: active agents, and the assignee if not among them
    canned: list[dict[str, str]]  # the canned replies the reply box offers


def is_agent(actor: Actor) -> bool:
    """Works on tickets (replies, changes, marks read, is seen viewing), as opposed to only reading."""
    return actor.can(Perm.SUPPORT_REPLY) and actor.user_id is not None


def now(session: Session) -> datetime:
    return session.execute(sa.select(sa.func.now())).scalar_one()


def exists(session: Session, ident: uuid.UUID) -> bool:
    return session.execute(sa.select(SupportTicket.id).where(SupportTicket.id == ident)).first() is not None


def get_ticket(session: Session, ident: uuid.UUID, *, lock: bool = False) -> SupportTicket:
    query = sa.select(SupportTicket).where(SupportTicket.id == ident).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(GONE)
    return row


def email_of(session: Session, user_id: uuid.UUID | None) -> str:
    if user_id is None:
        return ""
    return session.execute(sa.select(User.email).where(User.id == user_id)).scalar_one_or_none() or ""


def others_count(session: Session, ident: uuid.UUID, me: uuid.UUID | None) -> int:
    m = SupportMessage
    query = sa.select(sa.func.count()).where(m.ticket_id == ident)
    if me is not None:
        query = query.where(m.sender_id != me)
    return int(session.execute(query).scalar_one())


def fingerprint(session: Session, ident: uuid.UUID) -> str:
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


def heartbeat(session: Session, ident: uuid.UUID, me: uuid.UUID | None) -> None:
    if me is None:
        return
    stmt = pg_insert(TicketPresence).values(ticket_id=ident, user_id=me, seen_at=sa.func.now())
    session.execute(stmt.on_conflict_do_update(constraint="uq_support_ticket_presence_ticket_user",
                                               set_={"seen_at": sa.func.now()}))


def mark_read(session: Session, actor: Actor, ident: uuid.UUID) -> None:
    t = SupportTicket
    updated = session.execute(
        sa.update(t).where(t.id == ident, t.last_customer_message_at.is_not(None),
                           sa.or_(t.staff_read_at.is_(None), t.staff_read_at < t.last_customer_message_at))
        .values(staff_read_at=sa.func.now()).returning(t.number)
    ).first()
    if updated is not None:
        audit.record(session, actor=actor, action="support.ticket_read", target_type=AGGREGATE, target_id=ident,
                     description=f"Read the customer's new messages on ticket #{updated.number}")


def canned_list(session: Session) -> list[dict[str, str]]:
    rows = session.execute(sa.select(CannedReply).order_by(sa.func.lower(CannedReply.title)).limit(MAX_CANNED))
    return [_canned_row(r) for r in rows.scalars()]


def _canned_row(row: CannedReply) -> dict[str, str]:
    preview = " ".join(row.body.split())
    return {"id": str(row.id), "title": row.title, "body": row.body,
            "preview": preview if len(preview) <= 90 else preview[:89] + "…"}


def _agents(session: Session, assignee_id: uuid.UUID | None, assignee: str) -> list[dict[str, str]]:
    rows = session.execute(
        sa.select(User.id, User.email).where(User.role == Role.SUPPORT.value, User.is_active.is_(True))
        .order_by(User.email).limit(MAX_AGENTS)
    ).all()
    choices = [{"id": str(r.id), "email": r.email} for r in rows]
    if assignee_id is not None and str(assignee_id) not in {c["id"] for c in choices}:
        choices.append({"id": str(assignee_id), "email": assignee})
    return choices


def _message_row(r: Any) -> dict[str, str]:
    staff = r.sender_role != Role.CUSTOMER.value
    return {
        "id": str(r.id), "text": r.message, "when": when(r.created_at),
        "sender": f"{r.sender_first} {r.sender_last}".strip() or r.sender_email, "sender_email": r.sender_email,
        "side": "staff" if staff else "customer", "role": label(r.sender_role),
        "attachment": r.attachment_name or ("attachment" if r.attachment_key else ""),
        "attachment_url": f"/_private/support/attachments/{r.id}" if r.attachment_key else "",
        "attachment_size": f"{(r.attachment_size or 0) / 1024:,.0f} KB" if r.attachment_key else "",
    }


def view(session: Session, actor: Actor, ident: uuid.UUID) -> ThreadView:
    found = session.execute(thread_query(ident)).first()
    if found is None:
        raise NotFound(GONE)
    ticket, customer, agent_email = found
    moment = now(session)
    state, sla = first_response(ticket.priority, ticket.status, ticket.created_at, ticket.first_response_at, moment)
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
            "assignee": agent_email or "", "created": when(ticket.created_at),
            "last_reply": when(ticket.last_reply_at) or "—", "first_response": when(ticket.first_response_at) or "—",
            "closed": when(ticket.closed_at), "sla_state": state, "sla_label": sla,
            "target": f"{FIRST_RESPONSE_HOURS.get(ticket.priority, 24)} h",
        },
        customer={
            "id": str(customer.id), "name": f"{customer.first_name} {customer.last_name}".strip(),
            "first_name": customer.first_name, "email": customer.email,
            "kyc_status": customer.kyc_status, "kyc_label": label(customer.kyc_status),
            "account_type": label(customer.account_type) or "—", "platform": customer.platform or "—",
            "country": customer.country or "—", "since": when(customer.created_at)[:10],
        },
        transactions=[{
            "reference": r.reference, "type": label(r.transaction_type), "amount": f"{r.amount:,.2f} {r.currency}",
            "status": label(r.status), "when": when(r.created_at)[:10],
        } for r in recent],
        messages=messages,
        notes=notes,
        seen_others=others_count(session, ident, actor.user_id),
        fingerprint=fingerprint(session, ident),
        viewers=viewers(session, ident, actor.user_id),
        can_reply=is_agent(actor),
        agents=_agents(session, ticket.assigned_to_id, agent_email or ""),
        canned=canned_list(session),
    )
