"""Pending-transaction queues (issue 5): every rule of the decision service, the queue reads, bulk
decisions with their per-item report, concurrency on PostgreSQL, and the CSV export."""

from __future__ import annotations

import csv
import io
import threading
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import models as m
from dashboard.transactions import actions, bulk, export, queries, rules
from dashboard.core.actor import Actor
from dashboard.transactions.rules import RuleBroken
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests import factories

Q = rules.Queue


# --- rows ---------------------------------------------------------------------------------------
def officer(session: Session, role: str = "TREASURER") -> Actor:
    user = factories.user(session, role=role, platform="STAFF")
    return Actor(user_id=user.id, email=user.email, role=role, ip_address="192.0.2.9")


def customer(session: Session, *, kyc: str = "APPROVED", account_type: str = "STOCK", cash: str = "1000.00",
             **kw: Any) -> m.User:
    user = factories.user(session, kyc_status=kyc, account_type=account_type, **kw)
    factories.portfolio(session, user, cash_value=Decimal(cash), total_value=Decimal(cash))
    return user


def settings(session: Session, threshold: str = "10000", escrow: str = "2.0") -> None:
    row = session.get(m.Settings, 1) or m.Settings(id=1)
    row.second_approval_threshold_usd = Decimal(threshold)
    row.escrow_percent = Decimal(escrow)
    session.add(row)
    session.flush()


def tx(session: Session, user: m.User, kind: str = "DEPOSIT", amount: str = "100.00", currency: str = "USD",
       usd: str | None = None, method: str | None = None, **kw: Any) -> m.Transaction:
    crypto = currency in rules.CRYPTO_CURRENCIES
    return factories.transaction(
        session, user, transaction_type=kind, amount=Decimal(amount), currency=currency,
        amount_usd=Decimal(usd or amount), method=method or ("CRYPTO_TRANSFER" if crypto else "WIRE_TRANSFER"), **kw)


def holding(session: Session, user: m.User, symbol: str, qty: str, price: str = "50000.00") -> m.Holding:
    pf = session.execute(sa.select(m.Portfolio).where(m.Portfolio.user_id == user.id)).scalar_one()
    value = (Decimal(qty) * Decimal(price)).quantize(Decimal("0.01"))
    h = m.Holding(portfolio_id=pf.id, asset_type="CRYPTO", symbol=symbol, name=symbol, quantity=Decimal(qty),
                  average_buy_price=Decimal(price), current_price=Decimal(price), total_value=value,
                  profit_loss=Decimal("0"), profit_loss_percent=Decimal("0"))
    pf.crypto_value = Decimal(pf.crypto_value) + value
    pf.total_value = Decimal(pf.total_value) + value
    session.add_all([h, pf])
    session.flush()
    return h


def wallet(session: Session, user: m.User, cedis: str = "5000.00", crypto: str = "0", escrow: str = "0",
           symbol: str = "BTC") -> m.Wallet:
    w = m.Wallet(user_id=user.id, crypto_symbol=symbol, balance_cedis=Decimal(cedis),
                 balance_crypto=Decimal(crypto), escrow_balance=Decimal(escrow))
    session.add(w)
    session.flush()
    return w


def crypto_order(session: Session, user: m.User, kind: str = "BUY", crypto: str = "0.01000000",
                 rate: str = "100000.00", escrow: str = "20.00", **kw: Any) -> m.CryptoTransaction:
    cedis = (Decimal(crypto) * Decimal(rate)).quantize(Decimal("0.01"))
    row = m.CryptoTransaction(user_id=user.id, reference=f"CTX-{uuid.uuid4().hex[:10]}", type=kind,
                              crypto_symbol="BTC", cedis_amount=cedis, crypto_amount=Decimal(crypto),
                              rate=Decimal(rate), escrow_amount=Decimal(escrow),
                              payment_method="MOMO" if kind == "BUY" else "CRYPTO", **kw)
    session.add(row)
    session.flush()
    return row


