"""The group-approvals page state, driven in plain pytest against a real database (one per test)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

import dashboard.dashboard  # noqa: F401  (builds the app and its state tree once per process)
from dashboard import models as m
from dashboard.groups import rules
from dashboard.groups.payouts import SANDBOX
from dashboard.groups.state import GroupsState
from tests import factories
from tests.ui.signin import (
    open_session,
    page_state,
    present_cookie,
    run_handler,
    sign_in_state,
    staff_user,
    toasted,
)


def add_group(engine: Engine, *, required: int = 2, balance: int = 5_000_000, amount: int = 1_234_567) -> dict[str, Any]:
    """A 2-of-3 group with a balance and a pending request by the first officer (all able to sign in)."""
    with Session(engine, expire_on_commit=False) as s:
        people = [staff_user(s, "CUSTOMER", platform="TREASURY", account_type="STOCK") for _ in range(3)]
        grp = factories.group(s, people[0], approvals_required=required, approvals_cap=3)
        for i, p in enumerate(people):
            factories.membership(s, grp, p, role="OWNER" if i == 0 else "TREASURER")
        acc = factories.account(s, grp)
        s.add(m.LedgerEntry(group_id=grp.id, account_id=acc.id, type="CREDIT", amount_kobo=balance, source="demo",
                            reference=f"CR-{uuid.uuid4().hex}"))
        s.flush()
        wr = factories.withdrawal(s, grp, people[0], amount_kobo=amount, reason="Venue deposit")
        s.commit()
        return {"group": grp, "people": people, "request": str(wr.id)}


def as_user(engine: Engine, user: m.User, query: dict[str, str] | None = None) -> GroupsState:
    state = page_state(GroupsState)
    with Session(engine) as s:
        token, _ = open_session(s, s.get(m.User, user.id))
        s.commit()
    present_cookie(state, token, path="/groups", query=query)
    return state


def status(engine: Engine, request_id: str) -> str:
    with Session(engine) as s:
        return s.execute(sa.text("SELECT status FROM withdrawal_request WHERE id = :id"), {"id": request_id}).scalar()


def counts(engine: Engine) -> tuple:
    with Session(engine) as s:
        return tuple(s.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                     for t in ("approval", "payout", "ledger_entry", "activity_logs", "outbox_events"))


def test_officer_sees_own_requests_with_naira_and_progress(app_engine: Engine) -> None:
    mine, other = add_group(app_engine), add_group(app_engine)
    state = as_user(app_engine, mine["people"][1])
    run_handler(state.load())
    assert state.access_error == "" and state.scope == "own"
    assert [r["id"] for r in state.rows] == [mine["request"]]
    row = state.rows[0]
    assert row["amount"] == "₦12,345.67" and row["approvals"] == "0 of 2" and row["time_left"].endswith("left")
    assert row["requester"] and "Venue deposit" == row["reason"]
    assert {g[0] for g in state.groups} == {str(mine["group"].id)}
    assert other["request"] not in {r["id"] for r in state.rows}


def test_request_query_opens_the_request_and_the_requester_cannot_approve(app_engine: Engine) -> None:
    g = add_group(app_engine)
    state = as_user(app_engine, g["people"][0], query={"request": g["request"]})
    run_handler(state.load())
    assert state.open_id == g["request"] and state.balance == "₦50,000.00"
    assert state.actions["can_approve"] == "" and state.actions["why_approve"] == rules.WHY_REQUESTER
    assert state.actions["why_pay"].startswith("Quorum not met")
    assert {m_["role"] for m_ in state.members} == {"Owner", "Treasurer"}
    before = counts(app_engine)
    events = run_handler(state.approve_request())
    assert toasted(events, rules.WHY_REQUESTER, "error") and counts(app_engine) == before


def test_two_officers_approve_then_pay_and_the_ledger_shows_the_debit(app_engine: Engine) -> None:
    SANDBOX.reset()
    g = add_group(app_engine)
    for who in (1, 2):
        state = as_user(app_engine, g["people"][who])
        run_handler(state.load())
        run_handler(state.open_item(g["request"]))
        events = run_handler(state.approve_request())
        assert toasted(events, "Approv", "success")
        assert state.actions["why_approve"] == (rules.WHY_APPROVED_ALREADY if who == 1
                                                else "This request is already approved.")
    assert status(app_engine, g["request"]) == "APPROVED"
    assert state.actions["can_pay"] == "yes"
    run_handler(state.ask("pay"))
    assert state.pay_open
    events = run_handler(state.confirm_pay())
    assert toasted(events, "Paid ₦12,345.67.", "success") and not state.pay_open
    assert status(app_engine, g["request"]) == "PAID"
    assert state.ledger[0]["type"] == "DEBIT" and state.ledger[0]["amount"] == "₦12,345.67"
    assert state.balance == "₦37,654.33" and state.payouts[0]["status"] == "SUCCESS"
    run_handler(state.confirm_pay())  # a second click: refused, nothing more debited
    assert "already been paid" in state.dialog_error
    with Session(app_engine) as s:
        assert s.execute(sa.text("SELECT count(*) FROM ledger_entry WHERE type = 'DEBIT'")).scalar() == 1


def test_after_a_failed_payout_pay_is_refused_and_retry_payout_sends_it_again(app_engine: Engine) -> None:
    SANDBOX.reset()
    g = add_group(app_engine)
    for who in (1, 2):
        state = as_user(app_engine, g["people"][who])
        run_handler(state.load())
        run_handler(state.open_item(g["request"]))
        run_handler(state.approve_request())
    SANDBOX.fail_next = 1
    run_handler(state.ask("pay"))
    assert toasted(run_handler(state.confirm_pay()), "The payout failed", "error")
    assert (state.actions["can_pay"], state.actions["can_retry"]) == ("", "yes")
    assert state.actions["why_pay"] == rules.WHY_LAST_FAILED
    run_handler(state.confirm_pay())  # a stale second "Pay": refused, the provider is not called
    assert "Retry payout" in state.dialog_error and SANDBOX.calls == 1
    run_handler(state.ask("retry"))
    assert state.retry_open
    assert toasted(run_handler(state.confirm_retry()), "Paid", "success") and not state.retry_open
    assert SANDBOX.calls == 2 and status(app_engine, g["request"]) == "PAID"


def test_decline_needs_a_reason(app_engine: Engine) -> None:
    g = add_group(app_engine)
    state = as_user(app_engine, g["people"][2], query={"request": g["request"]})
    run_handler(state.load())
    run_handler(state.ask("decline"))
    run_handler(state.submit_decline({"reason": " "}))
    assert "reason" in state.dialog_error and status(app_engine, g["request"]) == "PENDING"
    run_handler(state.submit_decline("junk"))
    assert state.dialog_error
    events = run_handler(state.submit_decline({"reason": "Not agreed at the meeting"}))
    assert toasted(events, "Request declined.", "success") and not state.decline_open
    assert status(app_engine, g["request"]) == "DECLINED" and state.summary["decline_reason"] == "Not agreed at the meeting"


def test_officer_of_another_group_gets_not_found_for_every_handler(app_engine: Engine) -> None:
    mine, other = add_group(app_engine), add_group(app_engine)
    state = as_user(app_engine, mine["people"][1], query={"request": other["request"]})
    run_handler(state.load())
    assert state.open_id == "" and state.item_error == rules.NOT_FOUND and state.summary == {}
    events = run_handler(state.open_item(other["request"]))
    assert toasted(events, rules.NOT_FOUND, "error") and state.open_id == ""
    before = counts(app_engine)
    for call in (state.approve_request, state.confirm_pay, lambda: state.ask("decline"), lambda: state.ask("pay")):
        run_handler(call())
    run_handler(state.submit_decline({"reason": "Trying another group"}))
    assert counts(app_engine) == before and status(app_engine, other["request"]) == "PENDING"
    run_handler(state.apply_filters({"status": "__all__", "group": str(other["group"].id)}))
    assert state.rows == []


def test_officer_removed_after_opening_cannot_act(app_engine: Engine) -> None:
    g = add_group(app_engine)
    state = as_user(app_engine, g["people"][1], query={"request": g["request"]})
    run_handler(state.load())
    with Session(app_engine) as s:
        s.execute(sa.text("UPDATE group_membership SET removed_at = now() WHERE user_id = :u"), {"u": g["people"][1].id})
        s.commit()
    before = counts(app_engine)
    run_handler(state.approve_request())
    assert counts(app_engine) == before


def test_admin_sees_every_group_read_only(app_engine: Engine) -> None:
    a, b = add_group(app_engine), add_group(app_engine)
    state = page_state(GroupsState)
    sign_in_state(state, app_engine, "ADMIN", path="/groups", query={"request": a["request"]})
    run_handler(state.load())
    assert state.scope == "all" and {a["request"], b["request"]} <= {r["id"] for r in state.rows}
    assert state.actions["why_approve"] == rules.WHY_READ_ONLY
    before = counts(app_engine)
    events = run_handler(state.approve_request())
    assert toasted(events, "You do not have permission to do this.", "error") and counts(app_engine) == before


def test_staff_treasurer_without_membership_sees_no_group(app_engine: Engine) -> None:
    add_group(app_engine)
    state = page_state(GroupsState)
    sign_in_state(state, app_engine, "TREASURER", path="/groups")
    run_handler(state.load())
    assert state.scope == "none" and state.rows == [] and state.access_error == ""


def test_roles_without_the_permission_are_refused(app_engine: Engine) -> None:
    for role in ("COMPLIANCE", "SUPPORT", "MANAGER"):
        state = page_state(GroupsState)
        sign_in_state(state, app_engine, role, path="/groups")
        run_handler(state.load())
        assert state.access_error and state.rows == []


def test_bad_inputs_are_refused_clearly(app_engine: Engine) -> None:
    g = add_group(app_engine)
    state = as_user(app_engine, g["people"][1])
    run_handler(state.load())
    for junk in ({"$ne": None}, ["x"], -1, "'; DROP TABLE users; --", "../../etc/passwd"):
        events = run_handler(state.open_item(junk))
        assert toasted(events, "not valid", "error") or toasted(events, rules.NOT_FOUND, "error")
        run_handler(state.set_tab(junk))
        assert state.tab == "open"
        run_handler(state.apply_filters(junk))
        assert state.filter_error or isinstance(junk, dict)  # a dict without the keys means "no filter"
        run_handler(state.apply_filters({"status": junk, "group": junk}))
        assert state.filter_error
    run_handler(state.apply_filters({"status": "paid"}))  # paid is a history status
    assert "history" in state.filter_error
    run_handler(state.set_tab("history"))
    run_handler(state.apply_filters({"status": "expired", "group": "__all__"}))
    assert state.filter_error == "" and state.rows == []


def test_the_tab_and_the_filters_are_read_from_and_kept_in_the_url(app_engine: Engine) -> None:
    g = add_group(app_engine)
    state = as_user(app_engine, g["people"][1], query={"tab": "history", "status": "declined"})
    run_handler(state.load())
    assert state.tab == "history" and state.filters["status"] == "declined" and state.filter_error == ""
    assert state.rows == [] and state.active_filters == 1
    assert state._url() == "/groups?tab=history&status=declined"
    run_handler(state.set_tab("open"))
    assert state.tab == "open" and state.filters["status"] == "" and [r["id"] for r in state.rows] == [g["request"]]
    assert state._url() == "/groups"
    run_handler(state.open_item(g["request"]))
    assert state._url() == f"/groups?request={g['request']}"
