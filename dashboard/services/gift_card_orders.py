"""Wallet movement of a gift-card order (seed 002) when a treasurer decides it.

A customer sells a gift card to the platform at the rate quoted when the order was placed; the order
records ``payout_cedis``. Approving it (``PENDING -> APPROVED``) credits ``payout_cedis`` to the
customer's wallet ``balance_cedis`` once; declining moves nothing. Gift-card orders hold no escrow
(seed 002 applies the escrow percent to crypto orders only).
"""

from __future__ import annotations

from decimal import Decimal

from dashboard.models import GiftCardOrder, Wallet
from dashboard.services.crypto_orders import RuleBroken


def approve_effects(order: GiftCardOrder, wallet: Wallet | None) -> dict[str, dict[str, str]]:
    if wallet is None:
        raise RuleBroken(f"{order.reference}: the customer has no wallet to pay the cedis into.")
    before = {"balance_cedis": format(Decimal(wallet.balance_cedis), "f")}
    wallet.balance_cedis = Decimal(wallet.balance_cedis) + Decimal(order.payout_cedis)
    return {"before": before, "after": {"balance_cedis": format(Decimal(wallet.balance_cedis), "f")}}