def gift_order(session: Session, user: m.User, payout: str = "1050.00") -> m.GiftCardOrder:
    card = m.GiftCard(name="Amazon 100", brand="Amazon", rate_buy=Decimal("10.50"), rate_sell=Decimal("11.00"))
    session.add(card)
    session.flush()
    row = m.GiftCardOrder(user_id=user.id, card_id=card.id, reference=f"GC-{uuid.uuid4().hex[:10]}",
                          amount=Decimal("100.00"), rate=Decimal("10.50"), payout_cedis=Decimal(payout),
                          proof_image_key="giftcards/test/proof.png")
    session.add(row)
    session.flush()
    return row


def cash(session: Session, user: m.User) -> Decimal:
    session.expire_all()
    return session.execute(sa.select(m.Portfolio.cash_value).where(m.Portfolio.user_id == user.id)).scalar_one()


def counts(session: Session) -> dict[str, int]:
    out = {}
    for model in (m.StatusHistory, m.Notification, m.OutboxEvent, m.ActivityLog):
        out[model.__tablename__] = session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
    return out


def reload(session: Session, row: Any) -> Any:
    session.expire_all()
    return session.get(type(row), row.id)


# --- deposits and withdrawals -------------------------------------------------------------------
def test_approving_a_deposit_credits_cash_once_and_writes_every_record(db: Session) -> None:
    boss = officer(db)
    alice = customer(db, cash="1000.00")
    dep = tx(db, alice, amount="250.00")
    before = counts(db)
    out = actions.decide(db, actor=boss, queue="deposits", item_id=str(dep.id), action="approve", note="Checked bank")
    assert out.status == "COMPLETED"
    row = reload(db, dep)
    assert row.status == "COMPLETED" and row.processed_by == boss.user_id and row.processed_at is not None
    assert row.admin_note == "Checked bank"
    assert cash(db, alice) == Decimal("1250.00")
    after = counts(db)
    assert {k: after[k] - before[k] for k in after} == {
        "status_history": 1, "notifications": 1, "outbox_events": 1, "activity_logs": 1}
    event = db.execute(sa.select(m.OutboxEvent).where(m.OutboxEvent.aggregate_id == str(dep.id))).scalar_one()
    assert event.event_type == "transactions.completed" and event.payload["amount_usd"] == "250.00"
    entry = db.execute(sa.select(m.ActivityLog).where(m.ActivityLog.target_id == str(dep.id))).scalar_one()
    assert entry.action == "transactions.completed" and entry.actor_id == boss.user_id

    with pytest.raises(Conflict, match="already completed"):
        actions.decide(db, actor=boss, queue="deposits", item_id=str(dep.id), action="approve")
    assert cash(db, alice) == Decimal("1250.00")


def test_decline_needs_a_reason_and_bad_input_writes_nothing(db: Session) -> None:
    boss = officer(db)
    alice = customer(db)
    dep = tx(db, alice)
    before = counts(db)
    for reason in (None, "", "   ", "x", 42, "y" * 501):
        with pytest.raises(InvalidInput):
            actions.decide(db, actor=boss, queue="deposits", item_id=str(dep.id), action="decline", reason=reason)
    for bad in ({"item_id": "not-a-uuid"}, {"item_id": {"$ne": None}}, {"queue": "nope"}, {"action": "delete"}):
        args = {"queue": "deposits", "item_id": str(dep.id), "action": "approve"} | bad
        with pytest.raises(InvalidInput):
            actions.decide(db, actor=boss, **args)
    with pytest.raises(NotFound):
        actions.decide(db, actor=boss, queue="deposits", item_id=str(uuid.uuid4()), action="approve")
    assert counts(db) == before and reload(db, dep).status == "PENDING"

    out = actions.decide(db, actor=boss, queue="deposits", item_id=str(dep.id), action="decline",
                     reason="  Name does not match  ")
    row = reload(db, dep)
    assert out.status == "DECLINED" and row.decline_reason == "Name does not match"
    assert cash(db, alice) == Decimal("1000.00")
    note = db.execute(sa.select(m.Notification).where(m.Notification.user_id == alice.id)).scalar_one()
    assert "Name does not match" in note.message


