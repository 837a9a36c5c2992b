"""Holding prices keep their precision (issue 14, item 12).

A coin worth ten cents deposited at $0.1049 a coin used to be priced at $0.10 (the price rounded to the
cent before it was used): the holding, the portfolio and every view lost about 5 %. Prices now keep the
8 decimals of the price column and a value is rounded once, to the cent.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from dashboard import models as m
from dashboard.core.actor import Actor
from dashboard.portfolios import queries as portfolio_queries
from dashboard.portfolios.rules import fmt_price
from dashboard.transactions import actions
from dashboard.transactions.balances import PRICE_STEP, unit_price
from tests import factories


def _treasurer(session: Session) -> Actor:
    user = factories.user(session, role="TREASURER", platform="STAFF")
    return Actor(user_id=user.id, email=user.email, role="TREASURER")


def _deposit(session: Session, user: m.User, amount: str, usd: str, kind: str = "DEPOSIT") -> m.Transaction:
    return factories.transaction(session, user, transaction_type=kind, amount=Decimal(amount), currency="DOGE",
                                 amount_usd=Decimal(usd), method="CRYPTO_TRANSFER")


def _holding(session: Session, user: m.User) -> m.Holding:
    session.expire_all()
    return session.execute(sa.select(m.Holding).join(m.Portfolio).where(m.Portfolio.user_id == user.id)).scalar_one()


def test_the_price_column_keeps_eight_decimals() -> None:
    assert PRICE_STEP == Decimal("0.00000001")
    assert unit_price(Decimal("1049.00"), Decimal("10000")) == Decimal("0.10490000")
    assert unit_price(Decimal("1.00"), Decimal("3")) == Decimal("0.33333333")


def test_a_doge_deposit_keeps_its_value_and_price(db: Session) -> None:
    boss = _treasurer(db)
    ada = factories.user(db, kyc_status="APPROVED", account_type="CRYPTO")
    factories.portfolio(db, ada, cash_value=Decimal("0"), total_value=Decimal("0"))
    dep = _deposit(db, ada, "10000.00000000", "1049.00")
    actions.decide(db, actor=boss, queue="deposits", item_id=str(dep.id), action="approve")
    h = _holding(db, ada)
    assert h.current_price == Decimal("0.1049") and h.average_buy_price == Decimal("0.1049")
    assert h.total_value == Decimal("1049.00")  # not 1,000.00 (the price rounded to $0.10)
    pf = db.execute(sa.select(m.Portfolio).where(m.Portfolio.user_id == ada.id)).scalar_one()
    assert pf.crypto_value == Decimal("1049.00") and pf.total_value == Decimal("1049.00")
    # more of the same coin is valued at the holding's precise price
    more = _deposit(db, ada, "2000.00000000", "209.80")
    actions.decide(db, actor=boss, queue="deposits", item_id=str(more.id), action="approve")
    assert _holding(db, ada).total_value == Decimal("1258.80")
    # and the manager's view shows the price with its digits and the value it stands for
    manager = Actor(user_id=factories.user(db, role="MANAGER", platform="STAFF").id, email="m@example.com",
                    role="MANAGER")
    rows = portfolio_queries.client_detail(db, actor=manager, ref=str(ada.id)).holdings
    assert rows[0]["price"] == "$0.1049" and rows[0]["value"] == "$1,258.80" and rows[0]["pnl"] == "$0.00"


def test_prices_are_shown_with_their_digits() -> None:
    assert fmt_price(Decimal("0.10490000")) == "$0.1049"
    assert fmt_price(Decimal("94250.00000000")) == "$94,250.00"
    assert fmt_price(Decimal("0.17")) == "$0.17"
    assert fmt_price(None) == "—"
