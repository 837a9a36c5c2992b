"""The support page state, driven in plain pytest against a real database (one per test)."""

from __future__ import annotations

import inspect
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

import dashboard.dashboard  # noqa: F401  (builds the app and its state tree once per process)
from dashboard import models as m
from dashboard.support import actions
from dashboard.support.state import SupportState
from dashboard.core.actor import Actor
from dashboard.ui.auth_state import decisions
from tests import factories
from tests.ui.signin import page_state, run_handler, sign_in_state, toasted

NOW = datetime.now(UTC)
SIGNED: dict[int, Any] = {}


def add_ticket(engine: Engine, *, text: str = "My deposit is missing", hours_old: float = 3, **kw: Any) -> dict:
    with Session(engine, expire_on_commit=False) as session:
        customer = factories.user(session, first_name="Grace", kyc_status="APPROVED")
        created = NOW - timedelta(hours=hours_old)
        row = m.SupportTicket(user_id=customer.id, subject=kw.pop("subject", "Deposit not credited"),
                              created_at=created, updated_at=created, last_customer_message_at=created, **kw)
        session.add(row)
        session.flush()
        session.add(m.SupportMessage(ticket_id=row.id, sender_id=customer.id, sender_role="CUSTOMER", message=text,
                                     created_at=created))
        session.commit()
        return {"id": str(row.id), "user_id": customer.id, "email": customer.email, "number": row.number}


def customer_writes(engine: Engine, ticket: dict, text: str = "Any news?") -> None:
    with Session(engine) as session:
        session.add(m.SupportMessage(ticket_id=uuid.UUID(ticket["id"]), sender_id=ticket["user_id"],
                                     sender_role="CUSTOMER", message=text))
        session.execute(sa.update(m.SupportTicket).where(m.SupportTicket.id == uuid.UUID(ticket["id"]))
                        .values(last_customer_message_at=sa.func.now(), updated_at=sa.func.now()))
        session.commit()


def support_state(engine: Engine, role: str = "SUPPORT", query: dict[str, str] | None = None) -> SupportState:
    state = page_state(SupportState)
    SIGNED[id(state)] = sign_in_state(state, engine, role, path="/support", query=query)
    return state


def row_of(engine: Engine, ticket: dict) -> m.SupportTicket:
    with Session(engine) as session:
        return session.get(m.SupportTicket, uuid.UUID(ticket["id"]))


def table_counts(engine: Engine) -> tuple:
    with Session(engine) as session:
        return tuple(session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                     for t in (m.SupportMessage, m.ActivityLog, m.Notification, m.CannedReply, m.StatusHistory))


def test_load_shows_the_inbox_with_counts_and_unread(app_engine: Engine) -> None:
    old, new = add_ticket(app_engine, hours_old=30), add_ticket(app_engine, hours_old=1)
    state = support_state(app_engine)
    run_handler(state.load())
    assert [r["id"] for r in state.rows] == [new["id"], old["id"]]
    assert all(r["unread"] == "yes" for r in state.rows)
    assert {c["key"]: c["count"] for c in state.counts} == {"OPEN": "2", "IN_PROGRESS": "0", "RESOLVED": "0",
                                                            "CLOSED": "0", "mine": "0", "unassigned": "2"}
    assert state.access_error == "" and state.open_id == ""


def test_filters_search_and_quick_filters(app_engine: Engine) -> None:
    a = add_ticket(app_engine, subject="Cannot reset my password")
    b = add_ticket(app_engine, status="RESOLVED")
    state = support_state(app_engine)
    run_handler(state.load())
    run_handler(state.apply_filters({"search": "reset", "status": "all"}))
    assert [r["id"] for r in state.rows] == [a["id"]] and state.active_filters == 1
    run_handler(state.apply_filters({"status": "NOPE"}))
    assert "Status" in state.filter_error and [r["id"] for r in state.rows] == [a["id"]]
    run_handler(state.apply_filters("junk"))
    assert state.filter_error
    run_handler(state.quick_filter("RESOLVED"))
    assert [r["id"] for r in state.rows] == [b["id"]] and state.filter_error == ""
    events = run_handler(state.quick_filter("EVERYTHING"))
    assert toasted(events, "That is not an inbox view.", "error")
    run_handler(state.clear_filters())
    assert [r["id"] for r in state.rows] == [a["id"]]


def test_ticket_query_opens_the_thread_and_marks_it_read(app_engine: Engine) -> None:
    t = add_ticket(app_engine, text="<script>alert(1)</script><b>bold</b>")
    state = support_state(app_engine, query={"ticket": t["id"]})
    run_handler(state.load())
    assert state.open_id == t["id"] and state.ticket["status"] == "OPEN"
    assert state.messages[0]["text"] == "<script>alert(1)</script><b>bold</b>"
    assert state.customer["kyc_label"] == "Approved" and state.can_reply
    assert row_of(app_engine, t).staff_read_at is not None
    assert state.rows[0]["unread"] == ""