def test_only_treasurers_decide_and_a_stale_actor_is_refused(db: Session) -> None:
    alice = customer(db)
    dep = tx(db, alice)
    admin = officer(db, "ADMIN")
    with pytest.raises(NotAllowed):
        actions.decide(db, actor=admin, queue="deposits", item_id=str(dep.id), action="approve")
    ghost = Actor(user_id=uuid.uuid4(), email="ghost@x.test", role="TREASURER")
    with pytest.raises(NotAllowed):
        actions.decide(db, actor=ghost, queue="deposits", item_id=str(dep.id), action="approve")
    assert queries.list_queue(db, actor=admin, queue="deposits").rows  # ADMIN may look
    assert reload(db, dep).status == "PENDING"


def test_a_withdrawal_needs_approved_kyc_and_a_covering_balance(db: Session) -> None:
    boss = officer(db)
    pending_kyc = customer(db, kyc="PENDING", cash="1000.00")
    w1 = tx(db, pending_kyc, kind="WITHDRAWAL", amount="100.00")
    with pytest.raises(RuleBroken, match="KYC"):
        actions.decide(db, actor=boss, queue="deposits", item_id=str(w1.id), action="approve")
    poor = customer(db, cash="50.00")
    w2 = tx(db, poor, kind="WITHDRAWAL", amount="80.00")
    before = counts(db)
    with pytest.raises(RuleBroken, match="does not cover"):
        actions.decide(db, actor=boss, queue="deposits", item_id=str(w2.id), action="approve")
    assert counts(db) == before and cash(db, poor) == Decimal("50.00")
    rich = customer(db, cash="500.00")
    w3 = tx(db, rich, kind="WITHDRAWAL", amount="80.00")
    actions.decide(db, actor=boss, queue="deposits", item_id=str(w3.id), action="approve")
    assert cash(db, rich) == Decimal("420.00")


def test_fiat_in_another_currency_moves_its_usd_value(db: Session) -> None:
    boss = officer(db)
    alice = customer(db, cash="100.00")
    dep = tx(db, alice, amount="200.00", currency="EUR", usd="216.40")
    actions.decide(db, actor=boss, queue="deposits", item_id=str(dep.id), action="approve")
    assert cash(db, alice) == Decimal("316.40")


def test_crypto_deposits_and_withdrawals_move_the_holding_quantity(db: Session) -> None:
    boss = officer(db)
    bob = customer(db, account_type="CRYPTO", cash="0")
    dep = tx(db, bob, amount="0.50000000", currency="BTC", usd="25000.00")
    actions.decide(db, actor=boss, queue="deposits", item_id=str(dep.id), action="approve")
    db.expire_all()
    h = db.execute(sa.select(m.Holding).join(m.Portfolio).where(m.Portfolio.user_id == bob.id)).scalar_one()
    assert h.symbol == "BTC" and h.quantity == Decimal("0.5")
    pf = db.execute(sa.select(m.Portfolio).where(m.Portfolio.user_id == bob.id)).scalar_one()
    assert pf.crypto_value == Decimal("25000.00") and pf.total_value == Decimal("25000.00")
    wd = tx(db, bob, kind="WITHDRAWAL", amount="0.20000000", currency="BTC", usd="10000.00")
    actions.decide(db, actor=boss, queue="deposits", item_id=str(wd.id), action="approve")
    db.expire_all()
    assert db.get(m.Holding, h.id).quantity == Decimal("0.3")
    too_much = tx(db, bob, kind="WITHDRAWAL", amount="0.40000000", currency="BTC", usd="9000.00")
    with pytest.raises(RuleBroken, match="does not cover"):
        actions.decide(db, actor=boss, queue="deposits", item_id=str(too_much.id), action="approve")
    all_of_it = tx(db, bob, kind="WITHDRAWAL", amount="0.30000000", currency="BTC", usd="9000.00")
    actions.decide(db, actor=boss, queue="deposits", item_id=str(all_of_it.id), action="approve")
    db.expire_all()
    assert db.get(m.Holding, h.id) is None  # quantity 0: the holding is gone


@pytest.mark.parametrize(("account_type", "currency", "method"), [
    ("CRYPTO", "USD", "WIRE_TRANSFER"), ("CRYPTO", "BTC", "WIRE_TRANSFER"),
    ("STOCK", "BTC", "CRYPTO_TRANSFER"), ("STOCK", "USD", "CRYPTO_TRANSFER"), (None, "USD", "CRYPTO_TRANSFER"),
])
def test_the_account_type_rule(db: Session, account_type, currency, method) -> None:
    boss = officer(db)
    user = customer(db, account_type=account_type)
    dep = tx(db, user, currency=currency, method=method)
    with pytest.raises(RuleBroken):
        actions.decide(db, actor=boss, queue="deposits", item_id=str(dep.id), action="approve")
    assert reload(db, dep).status == "PENDING"


