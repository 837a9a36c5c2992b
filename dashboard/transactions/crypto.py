"""Wallet movements of the crypto buy/sell orders and gift-card orders (seed 002) when a treasurer
decides them.

Crypto orders

The wallet (``wallets``: one row per customer) holds ``balance_cedis`` (available cedis),
``balance_crypto`` (the wallet's coin, ``crypto_symbol``) and ``escrow_balance`` (cedis on hold).

While an order is open, ``escrow_amount`` cedis of it sit in ``escrow_balance``: seed 002 sets
``escrow_amount = round(cedis_amount x settings.escrow_percent / 100)`` when the order is placed, and
each wallet's escrow is the sum over its open orders. A decision releases exactly the recorded
``escrow_amount`` (not today's percentage: the settings may have changed since), so escrow never
drifts. The order's recorded ``rate`` must agree with its amounts (``crypto_amount x rate`` equals
``cedis_amount`` to the pesewa), otherwise the order is refused as inconsistent.

- BUY approved: the customer pays ``cedis_amount``: the held escrow counts towards it and the rest
  comes out of ``balance_cedis`` (must cover it); ``balance_crypto += crypto_amount``.
- SELL approved: ``balance_crypto -= crypto_amount`` (must cover it);
  ``balance_cedis += cedis_amount`` plus the released escrow.
- Declined (either): the escrow goes back to ``balance_cedis``.

The order's coin must be the wallet's coin. Pure functions over locked rows: the caller locks the
order and the wallet (``FOR UPDATE``) and writes everything in one transaction.

Gift-card orders

A customer sells a gift card to the platform at the rate quoted when the order was placed; the order
records ``payout_cedis``. Approving it (``PENDING -> APPROVED``) credits ``payout_cedis`` to the
customer's wallet ``balance_cedis`` once; declining moves nothing. Gift-card orders hold no escrow
(seed 002 applies the escrow percent to crypto orders only).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from dashboard.models import CryptoTransaction, GiftCardOrder, Wallet
from dashboard.models.enums import CryptoTxType
from dashboard.transactions.rules import CENT, RuleBroken, cedis


def check_rate(order: CryptoTransaction) -> None:
    expected = (Decimal(order.crypto_amount) * Decimal(order.rate)).quantize(CENT, ROUND_HALF_UP)
    if abs(expected - Decimal(order.cedis_amount)) > CENT:
        raise RuleBroken(
            f"{order.reference}: the recorded amounts disagree with the rate "
            f"({order.crypto_amount} x {order.rate} = {expected}, not {order.cedis_amount})."
        )


def _check_escrow(order: CryptoTransaction, wallet: Wallet, held: Decimal) -> None:
    if held > Decimal(wallet.escrow_balance):
        raise RuleBroken(
            f"{order.reference}: the wallet's escrow ({cedis(Decimal(wallet.escrow_balance))}) is smaller "
            f"than the order's hold ({cedis(held)}); the wallet needs reconciling first."
        )


def crypto_approve_effects(order: CryptoTransaction, wallet: Wallet | None) -> dict[str, str]:
    """Apply an approval to ``wallet``; returns the before/after balances (text) for the audit."""
    if wallet is None:
        raise RuleBroken(f"{order.reference}: the customer has no wallet to settle this order in.")
    if wallet.crypto_symbol != order.crypto_symbol:
        raise RuleBroken(
            f"{order.reference}: the order is in {order.crypto_symbol} but the wallet holds {wallet.crypto_symbol}."
        )
    check_rate(order)
    before = _balances(wallet)
    held = Decimal(order.escrow_amount or 0)
    _check_escrow(order, wallet, held)
    price, crypto = Decimal(order.cedis_amount), Decimal(order.crypto_amount)
    if order.type == CryptoTxType.BUY:
        due = max(price - held, Decimal("0"))
        if due > Decimal(wallet.balance_cedis):
            raise RuleBroken(
                f"{order.reference}: the wallet has {cedis(Decimal(wallet.balance_cedis))} available, "
                f"the purchase needs {cedis(due)} more than the escrow held."
            )
    elif crypto > Decimal(wallet.balance_crypto):
        raise RuleBroken(
            f"{order.reference}: the wallet holds {wallet.balance_crypto} {wallet.crypto_symbol}, "
            f"the sale needs {crypto}."
        )
    # every check passed: only now change the wallet
    wallet.escrow_balance = Decimal(wallet.escrow_balance) - held
    if order.type == CryptoTxType.BUY:
        wallet.balance_cedis = Decimal(wallet.balance_cedis) - due
        wallet.balance_crypto = Decimal(wallet.balance_crypto) + crypto
    else:
        wallet.balance_crypto = Decimal(wallet.balance_crypto) - crypto
        wallet.balance_cedis = Decimal(wallet.balance_cedis) + price + held
    return {"before": before, "after": _balances(wallet)}


def crypto_decline_effects(order: CryptoTransaction, wallet: Wallet | None) -> dict[str, str] | None:
    if wallet is None or not order.escrow_amount:
        return None
    before = _balances(wallet)
    held = Decimal(order.escrow_amount)
    _check_escrow(order, wallet, held)
    wallet.escrow_balance = Decimal(wallet.escrow_balance) - held
    wallet.balance_cedis = Decimal(wallet.balance_cedis) + held
    return {"before": before, "after": _balances(wallet)}


def _balances(wallet: Wallet) -> dict[str, str]:
    return {
        "balance_cedis": format(Decimal(wallet.balance_cedis), "f"),
        "balance_crypto": format(Decimal(wallet.balance_crypto), "f"),
        "escrow_balance": format(Decimal(wallet.escrow_balance), "f"),
    }


def gift_card_approve_effects(order: GiftCardOrder, wallet: Wallet | None) -> dict[str, dict[str, str]]:
    if wallet is None:
        raise RuleBroken(f"{order.reference}: the customer has no wallet to pay the cedis into.")
    before = {"balance_cedis": format(Decimal(wallet.balance_cedis), "f")}
    wallet.balance_cedis = Decimal(wallet.balance_cedis) + Decimal(order.payout_cedis)
    return {"before": before, "after": {"balance_cedis": format(Decimal(wallet.balance_cedis), "f")}}
