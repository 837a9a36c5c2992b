"""Canned replies (issue 7): standard answers the support agents manage and insert into a reply.

Reading needs ``support.view``; creating, editing and deleting need ``support.reply``. Titles are unique
(case-insensitive, a unique index); bodies follow the reply limit (1-10,000 characters). A body may use
``{first_name}``, replaced by the customer's first name when the reply is drafted. Every change is
audited with before/after.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.models import CannedReply
from dashboard.core.permissions import Perm
from dashboard.audit import chain as audit
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, NotFound
from dashboard.services.support import MAX_MESSAGE, _require, _text, parse_id

MAX_TITLE = 120
MAX_REPLIES = 200
AGGREGATE = "canned_reply"


def _as_dict(row: CannedReply) -> dict[str, str]:
    preview = " ".join(row.body.split())
    return {"id": str(row.id), "title": row.title, "body": row.body,
            "preview": preview if len(preview) <= 90 else preview[:89] + "…"}


def list_replies(session: Session, *, actor: Actor) -> list[dict[str, str]]:
    _require(actor, Perm.SUPPORT_VIEW)
    rows = session.execute(sa.select(CannedReply).order_by(sa.func.lower(CannedReply.title)).limit(MAX_REPLIES))
    return [_as_dict(r) for r in rows.scalars()]


def _fields(title: Any, body: Any) -> tuple[str, str]:
    return (_text(title, "Title", MAX_TITLE, required=True), _text(body, "Text", MAX_MESSAGE, required=True))


def _title_taken(session: Session, title: str, except_id: Any = None) -> None:
    query = sa.select(CannedReply.id).where(sa.func.lower(CannedReply.title) == title.lower())
    if except_id is not None:
        query = query.where(CannedReply.id != except_id)
    if session.execute(query).first() is not None:
        raise Conflict(f"A canned reply called {title!r} already exists. Choose another title.")


def create(session: Session, *, actor: Actor, title: Any, body: Any) -> CannedReply:
    actor = _require(actor, Perm.SUPPORT_REPLY)
    title_value, body_value = _fields(title, body)
    _title_taken(session, title_value)
    row = CannedReply(title=title_value, body=body_value, created_by_id=actor.user_id, updated_by_id=actor.user_id)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(f"A canned reply called {title_value!r} already exists. Choose another title.") from None
    audit.record(session, actor=actor, action="support.canned_created", target_type=AGGREGATE, target_id=row.id,
                 description=f"Created the canned reply {title_value!r}", after={"title": title_value,
                                                                              "body": body_value})
    return row


def _locked(session: Session, reply_id: Any) -> CannedReply:
    ident = parse_id(reply_id, "canned reply")
    row = session.execute(sa.select(CannedReply).where(CannedReply.id == ident).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise NotFound("This canned reply does not exist (another agent may have deleted it).")
    return row


def update(session: Session, *, actor: Actor, reply_id: Any, title: Any, body: Any) -> CannedReply:
    actor = _require(actor, Perm.SUPPORT_REPLY)
    title_value, body_value = _fields(title, body)
    row = _locked(session, reply_id)
    _title_taken(session, title_value, except_id=row.id)
    before = {"title": row.title, "body": row.body}
    if before == {"title": title_value, "body": body_value}:
        return row
    row.title, row.body, row.updated_by_id, row.updated_at = title_value, body_value, actor.user_id, sa.func.now()
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(f"A canned reply called {title_value!r} already exists. Choose another title.") from None
    audit.record(session, actor=actor, action="support.canned_updated", target_type=AGGREGATE, target_id=row.id,
                 description=f"Edited the canned reply {title_value!r}", before=before,
                 after={"title": title_value, "body": body_value})
    return row


def delete(session: Session, *, actor: Actor, reply_id: Any) -> None:
    actor = _require(actor, Perm.SUPPORT_REPLY)
    row = _locked(session, reply_id)
    before = {"title": row.title, "body": row.body}
    session.delete(row)
    session.flush()
    audit.record(session, actor=actor, action="support.canned_deleted", target_type=AGGREGATE, target_id=row.id,
                 description=f"Deleted the canned reply {before['title']!r}", before=before)


def render(body: str, *, first_name: str) -> str:
    """The canned text for one customer (``{first_name}`` filled in; nothing else is interpreted)."""
    return body.replace("{first_name}", first_name or "there")
