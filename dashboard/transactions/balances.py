"""Balance movements of a deposit or withdrawal (seed 001) when a treasurer decides it.

- Account type: CRYPTO accounts move crypto currencies by CRYPTO_TRANSFER only; STOCK accounts fiat
  currencies by WIRE_TRANSFER/ACH/CARD only. Customers without an account type still need the method
  and currency to agree (crypto <-> CRYPTO_TRANSFER).
- Fiat moves the portfolio's ``cash_value`` (USD) by the booked ``amount_usd``; crypto moves the
  quantity of the portfolio's holding of that symbol by ``amount`` (and the holding's and the
  portfolio's crypto value at the holding's current price). A withdrawal must be covered.
- Prices are never rounded before they are used (issue 14, item 12): a new holding's unit price is
  ``amount_usd / amount`` exactly, stored at the price column's precision (8 decimals, seed 002's), and
  a value is quantity x that price, rounded once, to the cent. (Rounding the price to the cent first
  valued a DOGE deposit at $0.10 a coin instead of $0.1049: about 5 % lost.)

Called by ``actions.decide`` inside its transaction: the portfolio and holding rows are locked
(``FOR UPDATE``) before they change. Raises ``RuleBroken`` (nothing changed) when a rule refuses.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.models import Holding, Portfolio, Transaction, User
from dashboard.models.enums import FIAT_METHODS, AssetType, TransactionMethod, label
from dashboard.transactions.rules import CENT, CRYPTO_CURRENCIES, RuleBroken, now_utc, units, usd

# The precision of a holding's unit price: the column's own scale (Numeric(20, 8)).
PRICE_STEP = Decimal(1).scaleb(-Holding.__table__.c.current_price.type.scale)


def unit_price(amount_usd: Decimal, amount: Decimal) -> Decimal:
    """The USD price of one unit a movement was booked at, at the price column's precision."""
    return (Decimal(amount_usd) / Decimal(amount)).quantize(PRICE_STEP, ROUND_HALF_UP)


def check_account_type(tx: Transaction, user: User) -> None:
    crypto_currency = tx.currency in CRYPTO_CURRENCIES
    crypto_method = tx.method == TransactionMethod.CRYPTO_TRANSFER
    if user.account_type == "CRYPTO" and not (crypto_currency and crypto_method):
        raise RuleBroken(f"{tx.reference}: CRYPTO accounts move crypto currencies by crypto transfer only "
                         f"(this is {tx.currency} by {label(tx.method)}).")
    if user.account_type == "STOCK" and (crypto_currency or tx.method not in FIAT_METHODS):
        raise RuleBroken(f"{tx.reference}: STOCK accounts move fiat currencies by wire, ACH or card only "
                         f"(this is {tx.currency} by {label(tx.method)}).")
    if crypto_currency != crypto_method:
        raise RuleBroken(f"{tx.reference}: {tx.currency} cannot move by {label(tx.method)}.")


def _portfolio(session: Session, user_id: uuid.UUID, *, create: bool) -> Portfolio | None:
    pf = session.execute(
        sa.select(Portfolio).where(Portfolio.user_id == user_id).with_for_update()
    ).scalar_one_or_none()
    if pf is None and create:
        pf = Portfolio(user_id=user_id)
        session.add(pf)
        session.flush()
    return pf


def _holding(session: Session, pf: Portfolio, symbol: str) -> Holding | None:
    return session.execute(
        sa.select(Holding).where(Holding.portfolio_id == pf.id, Holding.symbol == symbol).with_for_update()
    ).scalar_one_or_none()


def _balance_of(session: Session, tx: Transaction) -> Decimal:
    """The balance a seed-001 transaction moves: USD cash for fiat, the holding's quantity for crypto."""
    pf = session.execute(sa.select(Portfolio).where(Portfolio.user_id == tx.user_id)).scalar_one_or_none()
    if pf is None:
        return Decimal("0")
    if tx.currency in CRYPTO_CURRENCIES:
        qty = session.execute(
            sa.select(Holding.quantity).where(Holding.portfolio_id == pf.id, Holding.symbol == tx.currency)
        ).scalar_one_or_none()
        return Decimal(qty or 0)
    return Decimal(pf.cash_value)


def check_covers(session: Session, tx: Transaction) -> None:
    """A withdrawal's balance covers it (checked at the first and at the final approval)."""
    have = _balance_of(session, tx)
    need = Decimal(tx.amount) if tx.currency in CRYPTO_CURRENCIES else Decimal(tx.amount_usd)
    if need > have:
        shown = (units(have, tx.currency), units(need, tx.currency)) if tx.currency in CRYPTO_CURRENCIES \
            else (usd(have), usd(need))
        raise RuleBroken(f"{tx.reference}: the balance ({shown[0]}) does not cover the withdrawal ({shown[1]}).")


def move_balance(session: Session, tx: Transaction, sign: int) -> dict[str, Any]:
    """Credit (+1) or debit (-1) the customer's balance for ``tx``; rows locked. Returns before/after."""
    pf = _portfolio(session, tx.user_id, create=sign > 0)
    if pf is None:
        raise RuleBroken(f"{tx.reference}: the customer has no portfolio to debit.")
    if tx.currency not in CRYPTO_CURRENCIES:
        before = Decimal(pf.cash_value)
        after = before + sign * Decimal(tx.amount_usd)
        if after < 0:
            raise RuleBroken(f"{tx.reference}: the balance ({usd(before)}) does not cover the withdrawal "
                             f"({usd(tx.amount_usd)}).")
        pf.cash_value = after
        _retotal(pf)
        session.flush()
        return {"balance": "cash_value", "before": format(before, "f"), "after": format(after, "f")}
    holding = _holding(session, pf, tx.currency)
    qty_before = Decimal(holding.quantity) if holding else Decimal("0")
    qty_after = qty_before + sign * Decimal(tx.amount)
    if qty_after < 0:
        raise RuleBroken(f"{tx.reference}: the holding ({units(qty_before, tx.currency)}) does not cover the "
                         f"withdrawal ({units(tx.amount, tx.currency)}).")
    price = Decimal(holding.current_price) if holding else unit_price(tx.amount_usd, tx.amount)
    value_before = Decimal(holding.total_value) if holding else Decimal("0")
    value_after = (qty_after * price).quantize(CENT, ROUND_HALF_UP)
    if holding is None:
        holding = Holding(portfolio_id=pf.id, asset_type=AssetType.CRYPTO.value, symbol=tx.currency,
                          name=tx.currency, quantity=qty_after, average_buy_price=price, current_price=price,
                          total_value=value_after, profit_loss=Decimal("0"), profit_loss_percent=Decimal("0"))
        session.add(holding)
    elif qty_after == 0:
        session.delete(holding)
    else:
        holding.quantity = qty_after
        holding.total_value = value_after
    pf.crypto_value = max(Decimal("0"), Decimal(pf.crypto_value) + value_after - value_before)
    _retotal(pf)
    session.flush()
    return {"balance": f"holding {tx.currency}", "before": format(qty_before, "f"), "after": format(qty_after, "f")}


def _retotal(pf: Portfolio) -> None:
    pf.total_value = Decimal(pf.crypto_value) + Decimal(pf.stock_value) + Decimal(pf.cash_value)
    pf.updated_at = now_utc()