def test_unknown_ticket_gives_a_clear_message(app_engine: Engine) -> None:
    state = support_state(app_engine)
    run_handler(state.load())
    events = run_handler(state.open_item(str(uuid.uuid4())))
    assert toasted(events, "This ticket does not exist.", "error") and state.open_id == ""
    events = run_handler(state.open_item({"$ne": 1}))
    assert toasted(events, "That id is not valid.", "error")


def test_reply_note_and_resolve(app_engine: Engine) -> None:
    t = add_ticket(app_engine)
    state = support_state(app_engine)
    run_handler(state.load())
    run_handler(state.open_item(t["id"]))
    events = run_handler(state.send_reply({"body": "We found your deposit."}))
    assert toasted(events, "Reply sent. The customer is notified.", "success")
    assert [x["text"] for x in state.messages][-1] == "We found your deposit." and state.reply_draft == ""
    run_handler(state.add_note({"note": "Ledger checked"}))
    assert [x["text"] for x in state.notes] == ["Ledger checked"]
    assert "Ledger checked" not in [x["text"] for x in state.messages]
    run_handler(state.change_ticket("status", "RESOLVED"))
    row = row_of(app_engine, t)
    assert row.status == "RESOLVED" and row.last_reply_at is not None and row.first_response_at is not None
    assert state.ticket["status"] == "RESOLVED"
    run_handler(state.change_ticket("status", "CLOSED"))
    assert row_of(app_engine, t).closed_at is not None


@pytest.mark.parametrize(("form", "message"), [({"body": "   "}, "write something first"),
                                               ({"body": "x" * 10_001}, "at most 10,000 characters"),
                                               ({"body": ["x"]}, "expected text"), ("junk", "could not be read")])
def test_bad_replies_show_a_message_and_write_nothing(app_engine: Engine, form: Any, message: str) -> None:
    t = add_ticket(app_engine)
    state = support_state(app_engine)
    run_handler(state.open_item(t["id"]))
    before = table_counts(app_engine)
    run_handler(state.send_reply(form))
    assert message in state.reply_error
    assert table_counts(app_engine) == before


def test_unknown_status_is_refused_with_nothing_written(app_engine: Engine) -> None:
    t = add_ticket(app_engine)
    state = support_state(app_engine)
    run_handler(state.open_item(t["id"]))
    before = table_counts(app_engine)
    events = run_handler(state.change_ticket("status", "ESCALATED"))
    assert toasted(events, "Status: 'ESCALATED' is not a ticket status.", "error")
    assert table_counts(app_engine) == before and row_of(app_engine, t).status == "OPEN"


def test_reply_refused_when_another_agent_answered_meanwhile_keeps_the_draft(app_engine: Engine) -> None:
    t = add_ticket(app_engine)
    state = support_state(app_engine)
    run_handler(state.open_item(t["id"]))
    with Session(app_engine) as session:
        other = factories.user(session, role="SUPPORT", platform="STAFF")
        actions.reply(session, actor=Actor(user_id=other.id, email=other.email, role="SUPPORT"),
                              ticket_id=t["id"], body="I already answered", seen_others=1)
        session.commit()
    before = table_counts(app_engine)
    run_handler(state.send_reply({"body": "My late answer"}))
    assert "1 new message arrived" in state.reply_error
    assert state.reply_draft == "My late answer"
    assert [x["text"] for x in state.messages][-1] == "I already answered"
    assert table_counts(app_engine) == before
    run_handler(state.send_reply({"body": "My late answer"}))
    assert state.reply_error == "" and state.messages[-1]["text"] == "My late answer"


def test_a_change_by_another_agent_meanwhile_is_refused(app_engine: Engine) -> None:
    t = add_ticket(app_engine)
    state = support_state(app_engine)
    run_handler(state.open_item(t["id"]))
    with Session(app_engine) as session:
        session.execute(sa.update(m.SupportTicket).where(m.SupportTicket.id == uuid.UUID(t["id"]))
                        .values(priority="URGENT"))
        session.commit()
    events = run_handler(state.change_ticket("priority", "LOW"))
    assert toasted(events, "Someone else changed the priority", "error")
    assert row_of(app_engine, t).priority == "URGENT" and state.ticket["priority"] == "URGENT"