def test_maker_checker_for_a_large_withdrawal(db: Session) -> None:
    settings(db, threshold="10000")
    maker, checker = officer(db), officer(db)
    rich = customer(db, cash="50000.00")
    big = tx(db, rich, kind="WITHDRAWAL", amount="12000.00")
    out = actions.decide(db, actor=maker, queue="deposits", item_id=str(big.id), action="approve")
    row = reload(db, big)
    assert out.status == "AWAITING_SECOND_APPROVAL" and row.first_approved_by == maker.user_id
    assert row.processed_by is None and cash(db, rich) == Decimal("50000.00")
    with pytest.raises(NotAllowed, match="different treasurer"):
        actions.decide(db, actor=maker, queue="deposits", item_id=str(big.id), action="approve")
    out = actions.decide(db, actor=checker, queue="deposits", item_id=str(big.id), action="approve")
    assert out.status == "COMPLETED" and cash(db, rich) == Decimal("38000.00")
    row = reload(db, big)
    assert row.processed_by == checker.user_id and row.first_approved_by == maker.user_id
    hist = db.execute(sa.select(m.StatusHistory.to_status).where(m.StatusHistory.entity_id == big.id)
                      .order_by(m.StatusHistory.created_at)).scalars().all()
    assert hist == ["AWAITING_SECOND_APPROVAL", "COMPLETED"]
    small = tx(db, rich, kind="WITHDRAWAL", amount="10000.00")  # at the threshold: one approval
    assert actions.decide(db, actor=maker, queue="deposits", item_id=str(small.id), action="approve").status == "COMPLETED"


def test_other_transaction_types_are_not_decided_here(db: Session) -> None:
    boss = officer(db)
    alice = customer(db)
    trade = tx(db, alice, kind="TRADE", method="INTERNAL")
    with pytest.raises(Conflict):
        actions.decide(db, actor=boss, queue="deposits", item_id=str(trade.id), action="approve")


def test_admin_note_is_saved_and_audited(db: Session) -> None:
    boss = officer(db)
    dep = tx(db, customer(db))
    actions.save_note(db, actor=boss, queue="deposits", item_id=str(dep.id), note="Called the customer")
    assert reload(db, dep).admin_note == "Called the customer"
    entry = db.execute(sa.select(m.ActivityLog).where(m.ActivityLog.action == "transactions.note_saved")).scalar_one()
    assert entry.after == {"admin_note": "Called the customer"}
    with pytest.raises(InvalidInput):
        actions.save_note(db, actor=boss, queue="deposits", item_id=str(dep.id), note="x" * 1001)
    with pytest.raises(NotAllowed):
        actions.save_note(db, actor=officer(db, "ADMIN"), queue="deposits", item_id=str(dep.id), note="hi")


# --- crypto and gift cards ----------------------------------------------------------------------
def test_crypto_buy_moves_cedis_and_crypto_and_releases_escrow(db: Session) -> None:
    boss = officer(db)
    carol = customer(db, account_type="CRYPTO")
    w = wallet(db, carol, cedis="5000.00", crypto="0.5", escrow="20.00")
    order = crypto_order(db, carol, "BUY", crypto="0.01000000", rate="100000.00", escrow="20.00")  # 1000 cedis
    actions.decide(db, actor=boss, queue="crypto", item_id=str(order.id), action="approve")
    w = reload(db, w)
    assert (w.balance_cedis, w.balance_crypto, w.escrow_balance) == (Decimal("4020.00"), Decimal("0.51"), Decimal("0"))
    assert reload(db, order).status == "APPROVED"


