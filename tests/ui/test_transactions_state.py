"""The transaction-queue page state, driven in plain pytest against a real database (one per test):
loading, tabs, filters (bad input), pages, the detail panel, decisions, bulk, export, wrong roles."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

import dashboard.dashboard  # noqa: F401  (builds the app and its state tree once per process)
from dashboard import models as m
from dashboard.ui import screens as routes
from dashboard.ui import auth_state as app_state
from dashboard.transactions.rules import PAGE_SIZE
from dashboard.transactions.state import TransactionsState
from dashboard.ui.forms import ALL
from tests import factories
from tests.ui.signin import SignedIn, call, downloads, page_state, run_handler, sign_in_state, toasted


@pytest.fixture
def decisions() -> Iterator[list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    token = app_state.decisions.set(seen)
    yield seen
    app_state.decisions.reset(token)


def seed(engine: Engine, deposits: int = 3) -> dict[str, Any]:
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as s:
        alice = factories.user(s, kyc_status="APPROVED", account_type="STOCK")
        factories.portfolio(s, alice, cash_value=Decimal("500.00"), total_value=Decimal("500.00"))
        deps = [factories.transaction(s, alice, amount=Decimal(f"{10 + i}.00"), amount_usd=Decimal(f"{10 + i}.00"),
                                      created_at=now - timedelta(minutes=deposits - i)) for i in range(deposits)]
        wd = factories.transaction(s, alice, transaction_type="WITHDRAWAL", amount=Decimal("50.00"),
                                   amount_usd=Decimal("50.00"), method="ACH", created_at=now)
        w = m.Wallet(user_id=alice.id, balance_cedis=Decimal("100.00"), balance_crypto=Decimal("0"),
                     escrow_balance=Decimal("0"))
        card = m.GiftCard(name="Amazon 100", brand="Amazon", rate_buy=Decimal("10"), rate_sell=Decimal("11"))
        s.add_all([w, card])
        s.flush()
        gift = m.GiftCardOrder(user_id=alice.id, card_id=card.id, reference="GC-UI-1", amount=Decimal("100"),
                               rate=Decimal("10"), payout_cedis=Decimal("1000"), proof_image_key="giftcards/x.png")
        s.add(gift)
        s.commit()
        return {"alice": alice, "deps": deps, "wd": wd, "gift": gift}


def signed(engine: Engine, role: str = "TREASURER", query: dict[str, str] | None = None
           ) -> tuple[TransactionsState, SignedIn]:
    state = page_state(TransactionsState)
    officer = sign_in_state(state, engine, role, path=routes.TRANSACTIONS, query=query)
    return state, officer


def status_of(engine: Engine, model: Any, ident: uuid.UUID) -> str:
    with Session(engine) as s:
        return s.get(model, ident).status


def audit_count(engine: Engine, action: str) -> int:
    with Session(engine) as s:
        return s.execute(sa.select(sa.func.count()).select_from(m.ActivityLog)
                         .where(m.ActivityLog.action == action)).scalar_one()


def form(**given: str) -> dict[str, str]:
    return {"type": ALL, "method": ALL, "currency": "", "min_amount": "", "max_amount": "", "user": "",
            "age": ALL, "search": "", "sort": "age_asc", **given}


# --- reading --------------------------------------------------------------------------------------
def test_a_treasurer_loads_the_queue_with_counts_as_strings(app_engine: Engine) -> None:
    data = seed(app_engine)
    state, _ = signed(app_engine)
    run_handler(state.load())
    assert state.access_error == "" and state.error == "" and not state.loading
    assert [r["reference"] for r in state.rows] == [d.reference for d in data["deps"]] + [data["wd"].reference]
    assert state.counts == {"deposits": "4", "crypto": "0", "gift_cards": "1"}
    assert state.rows[0]["value"] == "$10.00" and state.rows[0]["amount"] == "10.00 USD"
    assert all(isinstance(v, str) for row in state.rows for v in row.values())


def test_a_compliance_officer_is_refused_and_sees_nothing(app_engine: Engine, decisions) -> None:
    seed(app_engine)
    state, _ = signed(app_engine, "COMPLIANCE")
    run_handler(state.load())
    assert state.access_error and state.rows == [] and decisions == [("ListState.load", "denied")]


def test_an_admin_may_look_but_not_decide_nor_export(app_engine: Engine, decisions) -> None:
    data = seed(app_engine)
    state, _ = signed(app_engine, "ADMIN")
    run_handler(state.load())
    assert len(state.rows) == 4
    run_handler(state.open_item(str(data["deps"][0].id)))
    assert state.open_id == str(data["deps"][0].id) and state.detail["reference"] == data["deps"][0].reference
    events = run_handler(state.approve_item())
    assert toasted(events, "You do not have permission to do this.", "error")
    run_handler(state.decline_item({"reason": "nope"}))
    run_handler(call(state, "export_csv"))
    assert [d for _, d in decisions[-3:]] == ["denied", "denied", "denied"]
    run_handler(state.select_page(True))
    run_handler(state.ask("bulk", "approve"))
    assert decisions[-1] == ("DialogState.ask", "denied") and not state.bulk_open
    assert status_of(app_engine, m.Transaction, data["deps"][0].id) == "PENDING"


def test_the_url_opens_a_tab_and_an_item(app_engine: Engine) -> None:
    data = seed(app_engine)
    state, _ = signed(app_engine, query={"tab": "gift_cards", "item": str(data["gift"].id)})
    run_handler(state.load())
    assert state.tab == "gift_cards" and [r["reference"] for r in state.rows] == ["GC-UI-1"]
    assert state.open_id == str(data["gift"].id) and state.detail["proof_url"] == f"/_private/proofs/gift-card/{data['gift'].id}"
    assert audit_count(app_engine, "transactions.item_viewed") == 1


def test_tabs_filters_and_bad_filter_input(app_engine: Engine) -> None:
    data = seed(app_engine)
    state, _ = signed(app_engine)
    run_handler(state.load())
    run_handler(state.apply_filters(form(type="WITHDRAWAL")))
    assert [r["reference"] for r in state.rows] == [data["wd"].reference] and state.active_filters == 1
    for bad, message in ((form(min_amount="-10"), "must not be negative"), (form(max_amount="ten"), "is not an amount"),
                         ("junk", "could not be read"), (form(type="TRADE"), "Type")):
        run_handler(state.apply_filters(bad))
        assert message in state.filter_error
        assert [r["reference"] for r in state.rows] == [data["wd"].reference]  # the list stays as it was
    run_handler(state.clear_filters())
    assert len(state.rows) == 4 and state.filter_error == ""
    run_handler(state.open_tab("crypto"))
    assert state.tab == "crypto" and state.rows == []
    events = run_handler(state.open_tab({"$ne": None}))
    assert toasted(events, "Unknown queue.", "error") and state.tab == "crypto"


def test_keyset_pages_forward_and_back(app_engine: Engine) -> None:
    seed(app_engine, deposits=PAGE_SIZE + 5)
    state, _ = signed(app_engine)
    run_handler(state.load())
    first = [r["reference"] for r in state.rows]
    assert len(first) == PAGE_SIZE and state.has_next and not state.has_prev
    run_handler(state.next_page())
    second = [r["reference"] for r in state.rows]
    assert len(second) == 6 and not state.has_next and state.has_prev and not set(first) & set(second)
    assert state.page_label == "Items 51–56"
    run_handler(state.prev_page())
    assert [r["reference"] for r in state.rows] == first and state.page_number == 1


# --- deciding --------------------------------------------------------------------------------------
def test_approve_and_decline_from_the_detail_panel(app_engine: Engine) -> None:
    data = seed(app_engine)
    state, _ = signed(app_engine)
    run_handler(state.load())
    events = run_handler(state.approve_item())
    assert toasted(events, "Open an item first.", "error")

    run_handler(state.open_item(str(data["deps"][0].id)))
    events = run_handler(state.approve_item())
    assert toasted(events, f"{data['deps'][0].reference}: completed.", "success")
    assert status_of(app_engine, m.Transaction, data["deps"][0].id) == "COMPLETED"
    assert state.detail["status"] == "Completed" and state.detail["decidable"] == ""
    assert state.counts["deposits"] == "3" and len(state.rows) == 3

    run_handler(state.open_item(str(data["wd"].id)))
    for bad in ({"reason": "  "}, {}, "x", {"reason": ["a"]}):
        run_handler(state.decline_item(bad))
        assert state.detail_error
    assert status_of(app_engine, m.Transaction, data["wd"].id) == "PENDING"
    run_handler(state.decline_item({"reason": "Destination not verified"}))
    assert status_of(app_engine, m.Transaction, data["wd"].id) == "DECLINED"
    assert state.detail["decline_reason"] == "Destination not verified"

    run_handler(state.save_note({"note": "Customer called"}))
    with Session(app_engine) as s:
        assert s.get(m.Transaction, data["wd"].id).admin_note == "Customer called"


def test_a_click_on_a_stale_view_is_refused_and_the_tab_shows_the_new_status(app_engine: Engine) -> None:
    """Issue 12: the tab passes the status it displayed (from its vars); a colleague declined the item
    meanwhile, so the approval is refused, nothing moves, and the panel shows the item as it is now."""
    data = seed(app_engine)
    state, _ = signed(app_engine)
    run_handler(state.load())
    dep = data["deps"][0]
    run_handler(state.open_item(str(dep.id)))
    assert state.detail["status_code"] == "PENDING"
    with Session(app_engine) as s:
        s.execute(sa.update(m.Transaction).where(m.Transaction.id == dep.id)
                  .values(status="DECLINED", decline_reason="by a colleague", processed_at=datetime.now(UTC),
                          processed_by=data["alice"].id))
        s.commit()
    events = run_handler(state.approve_item())
    assert toasted(events, "This item changed since you opened it: it is now declined. Reopen it to see what "
                           "changed.", "error")
    assert status_of(app_engine, m.Transaction, dep.id) == "DECLINED"
    assert state.detail["status_code"] == "DECLINED" and state.detail["decidable"] == ""


def test_open_item_with_junk_gives_a_message(app_engine: Engine) -> None:
    seed(app_engine)
    state, _ = signed(app_engine)
    for junk in ("../../etc/passwd", {"$ne": None}, -1, str(uuid.uuid4())):
        events = run_handler(state.open_item(junk))
        assert toast_error(events) and state.open_id == "" and state.detail == {}


def toast_error(events: list[Any]) -> bool:
    from tests.ui.signin import toast_texts

    return any('["error"]' in t for t in toast_texts(events))


def test_bulk_approve_confirms_count_and_total_and_reports_per_item(app_engine: Engine) -> None:
    data = seed(app_engine)
    state, _ = signed(app_engine)
    run_handler(state.load())
    events = run_handler(state.ask("bulk", "approve"))
    assert toasted(events, "Select at least one item first.", "error")
    for d in data["deps"][:2]:
        run_handler(state.toggle_select(str(d.id)))
    run_handler(state.toggle_select(str(data["wd"].id)))
    events = run_handler(state.toggle_select(str(uuid.uuid4())))
    assert toasted(events, "This item is not in the list any more.", "error") and state.selected_count == 3
    run_handler(state.ask("bulk", "approve"))
    assert state.bulk_open and (state.bulk_count, state.bulk_total) == (3, "$71.00")
    # someone else declines one of them meanwhile
    with Session(app_engine) as s:
        row = s.get(m.Transaction, data["deps"][1].id)
        row.status, row.decline_reason = "DECLINED", "dup"
        row.processed_by, row.processed_at = data["alice"].id, datetime.now(UTC)
        s.commit()
    run_handler(state.confirm_bulk({}))
    outcomes = {r["reference"]: r["outcome"] for r in state.bulk_results}
    assert outcomes == {data["deps"][0].reference: "done", data["deps"][1].reference: "skipped",
                        data["wd"].reference: "done"}
    assert state.bulk_summary == "2 of 3 items done, 1 not changed." and not state.bulk_open
    assert state.selected == [] and state.counts["deposits"] == "1"


def test_bulk_decline_needs_a_reason(app_engine: Engine) -> None:
    data = seed(app_engine)
    state, _ = signed(app_engine)
    run_handler(state.load())
    run_handler(state.select_page(True))
    assert state.selected_count == 4
    run_handler(state.ask("bulk", "decline"))
    run_handler(state.confirm_bulk({"reason": ""}))
    assert state.dialog_error == "A reason is required to decline." and state.bulk_open
    assert status_of(app_engine, m.Transaction, data["deps"][0].id) == "PENDING"
    run_handler(state.confirm_bulk({"reason": "Batch looks like fraud"}))
    assert all(r["outcome"] == "done" for r in state.bulk_results) and len(state.bulk_results) == 4
    events = run_handler(state.ask("bulk", "explode"))
    assert toasted(events, "Unknown action.", "error")


def test_export_downloads_a_formula_safe_csv_and_is_audited(app_engine: Engine) -> None:
    seed(app_engine)
    state, _ = signed(app_engine)
    run_handler(state.load())
    events = run_handler(call(state, "export_csv"))
    (name, content), = downloads(events, state)
    assert name.startswith("pending-deposits-") and name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 4 and rows[0]["value"] == "$10.00"
    assert state.export_progress == 100 and state.export_label == "Exported 4 rows" and not state.exporting
    assert audit_count(app_engine, "transactions.exported") == 1


def test_a_signed_out_caller_is_sent_to_sign_in(app_engine: Engine, decisions) -> None:
    state = page_state(TransactionsState)
    from tests.ui.signin import present_cookie, redirected_to

    present_cookie(state, None, path=routes.TRANSACTIONS)
    events = run_handler(state.approve_item())
    assert decisions == [("TransactionsState.approve_item", "unauthenticated")]
    assert redirected_to(events) and redirected_to(events)[0].startswith(routes.LOGIN)