def test_poll_shows_new_customer_messages_and_viewers(app_engine: Engine) -> None:
    t = add_ticket(app_engine)
    state = support_state(app_engine)
    run_handler(state.open_item(t["id"]))
    run_handler(state.poll_thread("12:00:04"))
    assert len(state.messages) == 1
    other = support_state(app_engine)
    run_handler(other.open_item(t["id"]))
    customer_writes(app_engine, t, "Hello again")
    events = run_handler(state.poll_thread())
    assert [x["text"] for x in state.messages][-1] == "Hello again"
    assert toasted(events, "1 new message since you opened this ticket.")
    assert state.viewers == [SIGNED[id(other)].email]
    assert "is viewing this ticket" in state.viewers_label
    run_handler(other.close_item())
    run_handler(state.poll_thread())
    assert state.viewers == []


def test_canned_replies_managed_and_used(app_engine: Engine) -> None:
    t = add_ticket(app_engine)
    state = support_state(app_engine)
    run_handler(state.load())
    run_handler(state.ask("canned"))
    assert state.canned_open and not state.delete_open
    run_handler(state.save_canned({"id": "", "title": "Deposit", "body": "Hi {first_name}, it is credited."}))
    assert [c["title"] for c in state.canned] == ["Deposit"] and state.canned_error == ""
    run_handler(state.save_canned({"id": "", "title": "", "body": "x"}))
    assert "Title" in state.canned_error
    cid = state.canned[0]["id"]
    run_handler(state.ask("canned", cid))
    assert state.canned_form["title"] == "Deposit"
    run_handler(state.save_canned({"id": cid, "title": "Deposit credited", "body": "Hi {first_name}, done."}))
    assert state.canned[0]["title"] == "Deposit credited"
    run_handler(state.open_item(t["id"]))
    key = state.reply_key
    run_handler(state.use_canned(cid))
    assert state.reply_draft == "Hi Grace, done." and state.reply_key == key + 1
    run_handler(state.ask("delete_canned", cid))
    run_handler(state.dialog_changed(False))
    assert state.canned_open and not state.delete_open and state.delete_id == "", "cancel: back to the list"
    run_handler(state.ask("delete_canned", cid))
    assert state.delete_open and state.delete_title == "Deposit credited"
    run_handler(state.confirm_delete_canned())
    assert state.canned == [] and not state.delete_open and state.canned_open, "back to the canned replies"
    events = run_handler(state.use_canned(cid))
    assert toasted(events, "That canned reply no longer exists.", "error")


# --- wrong roles ------------------------------------------------------------------------------------
def _handlers() -> dict[str, Any]:
    return {name: h.fn for name, h in SupportState.event_handlers.items()
            if name not in {"setvar", "set_is_hydrated", "hydrate", "hydrate_and_load"}}


def _call(state: SupportState, name: str) -> list[tuple[str, str]]:
    import asyncio

    fn = _handlers()[name]
    params = [p for p in list(inspect.signature(fn).parameters.values())[1:] if p.default is p.empty]
    seen: list[tuple[str, str]] = []

    async def drive() -> None:
        reset = decisions.set(seen)
        try:
            result = fn(state, *(["x"] * len(params)))
            if inspect.isasyncgen(result):
                async for _ in result:
                    pass
            else:
                await result
        finally:
            decisions.reset(reset)

    asyncio.run(drive())
    return seen


READ_ONLY = {"load", "apply_filters", "set_filter", "quick_filter", "clear_filters", "next_page", "prev_page",
             "first_page", "refresh", "open_item", "close_item", "poll_thread"}


def test_every_handler_is_refused_to_roles_without_support(app_engine: Engine) -> None:
    t = add_ticket(app_engine)
    names = sorted(_handlers())
    assert {"send_reply", "add_note", "change_ticket", "save_canned",
            "confirm_delete_canned"} <= set(names)
    before = table_counts(app_engine)
    for role in ("COMPLIANCE", "TREASURER", "MANAGER"):
        state = support_state(app_engine, role, query={"ticket": t["id"]})
        state.open_id = t["id"]
        for name in names:
            assert _call(state, name)[0][1] == "denied", (role, name)
    assert table_counts(app_engine) == before


def test_an_admin_reads_but_every_writing_handler_is_refused(app_engine: Engine) -> None:
    t = add_ticket(app_engine)
    state = support_state(app_engine, "ADMIN", query={"ticket": t["id"]})
    run_handler(state.load())
    assert state.open_id == t["id"] and not state.can_reply
    before = table_counts(app_engine)
    for name in sorted(_handlers()):
        expected = "allowed" if name in READ_ONLY else "denied"
        assert _call(state, name)[0][1] == expected, name
    assert table_counts(app_engine) == before
    assert row_of(app_engine, t).staff_read_at is None


def test_signed_out_calls_are_refused(app_engine: Engine) -> None:
    state = page_state(SupportState)
    for name in sorted(_handlers()):
        assert _call(state, name)[0][1] == "unauthenticated", name