def test_crypto_sell_needs_the_coins_and_a_decline_releases_escrow(db: Session) -> None:
    boss = officer(db)
    dan = customer(db, account_type="CRYPTO")
    w = wallet(db, dan, cedis="100.00", crypto="0.005", escrow="40.00")
    sell = crypto_order(db, dan, "SELL", crypto="0.01000000", escrow="20.00")
    with pytest.raises(RuleBroken, match="sale needs"):
        actions.decide(db, actor=boss, queue="crypto", item_id=str(sell.id), action="approve")
    actions.decide(db, actor=boss, queue="crypto", item_id=str(sell.id), action="decline", reason="Rate expired")
    w = reload(db, w)
    assert (w.balance_cedis, w.escrow_balance) == (Decimal("120.00"), Decimal("20.00"))
    sell2 = crypto_order(db, dan, "SELL", crypto="0.00500000", escrow="20.00")  # 500 cedis
    actions.decide(db, actor=boss, queue="crypto", item_id=str(sell2.id), action="approve")
    w = reload(db, w)
    assert (w.balance_cedis, w.balance_crypto, w.escrow_balance) == (Decimal("640.00"), Decimal("0"), Decimal("0"))


def test_crypto_order_with_amounts_that_disagree_with_the_rate_is_refused(db: Session) -> None:
    boss = officer(db)
    eve = customer(db, account_type="CRYPTO")
    wallet(db, eve, escrow="20.00")
    order = crypto_order(db, eve, "BUY")
    order.cedis_amount = Decimal("999.00")
    db.add(order)
    db.flush()
    with pytest.raises(RuleBroken, match="rate"):
        actions.decide(db, actor=boss, queue="crypto", item_id=str(order.id), action="approve")


def test_crypto_awaiting_second_approval_needs_another_officer(db: Session) -> None:
    maker, checker = officer(db), officer(db)
    fay = customer(db, account_type="CRYPTO")
    wallet(db, fay, cedis="5000.00", escrow="20.00")
    order = crypto_order(db, fay, "BUY", status="AWAITING_SECOND_APPROVAL", first_approved_by=maker.user_id,
                         first_approved_at=datetime.now(UTC))
    with pytest.raises(NotAllowed):
        actions.decide(db, actor=maker, queue="crypto", item_id=str(order.id), action="approve")
    assert actions.decide(db, actor=checker, queue="crypto", item_id=str(order.id), action="approve").status == "APPROVED"


def test_gift_card_approval_pays_the_wallet_once(db: Session) -> None:
    boss = officer(db)
    gus = customer(db, account_type="CRYPTO")
    w = wallet(db, gus, cedis="10.00")
    order = gift_order(db, gus, payout="1050.00")
    actions.decide(db, actor=boss, queue="gift_cards", item_id=str(order.id), action="approve")
    assert reload(db, w).balance_cedis == Decimal("1060.00")
    with pytest.raises(Conflict):
        actions.decide(db, actor=boss, queue="gift_cards", item_id=str(order.id), action="decline", reason="Too late")
    assert reload(db, w).balance_cedis == Decimal("1060.00")
    nowallet = customer(db)
    o2 = gift_order(db, nowallet)
    with pytest.raises(RuleBroken, match="no wallet"):
        actions.decide(db, actor=boss, queue="gift_cards", item_id=str(o2.id), action="approve")


