"""Support inbox services (issue 7) against a real database: inbox, thread, replies, notes, changes,
canned replies, presence, concurrency and bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import models as m
from dashboard.support import actions, queries, rules
from dashboard.core.actor import Actor
from dashboard.core.errors import (
    Conflict,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
)
from tests import factories
from tests.locks import race

NOW = datetime.now(UTC)


def agent(session: Session, role: str = "SUPPORT") -> Actor:
    user = factories.user(session, role=role, platform="STAFF")
    return Actor(user_id=user.id, email=user.email, role=role)


def ticket(session: Session, customer: m.User | None = None, *, hours_old: float = 2, text: str = "Help me please",
           **kw: Any) -> m.SupportTicket:
    customer = customer or factories.user(session, kyc_status="APPROVED")
    created = NOW - timedelta(hours=hours_old)
    values: dict[str, Any] = {"user_id": customer.id, "subject": "Deposit not credited", "priority": "NORMAL",
                              "category": "BILLING", "created_at": created, "updated_at": created,
                              "last_customer_message_at": created}
    values.update(kw)
    row = m.SupportTicket(**values)
    session.add(row)
    session.flush()
    session.add(m.SupportMessage(ticket_id=row.id, sender_id=customer.id, sender_role="CUSTOMER", message=text,
                                 created_at=created))
    session.flush()
    return row


def customer_writes(session: Session, row: m.SupportTicket, text: str = "Any update?") -> None:
    at = session.execute(sa.select(sa.func.clock_timestamp())).scalar_one()
    session.add(m.SupportMessage(ticket_id=row.id, sender_id=row.user_id, sender_role="CUSTOMER", message=text,
                                 created_at=at))
    row.last_customer_message_at = at
    row.updated_at = at
    session.add(row)
    session.flush()


def count(session: Session, model: Any, *where: Any) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def writes(session: Session) -> tuple:
    return tuple(count(session, t) for t in (m.SupportMessage, m.ActivityLog, m.Notification, m.OutboxEvent,
                                             m.StatusHistory, m.CannedReply))


# --- inbox -------------------------------------------------------------------------------------------
def test_inbox_shows_open_and_in_progress_latest_first_with_counts(db: Session) -> None:
    me = agent(db)
    old = ticket(db, hours_old=30)
    new = ticket(db, hours_old=1, status="IN_PROGRESS", assigned_to_id=me.user_id)
    ticket(db, hours_old=3, status="CLOSED", closed_at=NOW)
    page = queries.list_inbox(db, actor=me)
    assert [r["id"] for r in page.rows] == [str(new.id), str(old.id)]
    assert page.extra["counts"] == {"OPEN": 1, "IN_PROGRESS": 1, "RESOLVED": 0, "CLOSED": 1, "mine": 1, "unassigned": 1}
    first = page.rows[1]
    assert first["unread"] == "yes" and first["sla_state"] == "overdue" and first["assignee"] == ""
    assert page.rows[0]["assignee"] == me.email


def test_first_response_target_depends_on_priority(db: Session) -> None:
    me = agent(db)
    urgent = ticket(db, hours_old=2, priority="URGENT")
    low = ticket(db, hours_old=2, priority="LOW")
    rows = {r["id"]: r for r in queries.list_inbox(db, actor=me).rows}
    assert rows[str(urgent.id)]["sla_state"] == "overdue"
    assert rows[str(low.id)]["sla_state"] == "on_time"
    state, text = rules.first_response("HIGH", "IN_PROGRESS", NOW - timedelta(hours=5), NOW - timedelta(hours=4),
                                         NOW)
    assert state == "met" and text.startswith("Answered in")


def test_filters_mine_unassigned_status_priority_category_and_search(db: Session) -> None:
    me = agent(db)
    special = factories.user(db, email=f"findme-{uuid.uuid4().hex[:6]}@example.com")
    a = ticket(db, special, subject="Cannot reset my password", category="TECHNICAL", priority="HIGH",
               assigned_to_id=me.user_id)
    b = ticket(db, subject="Fee charged twice", category=None)
    c = ticket(db, status="RESOLVED", subject="Withdrawal delayed")

    def ids(**filters: str) -> set[str]:
        return {r["id"] for r in queries.list_inbox(db, actor=me, filters=filters).rows}

    assert ids(view="mine") == {str(a.id)}
    assert ids(view="unassigned") == {str(b.id)}
    assert ids(status="RESOLVED") == {str(c.id)}
    assert str(c.id) in ids(status="ALL")
    assert ids(priority="HIGH") == {str(a.id)}
    assert ids(category="NONE") == {str(b.id)}
    assert ids(category="TECHNICAL") == {str(a.id)}
    assert ids(search="reset my") == {str(a.id)}
    assert ids(search=special.email.upper()) == {str(a.id)}
    assert ids(search="100%_") == set()


@pytest.mark.parametrize("filters", [{"status": "PENDING"}, {"priority": "HUGE"}, {"view": "everyone"},
                                     {"search": "x" * 101}, "junk", {"category": ["KYC"]}])
def test_bad_filters_are_refused(db: Session, filters: Any) -> None:
    with pytest.raises(InvalidInput):
        queries.list_inbox(db, actor=agent(db), filters=filters)


def test_keyset_pages_cover_every_ticket_once(db: Session) -> None:
    me = agent(db)
    made = {str(ticket(db, hours_old=h).id) for h in range(1, 8)}
    seen, cursor = [], None
    while True:
        page = queries.list_inbox(db, actor=me, after=cursor, limit=3)
        seen += [r["id"] for r in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 7 and set(seen) == made
    with pytest.raises(InvalidInput):
        queries.list_inbox(db, actor=me, after="garbage")


def test_reading_needs_support_view(db: Session) -> None:
    for role in ("COMPLIANCE", "TREASURER", "MANAGER"):
        with pytest.raises(NotAllowed):
            queries.list_inbox(db, actor=agent(db, role))
    with pytest.raises(NotAuthenticated):
        queries.list_inbox(db, actor=None)  # type: ignore[arg-type]
    assert queries.list_inbox(db, actor=agent(db, "ADMIN")).rows == []


# --- thread ------------------------------------------------------------------------------------------
def test_open_thread_shows_customer_card_messages_and_notes_apart_and_marks_read(db: Session) -> None:
    me, other = agent(db), agent(db)
    row = ticket(db, text="<script>alert(1)</script>")
    actions.reply(db, actor=other, ticket_id=str(row.id), body="Checked the ledger", seen_others=1, internal=True)
    factories.transaction(db, db.get(m.User, row.user_id))
    view = queries.open_thread(db, actor=me, ticket_id=str(row.id))
    assert [x["text"] for x in view.messages] == ["<script>alert(1)</script>"]
    assert [x["text"] for x in view.notes] == ["Checked the ledger"]
    assert view.customer["kyc_status"] == "APPROVED" and view.customer["account_type"] == "Stock"
    assert len(view.transactions) == 1 and view.can_reply
    assert view.seen_others == 2  # the customer's message and the other agent's note
    db.refresh(row)
    assert row.staff_read_at is not None
    assert queries.list_inbox(db, actor=me).rows[0]["unread"] == ""
    assert count(db, m.ActivityLog, m.ActivityLog.action == "support.ticket_read") == 1


def test_admin_reads_without_marking_read_or_presence(db: Session) -> None:
    admin = agent(db, "ADMIN")
    row = ticket(db)
    view = queries.open_thread(db, actor=admin, ticket_id=str(row.id))
    assert not view.can_reply
    db.refresh(row)
    assert row.staff_read_at is None and count(db, m.TicketPresence) == 0


@pytest.mark.parametrize("bad", ["nope", str(uuid.uuid4()), 42, None, {"$ne": 1}])
def test_unknown_or_bad_ticket_ids(db: Session, bad: Any) -> None:
    with pytest.raises((InvalidInput, NotFound)):
        queries.open_thread(db, actor=agent(db), ticket_id=bad)


# --- replies and notes -------------------------------------------------------------------------------
def test_reply_sets_timestamps_status_notifies_and_audits(db: Session) -> None:
    me = agent(db)
    row = ticket(db)
    msg = actions.reply(db, actor=me, ticket_id=str(row.id), body="  We are on it.  ", seen_others=1)
    db.refresh(row)
    assert msg.message == "We are on it." and not msg.is_internal and msg.sender_role == "SUPPORT"
    assert row.status == "IN_PROGRESS" and row.last_reply_at is not None
    assert row.first_response_at == row.last_reply_at
    note = db.execute(sa.select(m.Notification).where(m.Notification.user_id == row.user_id)).scalar_one()
    assert note.notification_type == "support_reply" and "We are on it." in note.message
    assert count(db, m.OutboxEvent, m.OutboxEvent.event_type == "support.reply_added") == 1
    assert count(db, m.ActivityLog, m.ActivityLog.action == "support.replied") == 1
    assert count(db, m.StatusHistory, m.StatusHistory.entity_id == row.id) == 1
    first = row.first_response_at
    actions.reply(db, actor=me, ticket_id=str(row.id), body="Second", seen_others=1)
    db.refresh(row)
    assert row.first_response_at == first and row.last_reply_at >= first


def test_internal_note_is_stored_apart_and_never_reaches_the_customer(db: Session) -> None:
    me = agent(db)
    row = ticket(db)
    actions.reply(db, actor=me, ticket_id=str(row.id), body="VIP, keep it formal", seen_others=0, internal=True)
    db.refresh(row)
    assert row.status == "OPEN" and row.last_reply_at is None and row.first_response_at is None
    assert count(db, m.Notification) == 0 and count(db, m.OutboxEvent) == 0
    assert count(db, m.SupportMessage, m.SupportMessage.is_internal.is_(True)) == 1
    assert count(db, m.ActivityLog, m.ActivityLog.action == "support.note_added") == 1


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 10_001, None, 5, ["hi"], "bad\x00char"])
def test_bad_replies_write_nothing(db: Session, body: Any) -> None:
    me = agent(db)
    row = ticket(db)
    before = writes(db)
    with pytest.raises(InvalidInput):
        actions.reply(db, actor=me, ticket_id=str(row.id), body=body, seen_others=1)
    assert writes(db) == before


def test_a_reply_of_exactly_10000_characters_is_accepted(db: Session) -> None:
    row = ticket(db)
    msg = actions.reply(db, actor=agent(db), ticket_id=str(row.id), body="y" * 10_000, seen_others=1)
    assert len(msg.message) == 10_000


def test_reply_to_unknown_ticket_or_with_bad_position(db: Session) -> None:
    me = agent(db)
    before = writes(db)
    with pytest.raises(NotFound):
        actions.reply(db, actor=me, ticket_id=str(uuid.uuid4()), body="hello", seen_others=0)
    with pytest.raises(InvalidInput):
        actions.reply(db, actor=me, ticket_id=str(ticket(db).id), body="hello", seen_others="1")
    assert writes(db)[1:] == before[1:]


def test_reply_is_refused_when_the_thread_moved_on(db: Session) -> None:
    me, other = agent(db), agent(db)
    row = ticket(db)
    seen = queries.open_thread(db, actor=me, ticket_id=str(row.id)).seen_others
    actions.reply(db, actor=other, ticket_id=str(row.id), body="I answered first", seen_others=1)
    before = writes(db)
    with pytest.raises(Conflict, match="1 new message"):
        actions.reply(db, actor=me, ticket_id=str(row.id), body="Duplicate answer", seen_others=seen)
    assert writes(db) == before
    customer_writes(db, row)
    view = queries.open_thread(db, actor=me, ticket_id=str(row.id))
    assert [x["text"] for x in view.messages][-2:] == ["I answered first", "Any update?"]
    actions.reply(db, actor=me, ticket_id=str(row.id), body="Now I have read it", seen_others=view.seen_others)


def test_reply_to_a_closed_ticket_is_refused_but_notes_are_allowed(db: Session) -> None:
    me = agent(db)
    row = ticket(db, status="CLOSED", closed_at=NOW)
    with pytest.raises(Conflict, match="closed"):
        actions.reply(db, actor=me, ticket_id=str(row.id), body="hi", seen_others=1)
    actions.reply(db, actor=me, ticket_id=str(row.id), body="note", seen_others=1, internal=True)


def test_writing_needs_support_reply(db: Session) -> None:
    row = ticket(db)
    for role in ("ADMIN", "COMPLIANCE", "MANAGER"):
        with pytest.raises(NotAllowed):
            actions.reply(db, actor=agent(db, role), ticket_id=str(row.id), body="hi", seen_others=1)
        with pytest.raises(NotAllowed):
            actions.change(db, actor=agent(db, role), ticket_id=str(row.id), field_name="status", value="RESOLVED",
                           expected="OPEN")
        with pytest.raises(NotAllowed):
            actions.create_canned(db, actor=agent(db, role), title="t", body="b")


# --- ticket changes ----------------------------------------------------------------------------------
def test_status_changes_close_and_reopen(db: Session) -> None:
    me = agent(db)
    row = ticket(db)
    actions.change(db, actor=me, ticket_id=str(row.id), field_name="status", value="CLOSED", expected="OPEN")
    db.refresh(row)
    assert row.status == "CLOSED" and row.closed_at is not None
    actions.change(db, actor=me, ticket_id=str(row.id), field_name="status", value="IN_PROGRESS", expected="CLOSED")
    db.refresh(row)
    assert row.status == "IN_PROGRESS" and row.closed_at is None
    assert count(db, m.StatusHistory, m.StatusHistory.entity_id == row.id) == 2
    assert count(db, m.ActivityLog, m.ActivityLog.action == "support.status_changed") == 2
    assert count(db, m.OutboxEvent, m.OutboxEvent.event_type == "support.status_changed") == 2


def test_priority_category_and_assignee_changes_are_audited(db: Session) -> None:
    me, other = agent(db), agent(db)
    row = ticket(db)
    actions.change(db, actor=me, ticket_id=str(row.id), field_name="priority", value="URGENT", expected="NORMAL")
    actions.change(db, actor=me, ticket_id=str(row.id), field_name="category", value="NONE", expected="BILLING")
    actions.change(db, actor=me, ticket_id=str(row.id), field_name="assignee", value=str(other.user_id),
                   expected="NONE")
    actions.change(db, actor=me, ticket_id=str(row.id), field_name="assignee", value="me",
                   expected=str(other.user_id))
    db.refresh(row)
    assert (row.priority, row.category, row.assigned_to_id) == ("URGENT", None, me.user_id)
    audited = db.execute(sa.select(m.ActivityLog.action).where(m.ActivityLog.target_id == str(row.id))).scalars()
    assert sorted(audited) == ["support.assignee_changed", "support.assignee_changed", "support.category_changed",
                               "support.priority_changed"]


@pytest.mark.parametrize(("field", "value"), [("status", "ESCALATED"), ("status", ""), ("priority", "CRITICAL"),
                                              ("category", "SALES"), ("assignee", "not-a-uuid"),
                                              ("subject", "x"), ("status", {"$ne": 1})])
def test_bad_changes_write_nothing(db: Session, field: str, value: Any) -> None:
    me = agent(db)
    row = ticket(db)
    before = writes(db)
    with pytest.raises(InvalidInput):
        actions.change(db, actor=me, ticket_id=str(row.id), field_name=field, value=value, expected="OPEN")
    assert writes(db) == before
    db.refresh(row)
    assert row.status == "OPEN"


def test_assignee_must_be_an_active_support_agent(db: Session) -> None:
    me = agent(db)
    row = ticket(db)
    for someone in (agent(db, "COMPLIANCE").user_id, row.user_id, uuid.uuid4()):
        with pytest.raises(InvalidInput, match="support agent"):
            actions.change(db, actor=me, ticket_id=str(row.id), field_name="assignee", value=str(someone),
                           expected="")


def test_change_based_on_a_stale_value_is_refused(db: Session) -> None:
    me, other = agent(db), agent(db)
    row = ticket(db)
    actions.change(db, actor=other, ticket_id=str(row.id), field_name="status", value="RESOLVED", expected="OPEN")
    with pytest.raises(Conflict, match="Someone else changed the status"):
        actions.change(db, actor=me, ticket_id=str(row.id), field_name="status", value="CLOSED", expected="OPEN")
    db.refresh(row)
    assert row.status == "RESOLVED" and row.closed_at is None


def test_two_agents_changing_the_same_ticket_at_once_change_it_once(fresh_engine: Engine) -> None:
    with Session(fresh_engine, expire_on_commit=False) as session:
        a, b = agent(session), agent(session)
        row = ticket(session)
        session.commit()
    first = Session(fresh_engine)
    first.begin()
    actions.change(first, actor=a, ticket_id=str(row.id), field_name="status", value="RESOLVED", expected="OPEN")

    def second(s2: Session) -> str:
        actions.change(s2, actor=b, ticket_id=str(row.id), field_name="status", value="CLOSED", expected="OPEN")
        return "changed"

    outcome = race(fresh_engine, first, second)
    assert "Someone else changed" in outcome["result"]
    with Session(fresh_engine) as session:
        final = session.get(m.SupportTicket, row.id)
        assert final.status == "RESOLVED" and final.closed_at is None
        assert count(session, m.StatusHistory) == 1


def test_two_agents_replying_at_once_only_the_first_is_sent(fresh_engine: Engine) -> None:
    with Session(fresh_engine, expire_on_commit=False) as session:
        a, b = agent(session), agent(session)
        row = ticket(session)
        session.commit()
    first = Session(fresh_engine)
    first.begin()
    actions.reply(first, actor=a, ticket_id=str(row.id), body="From A", seen_others=1)

    def second(s2: Session) -> str:
        actions.reply(s2, actor=b, ticket_id=str(row.id), body="From B", seen_others=1)
        return "sent"

    outcome = race(fresh_engine, first, second)
    assert "new message" in outcome["result"]
    with Session(fresh_engine) as session:
        texts = session.execute(sa.select(m.SupportMessage.message).where(m.SupportMessage.ticket_id == row.id)
                                .order_by(m.SupportMessage.created_at)).scalars().all()
        assert texts == ["Help me please", "From A"]
        assert count(session, m.Notification) == 1


# --- presence and polling ----------------------------------------------------------------------------
def test_presence_and_poll(db: Session) -> None:
    me, other = agent(db), agent(db)
    row = ticket(db)
    mine = queries.open_thread(db, actor=me, ticket_id=str(row.id))
    theirs = queries.open_thread(db, actor=other, ticket_id=str(row.id))
    assert theirs.viewers == [me.email]
    quiet = queries.poll(db, actor=me, ticket_id=str(row.id), fingerprint=mine.fingerprint,
                         seen_others=mine.seen_others)
    assert not quiet.changed and quiet.viewers == [other.email]
    customer_writes(db, row)
    moved = queries.poll(db, actor=me, ticket_id=str(row.id), fingerprint=mine.fingerprint,
                         seen_others=mine.seen_others)
    assert moved.changed and moved.new_from_others == 1
    db.execute(sa.update(m.TicketPresence).values(seen_at=sa.func.now() - timedelta(minutes=5)))
    assert queries.poll(db, actor=me, ticket_id=str(row.id), fingerprint="", seen_others=0).viewers == []
    actions.leave(db, actor=other, ticket_id=str(row.id))
    assert count(db, m.TicketPresence, m.TicketPresence.user_id == other.user_id) == 0
    with pytest.raises(InvalidInput):
        queries.poll(db, actor=me, ticket_id=str(row.id), fingerprint=5, seen_others=0)


# --- canned replies ----------------------------------------------------------------------------------
def test_canned_replies_create_edit_delete_audited(db: Session) -> None:
    me = agent(db)
    row = actions.create_canned(db, actor=me, title="Deposit delay", body="Hi {first_name}, deposits take a day.")
    assert [c["title"] for c in queries.canned_replies(db, actor=me)] == ["Deposit delay"]
    with pytest.raises(Conflict):
        actions.create_canned(db, actor=me, title="deposit DELAY", body="dup")
    actions.update_canned(db, actor=me, reply_id=str(row.id), title="Deposit delays", body="New text")
    assert queries.canned_replies(db, actor=me)[0]["body"] == "New text"
    actions.delete_canned(db, actor=me, reply_id=str(row.id))
    assert queries.canned_replies(db, actor=me) == []
    audited = db.execute(sa.select(m.ActivityLog.action).where(m.ActivityLog.target_type == "canned_reply")
                         .order_by(m.ActivityLog.seq)).scalars().all()
    assert audited == ["support.canned_created", "support.canned_updated", "support.canned_deleted"]
    assert rules.render_canned("Hi {first_name}, <b>", first_name="Ada") == "Hi Ada, <b>"
    with pytest.raises(NotFound):
        actions.delete_canned(db, actor=me, reply_id=str(row.id))


@pytest.mark.parametrize(("title", "body"), [("", "x"), ("t", ""), ("t" * 121, "x"), ("t", "x" * 10_001),
                                             (None, None), (["t"], "x")])
def test_bad_canned_replies_write_nothing(db: Session, title: Any, body: Any) -> None:
    me = agent(db)
    before = writes(db)
    with pytest.raises(InvalidInput):
        actions.create_canned(db, actor=me, title=title, body=body)
    assert writes(db) == before


def test_attachment_file_is_authorised_and_audited(db: Session, private_dir) -> None:
    from dashboard.core import storage

    me = agent(db)
    row = ticket(db)
    storage.write("support/x/screenshot.jpg", b"\xff\xd8jpeg")
    msg = m.SupportMessage(ticket_id=row.id, sender_id=row.user_id, sender_role="CUSTOMER", message="see attached",
                           attachment_key="support/x/screenshot.jpg", attachment_name="screenshot.jpg",
                           attachment_mime="image/jpeg", attachment_size=6)
    db.add(msg)
    db.flush()
    found = queries.attachment_file(db, actor=me, message_id=str(msg.id))
    assert found.media_type == "image/jpeg" and found.path.read_bytes() == b"\xff\xd8jpeg"
    assert count(db, m.ActivityLog, m.ActivityLog.action == "support.attachment_viewed") == 1
    with pytest.raises(NotAllowed):
        queries.attachment_file(db, actor=agent(db, "COMPLIANCE"), message_id=str(msg.id))
    with pytest.raises(NotFound):
        queries.attachment_file(db, actor=me, message_id="../../etc/passwd")