# --- queue reads ---------------------------------------------------------------------------------
def test_filters_search_sort_and_keyset_pages(db: Session) -> None:
    boss = officer(db)
    alice = customer(db)
    bob = customer(db, account_type="CRYPTO")
    now = datetime.now(UTC)
    rows = []
    for i in range(7):
        rows.append(tx(db, alice, amount=f"{100 + i}.00", created_at=now - timedelta(hours=i * 10)))
    btc = tx(db, bob, amount="0.1", currency="BTC", usd="5000.00", blockchain_tx_id="0xabc123",
             created_at=now - timedelta(days=5))
    wd = tx(db, alice, kind="WITHDRAWAL", amount="75.00", bank_reference="BANKREF-77", method="ACH")
    tx(db, alice, status="COMPLETED", processed_by=boss.user_id, processed_at=now)  # not pending
    tx(db, alice, kind="TRADE", method="INTERNAL")  # not in this queue

    def ids(**filters: str) -> list[str]:
        return [r["reference"] for r in queries.list_queue(db, actor=boss, queue="deposits", filters=filters).rows]

    assert len(ids()) == 9
    assert ids(type="WITHDRAWAL") == [wd.reference]
    assert ids(method="ACH") == [wd.reference]
    assert ids(currency="btc") == [btc.reference]
    assert set(ids(min_amount="103", max_amount="1,000")) == {r.reference for r in rows[3:]}
    assert ids(user=bob.email.upper()) == [btc.reference]
    assert ids(user=str(bob.id)) == [btc.reference]
    assert ids(age="72") == [btc.reference]
    assert ids(search=btc.reference) == [btc.reference]
    assert ids(search="0xabc123") == [btc.reference]
    assert ids(search="BANKREF-77") == [wd.reference]
    assert set(ids(search=bob.email)) == {btc.reference}
    assert ids(sort="amount_desc")[0] == btc.reference
    assert ids(sort="age_asc")[0] == btc.reference
    assert ids(sort="age_desc")[0] in {wd.reference, rows[0].reference}

    for sort in rules.SORTS:
        seen: list[str] = []
        after = None
        while True:
            page = queries.list_queue(db, actor=boss, queue="deposits", filters={"sort": sort}, after=after, limit=4)
            seen += [r["reference"] for r in page.rows]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert len(seen) == 9 and len(set(seen)) == 9, sort
    page = queries.list_queue(db, actor=boss, queue="deposits", filters={"search": btc.reference})
    row = page.rows[0]
    assert row["amount"] == "0.10 BTC" and row["value"] == "$5,000.00" and isinstance(row["value"], str)
    assert queries.queue_counts(db, actor=boss)["deposits"] == 9


@pytest.mark.parametrize(("field", "value", "message"), [
    ("min_amount", "-5", "must not be negative"), ("max_amount", "12abc", "is not an amount"),
    ("min_amount", "1e5", "is not an amount"), ("min_amount", "NaN", "is not an amount"),
    ("type", "TRADE", "Type"), ("method", "INTERNAL", "Method"), ("user", "bob", "Customer"),
    ("age", "5", "Age"), ("sort", "id", "Sort"), ("currency", "B$", "Currency"), ("search", "x" * 200, "Search"),
    ("min_amount", 5, "expected text"),
])
def test_bad_filters_get_a_clear_message(field, value, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        rules.parse_filters("deposits", {field: value})


def test_min_above_max_is_refused() -> None:
    with pytest.raises(InvalidInput, match="above the maximum"):
        rules.parse_filters("deposits", {"min_amount": "10", "max_amount": "5"})


def test_crypto_and_gift_card_queues_list_and_count(db: Session) -> None:
    boss = officer(db)
    carol = customer(db, account_type="CRYPTO")
    wallet(db, carol)
    buy = crypto_order(db, carol, "BUY")
    sell = crypto_order(db, carol, "SELL")
    gift = gift_order(db, carol)
    page = queries.list_queue(db, actor=boss, queue="crypto", filters={"type": "SELL"})
    assert [r["reference"] for r in page.rows] == [sell.reference]
    assert page.rows[0]["value"] == "GH₵1,000.00"
    assert [r["reference"] for r in queries.list_queue(db, actor=boss, queue="crypto",
                                                     filters={"search": buy.reference}).rows] == [buy.reference]
    assert [r["reference"] for r in queries.list_queue(db, actor=boss, queue="gift_cards").rows] == [gift.reference]
    assert queries.queue_counts(db, actor=boss) == {"deposits": 0, "crypto": 2, "gift_cards": 1}


def test_detail_shows_the_customer_history_and_is_audited(db: Session) -> None:
    boss = officer(db)
    alice = customer(db)
    db.add(m.ComplianceRecord(user_id=alice.id, check_type="AML", provider="test", result="CONSIDER",
                              risk_level="HIGH", risk_score=80, flags=["pep_match"]))
    dep = tx(db, alice, receipt_key="receipts/x.png")
    actions.save_note(db, actor=boss, queue="deposits", item_id=str(dep.id), note="Look at this")
    detail = queries.item_detail(db, actor=officer(db, "ADMIN"), queue="deposits", item_id=str(dep.id))
    assert detail["facts"]["email"] == alice.email and detail["facts"]["kyc_status"] == "Approved"
    assert detail["facts"]["proof_url"] == f"/_private/proofs/transaction/{dep.id}"
    assert detail["balances"][0] == {"label": "Portfolio cash", "value": "$1,000.00"}
    assert detail["flags"][0]["flags"] == "pep_match" and detail["flags"][0]["level"] == "High"
    assert detail["recent"][0]["reference"] == dep.reference
    assert db.execute(sa.select(sa.func.count()).select_from(m.ActivityLog)
                      .where(m.ActivityLog.action == "transactions.item_viewed")).scalar_one() == 1
    actions.decide(db, actor=boss, queue="deposits", item_id=str(dep.id), action="approve")
    detail = queries.item_detail(db, actor=boss, queue="deposits", item_id=str(dep.id))
    assert [h["to"] for h in detail["history"]] == ["Completed"]
    assert detail["facts"]["decidable"] == ""


# --- bulk -----------------------------------------------------------------------------------------
def _sessions(engine: Engine):
    @contextmanager
    def scope():
        with Session(engine, expire_on_commit=False) as session:
            with session.begin():
                yield session
    return scope


def _decide_many(scope, **kwargs: Any) -> bulk.BulkReport:
    """A bulk decision as the page runs it: the caller's session, and one transaction per item."""
    with scope() as outer:
        return bulk.decide_many(outer, sessions=scope, **kwargs)


def _commit(engine: Engine, fn) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        out = fn(session)
        session.commit()
        return out


def test_bulk_reports_per_item_and_bad_input_writes_nothing(fresh_engine: Engine) -> None:
    def setup(s: Session):
        boss = officer(s)
        alice = customer(s, cash="100.00")
        deps = [tx(s, alice, amount="10.00") for _ in range(3)]
        wd = tx(s, alice, kind="WITHDRAWAL", amount="5000.00")  # not covered
        done = tx(s, alice, status="DECLINED", decline_reason="x", processed_by=boss.user_id,
                  processed_at=datetime.now(UTC))
        return boss, alice, deps, wd, done

    boss, alice, deps, wd, done = _commit(fresh_engine, setup)
    ids = [str(d.id) for d in deps] + [str(wd.id), str(done.id), str(uuid.uuid4())]
    with Session(fresh_engine) as s:
        preview = bulk.bulk_preview(s, actor=boss, queue="deposits", item_ids=ids)
        before = counts(s)
    assert (preview.count, preview.total, preview.skipped) == (4, "$5,030.00", 2)

    for bad in ({"item_ids": []}, {"item_ids": "x"}, {"item_ids": ["nope"]}, {"item_ids": [str(uuid.uuid4())] * 201},
                {"action": "decline", "reason": ""}, {"action": "explode"}):
        args = {"queue": "deposits", "item_ids": ids, "action": "approve"} | bad
        with pytest.raises(InvalidInput):
            _decide_many(_sessions(fresh_engine), actor=boss, **args)
    with Session(fresh_engine) as s:
        assert counts(s) == before

    report = _decide_many(_sessions(fresh_engine), actor=boss, queue="deposits", item_ids=ids, action="approve")
    outcomes = [(r["reference"][:3], r["outcome"]) for r in report.results]
    assert [o for _, o in outcomes] == ["done", "done", "done", "skipped", "skipped", "skipped"]
    assert "does not cover" in report.results[3]["message"]
    assert "already declined" in report.results[4]["message"]
    assert "does not exist" in report.results[5]["message"]
    assert report.summary == "3 of 6 items done, 3 not changed."
    with Session(fresh_engine) as s:
        assert cash(s, alice) == Decimal("130.00")


# --- concurrency ----------------------------------------------------------------------------------
def _race(n: int, work) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_officers_approving_at_once_credit_once(fresh_engine: Engine) -> None:
    def setup(s: Session):
        a, b = officer(s), officer(s)
        alice = customer(s, cash="0")
        return a, b, alice, tx(s, alice, amount="100.00")

    a, b, alice, dep = _commit(fresh_engine, setup)
    scope = _sessions(fresh_engine)

    def work(i: int):
        with scope() as s:
            return actions.decide(s, actor=(a, b)[i % 2], queue="deposits", item_id=str(dep.id),
                              action="approve" if i % 3 else "decline", reason="dup" if i % 3 == 0 else None)

    results = _race(6, work)
    wins = [r for r in results if isinstance(r, actions.Outcome)]
    assert len(wins) == 1, results
    assert all(isinstance(r, Conflict) for r in results if r is not wins[0])
    with Session(fresh_engine) as s:
        expected = Decimal("100.00") if wins[0].status == "COMPLETED" else Decimal("0")
        assert cash(s, alice) == expected
        assert s.execute(sa.select(sa.func.count()).select_from(m.StatusHistory)
                         .where(m.StatusHistory.entity_id == dep.id)).scalar_one() == 1
        assert s.execute(sa.select(sa.func.count()).select_from(m.OutboxEvent)
                         .where(m.OutboxEvent.aggregate_id == str(dep.id))).scalar_one() == 1


def test_overlapping_bulk_actions_change_each_item_once(fresh_engine: Engine) -> None:
    def setup(s: Session):
        a, b = officer(s), officer(s)
        alice = customer(s, cash="0")
        return a, b, alice, [tx(s, alice, amount="10.00") for _ in range(12)]

    a, b, alice, deps = _commit(fresh_engine, setup)
    scope = _sessions(fresh_engine)
    first = [str(d.id) for d in deps[:9]]
    second = [str(d.id) for d in reversed(deps[3:])]

    def work(i: int):
        return _decide_many(scope, actor=(a, b)[i], queue="deposits", item_ids=(first, second)[i],
                            action="approve")

    reports = _race(2, work)
    done = [r["id"] for rep in reports for r in rep.results if r["outcome"] == "done"]
    assert sorted(done) == sorted(str(d.id) for d in deps)  # every item exactly once
    skipped = [r for rep in reports for r in rep.results if r["outcome"] == "skipped"]
    assert len(skipped) == 6 and all("already completed" in r["message"] for r in skipped)
    with Session(fresh_engine) as s:
        assert cash(s, alice) == Decimal("120.00")


def test_maker_checker_under_races(fresh_engine: Engine) -> None:
    """The same officer in two tabs gives one first approval; two checkers at once complete it once."""
    def setup(s: Session):
        settings(s, threshold="1000")
        a, b, c = officer(s), officer(s), officer(s)
        alice = customer(s, cash="5000.00")
        return a, b, c, alice, tx(s, alice, kind="WITHDRAWAL", amount="2000.00")

    a, b, c, alice, wd = _commit(fresh_engine, setup)
    scope = _sessions(fresh_engine)

    def approve_as(actors):
        def work(i: int):
            with scope() as s:
                return actions.decide(s, actor=actors[i], queue="deposits", item_id=str(wd.id), action="approve")
        return work

    results = _race(2, approve_as([a, a]))
    assert sum(isinstance(r, actions.Outcome) for r in results) == 1
    assert sum(isinstance(r, NotAllowed) for r in results) == 1, results
    with Session(fresh_engine) as s:
        assert s.get(m.Transaction, wd.id).status == "AWAITING_SECOND_APPROVAL"
        assert cash(s, alice) == Decimal("5000.00")

    results = _race(2, approve_as([b, c]))
    assert sum(isinstance(r, actions.Outcome) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    with Session(fresh_engine) as s:
        assert s.get(m.Transaction, wd.id).status == "COMPLETED"
        assert cash(s, alice) == Decimal("3000.00")


# --- export ---------------------------------------------------------------------------------------
def test_export_is_formula_safe_and_audited(db: Session) -> None:
    boss = officer(db)
    alice = customer(db, email="=hyperlink@evil.test")
    tx(db, alice, amount="10.00")
    tx(db, alice, amount="20.00", currency="EUR", usd="21.00")
    data = export.export_csv(db, actor=boss, queue="deposits", filters={"currency": "EUR"})
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1 and rows[0]["email"] == "'=hyperlink@evil.test" and rows[0]["value"] == "$21.00"
    entry = db.execute(sa.select(m.ActivityLog).where(m.ActivityLog.action == "transactions.exported")).scalar_one()
    assert entry.details["rows"] == 1 and entry.details["filters"] == {"currency": "EUR", "sort": "age_asc"}
    with pytest.raises(NotAllowed):
        export.export_csv(db, actor=officer(db, "ADMIN"), queue="deposits", filters={})
    assert export.count_filtered(db, actor=boss, queue="deposits", filters={}) == 2
