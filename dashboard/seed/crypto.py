"""Crypto Buy/Sell platform (seed 002): wallets, crypto buy/sell orders priced in Ghana cedis,
the gift-card catalogue and gift cards customers sell to the platform (with proof photos).

Rates are the day's USD price times the cedi rate, plus or minus a 2.5 % spread; the cedi amount
is crypto_amount x rate rounded to the pesewa. Open orders hold ``escrow_percent`` of their amount
in escrow, and each wallet's ``escrow_balance`` is the sum over its open orders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.models.enums import CryptoTxStatus, CryptoTxType, GiftCardOrderStatus, PaymentMethod, Platform, ReviewableEntity, Role
from dashboard.seed import copy as fmt
from dashboard.seed import images
from dashboard.seed import clock
from dashboard.seed.clock import DAY_MS, HOUR_MS, MINUTE_MS, NULL_MS, days_of, later, recent, uniform_between
from dashboard.seed.context import Context, draw
from dashboard.seed.ids import SD, hex_tokens, numbered, ordered, uuid7
from dashboard.seed.market import Market

CS, GS = CryptoTxStatus, GiftCardOrderStatus
# No AWAITING_SECOND_APPROVAL: the treasury service decides a crypto order in one approval (its
# maker-checker applies to withdrawals only), so it never produces that status for an order.
CRYPTO_STATUS = {CS.APPROVED: 0.86, CS.DECLINED: 0.08, CS.PENDING: 0.06}
WALLET_SYMBOLS = {"BTC": 0.6, "ETH": 0.25, "USDT": 0.15}
SPREAD = 0.025
CRYPTO_DECLINES = ["Payment not received within 30 minutes", "Mobile money name does not match the account",
                   "Quoted rate expired before payment", "Wallet address is on an unsupported network",
                   "Suspected fraudulent payment"]
NOT_ENOUGH_COIN = "Not enough {coin} in the wallet for this sale"
GIFT_STATUS = {GS.COMPLETED: 0.77, GS.APPROVED: 0.03, GS.DECLINED: 0.15, GS.PENDING: 0.05}
GIFT_DECLINES = ["Card already redeemed", "Invalid card code", "Proof image unclear: code not readable",
                 "Card region not supported", "Purchase receipt required for this card"]
FACE_VALUES = [25, 50, 100, 150, 200, 250, 500]

# name, brand, card currency, cedis paid per unit (rate_buy), colour
GIFT_CARDS: list[tuple[str, str, str, float, tuple[int, int, int]]] = [
    ("Amazon US e-code", "Amazon", "USD", 10.40, (35, 47, 62)), ("Amazon UK", "Amazon", "GBP", 13.20, (35, 47, 62)),
    ("Apple / iTunes US", "Apple", "USD", 10.10, (60, 60, 64)), ("Google Play US", "Google Play", "USD", 9.60, (1, 135, 95)),
    ("Steam Wallet", "Steam", "USD", 10.60, (23, 26, 33)), ("Walmart", "Walmart", "USD", 9.20, (0, 113, 206)),
    ("Target", "Target", "USD", 8.90, (204, 0, 0)), ("eBay", "eBay", "USD", 9.40, (229, 50, 56)),
    ("Sephora", "Sephora", "USD", 9.00, (20, 20, 20)), ("Nordstrom", "Nordstrom", "USD", 8.70, (40, 40, 40)),
    ("Best Buy", "Best Buy", "USD", 8.80, (0, 70, 190)), ("Xbox", "Xbox", "USD", 9.80, (16, 124, 16)),
    ("PlayStation Store", "PlayStation", "USD", 9.90, (0, 55, 145)), ("Nike", "Nike", "USD", 8.60, (17, 17, 17)),
    ("Vanilla Visa", "Vanilla", "USD", 10.20, (120, 40, 140)), ("American Express", "American Express", "USD", 10.30, (0, 111, 207)),
    ("Razer Gold", "Razer", "USD", 9.50, (0, 160, 60)), ("Netflix", "Netflix", "USD", 8.40, (200, 10, 20)),
    ("Spotify", "Spotify", "USD", 8.30, (30, 185, 84)), ("Uber", "Uber", "USD", 8.20, (0, 0, 0)),
    ("Starbucks", "Starbucks", "USD", 8.10, (0, 112, 74)),
]
POPULAR = np.array([6, 3, 6, 4, 5, 2, 1, 2, 1, 1, 1, 2, 2, 1, 3, 2, 1, 1, 1, 1, 1], dtype=float)


def _buyers(rng: np.random.Generator, ctx: Context, total: int) -> np.ndarray:
    """Approved Crypto-platform customers, busier the longer they have been approved."""
    c = ctx.customers
    pool = np.flatnonzero(c.approved & (c.platform == Platform.CRYPTO.value))
    weight = rng.lognormal(0, 0.8, len(pool)) * np.maximum((clock.NOW_MS - c.kyc_approved_ms[pool]) / DAY_MS, 1)
    return np.repeat(pool, rng.multinomial(total, weight / weight.sum()))


def _order_times(rng: np.random.Generator, ctx: Context, user: np.ndarray, queued: np.ndarray) -> np.ndarray:
    start = ctx.customers.kyc_approved_ms[user] + HOUR_MS
    return np.where(queued, recent(rng, start, 2 * DAY_MS, 20 * DAY_MS), uniform_between(rng, start, clock.NOW_MS - 10 * MINUTE_MS))


def _settings(ctx: Context) -> float:
    row = ctx.loader.conn.execute("SELECT escrow_percent FROM settings WHERE id = 1").fetchone()
    return float(row[0]) if row else 2.0


@dataclass
class Wallets:
    users: np.ndarray
    ids: np.ndarray
    symbol: np.ndarray


def _wallets(ctx: Context) -> Wallets:
    rng = ctx.streams.np("wallets")
    c = ctx.customers
    users = np.flatnonzero(c.platform == Platform.CRYPTO.value)
    created = c.created_ms[users] + rng.integers(1, 30, len(users)) * MINUTE_MS
    return Wallets(users=users, ids=uuid7(rng, created), symbol=draw(rng, WALLET_SYMBOLS, len(users)))


def _write_wallets(ctx: Context, w: Wallets, orders: dict) -> None:
    """Balances as the service leaves them: the coin is what approved orders bought minus what they sold
    (``_replay``), the escrow the sum over open orders, and the cedis cover every open purchase."""
    rng = ctx.streams.np("wallet-balances")
    pos = np.full(len(ctx.customers), -1)
    pos[w.users] = np.arange(len(w.users))
    owner = pos[orders["user"]]
    open_ = orders["status"] == CS.PENDING
    escrow = np.bincount(owner[open_], weights=orders["escrow"][open_], minlength=len(w.users)).astype(np.int64)
    buying = open_ & (orders["type"] == CryptoTxType.BUY)
    due = np.bincount(owner[buying], weights=(orders["cedis"] - orders["escrow"])[buying], minlength=len(w.users))
    cedis = np.maximum(np.rint(rng.lognormal(np.log(80_000), 1.2, len(w.users))), np.ceil(due * rng.uniform(1.1, 2, len(w.users))))
    c = ctx.customers
    created = c.created_ms[w.users] + 20 * MINUTE_MS
    ctx.copy("wallets", {
        "id": fmt.uuid(w.ids), "user_id": fmt.ref(c.ids, w.users), "crypto_symbol": w.symbol.astype(SD),
        "balance_cedis": fmt.money(cedis.astype(np.int64)), "balance_crypto": fmt.fixed(orders["held"], 8),
        "escrow_balance": fmt.money(escrow), "created_at": fmt.ts(created),
        "updated_at": fmt.ts(np.full(len(w.users), clock.NOW_MS - HOUR_MS)),
    }, order=ordered(w.ids))


def _crypto_orders(ctx: Context, market: Market, w: Wallets, escrow_percent: float) -> dict:
    """Orders in the wallet's own coin (the service refuses any other), decided by treasurers."""
    rng = ctx.streams.np("crypto-orders")
    user = _buyers(rng, ctx, ctx.profile.crypto_transactions)
    n = len(user)
    status = draw(rng, CRYPTO_STATUS, n)
    kind = np.where(rng.random(n) < 0.58, CryptoTxType.BUY.value, CryptoTxType.SELL.value)
    pos = np.full(len(ctx.customers), -1)
    pos[w.users] = np.arange(len(w.users))
    symbol = w.symbol[pos[user]]
    created = _order_times(rng, ctx, user, status == CS.PENDING)
    day = market.day_index(days_of(created))
    usd = market.usd_cents_per_unit[[market.currency_index(s) for s in symbol], day]
    rate = np.rint(usd * market.cedis_per_usd[day] * np.where(kind == CryptoTxType.BUY, 1 + SPREAD, 1 - SPREAD)).astype(np.int64)
    cedis = np.clip(rng.lognormal(np.log(150_000), 1.0, n), 5_000, 200_000_000)
    units = np.maximum((cedis * 1e8 / rate).astype(np.int64), 1)
    method = np.where(kind == CryptoTxType.BUY, np.where(rng.random(n) < 0.7, "MOMO", "BANK"),
                      np.where(rng.random(n) < 0.75, "CRYPTO", np.where(rng.random(n) < 0.6, "MOMO", "BANK")))
    o = {"user": user, "status": status, "type": kind, "symbol": symbol, "created": created, "rate": rate,
         "units": units, "method": method, "four_eyes": np.zeros(n, dtype=bool),
         "reason": np.full(n, None, dtype=object)}
    _review(ctx, o, [CS.APPROVED, CS.DECLINED], ctx.streams.np("crypto-orders-review"))
    o["held"] = _replay(ctx, o, w, pos)
    o["cedis"] = np.maximum((o["units"] * rate + 50_000_000) // 100_000_000, 1)
    o["escrow"] = np.rint(o["cedis"] * escrow_percent / 100).astype(np.int64)
    return o


def _replay(ctx: Context, o: dict, w: Wallets, pos: np.ndarray) -> np.ndarray:
    """Walk each wallet's decided orders in decision order, as the service applies them: a sale the coin
    balance cannot cover was declined. Open sales share what is left (each stays approvable; a wallet
    with nothing left to sell asks to buy instead). Returns each wallet's coin balance (1e-8 units)."""
    rng = ctx.streams.np("crypto-orders-replay")
    held = np.zeros(len(w.users), dtype=np.int64)
    sell = o["type"] == CryptoTxType.SELL
    for row in np.flatnonzero(o["status"] == CS.APPROVED)[np.argsort(o["processed"][o["status"] == CS.APPROVED], kind="stable")]:
        wallet = pos[o["user"][row]]
        if not sell[row]:
            held[wallet] += o["units"][row]
        elif held[wallet] >= o["units"][row]:
            held[wallet] -= o["units"][row]
        else:
            o["status"][row] = CS.DECLINED.value
            o["reason"][row] = NOT_ENOUGH_COIN.format(coin=o["symbol"][row])
    left = held.copy()
    for row in np.flatnonzero((o["status"] == CS.PENDING) & sell):
        wallet = pos[o["user"][row]]
        if o["units"][row] > left[wallet]:
            units = int(left[wallet] * rng.uniform(0.3, 0.9))
            if units * o["rate"][row] < 5_000 * 100_000_000:  # under 50 cedis: nothing worth selling
                o["type"][row] = CryptoTxType.BUY.value
                o["rate"][row] = int(round(o["rate"][row] * (1 + SPREAD) / (1 - SPREAD)))
                o["method"][row] = "MOMO"
                continue
            o["units"][row] = units
        left[wallet] -= o["units"][row]
    return held


def _review(ctx: Context, o: dict, processed_statuses: list[str], rng: np.random.Generator) -> None:
    """processed_by/at for decided rows: one treasurer (``transactions.approve``) each."""
    n = len(o["user"])
    done = np.isin(o["status"], processed_statuses)
    o["processed"] = np.where(done, later(rng, o["created"], 5 * MINUTE_MS, 8 * HOUR_MS), NULL_MS)
    o["processed_by"] = np.where(done, ctx.staff.pick(rng, n, Role.TREASURER), b"")
    o["first_by"] = np.full(n, b"", dtype="S32")
    o["first_at"] = np.full(n, NULL_MS, dtype=np.int64)


def _addresses(rng: np.random.Generator, symbol: np.ndarray) -> np.ndarray:
    tokens = hex_tokens(rng, len(symbol), 40)
    return np.where(symbol == "BTC", np.strings.add("bc1q", np.strings.slice(tokens, 0, 38)),
                    np.strings.add("0x", tokens)).astype(SD)


def _numbered_ids(rng: np.random.Generator, created: np.ndarray,
                  prefix: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time-ordered ids for rows created at ``created``, their order, and references numbered per day in
    id order."""
    ids = uuid7(rng, created)
    order = ordered(ids)
    reference = np.empty(len(created), dtype=SD)
    reference[order] = numbered(prefix, days_of(created[order]), np.arange(1, len(created) + 1))
    return ids, order, reference


def _decline_reasons(rng: np.random.Generator, declined: np.ndarray, choices: list[str] | tuple[str, ...]) -> np.ndarray:
    """A reason drawn from ``choices`` for each declined row, None for the others."""
    return np.where(declined, np.array(choices, dtype=object)[rng.integers(0, len(choices), len(declined))], None)


def _write_crypto_orders(ctx: Context, o: dict) -> np.ndarray:
    rng = ctx.streams.np("crypto-orders-write")
    n = len(o["user"])
    ids, order, reference = _numbered_ids(rng, o["created"], "CTX")
    declined = o["status"] == CS.DECLINED
    reason = np.where(np.equal(o["reason"], None), _decline_reasons(rng, declined, CRYPTO_DECLINES), o["reason"])
    buy = o["type"] == CryptoTxType.BUY
    sent = (o["status"] == CS.APPROVED) | (~buy & (o["method"] == PaymentMethod.CRYPTO.value) & ~declined)
    tx_hash = np.where(sent, hex_tokens(rng, n, 64), fmt.NULL).astype(SD)
    updated = np.where(o["processed"] != NULL_MS, o["processed"], o["created"])
    ctx.copy("crypto_transactions", {
        "id": fmt.uuid(ids), "user_id": fmt.ref(ctx.customers.ids, o["user"]), "reference": reference,
        "type": o["type"].astype(SD), "crypto_symbol": o["symbol"].astype(SD), "cedis_amount": fmt.money(o["cedis"]),
        "crypto_amount": fmt.fixed(o["units"], 8), "rate": fmt.money(o["rate"]), "escrow_amount": fmt.money(o["escrow"]),
        "status": o["status"].astype(SD), "payment_method": o["method"].astype(SD),
        "wallet_address": np.where(buy, _addresses(rng, o["symbol"]), fmt.NULL).astype(SD), "tx_hash": tx_hash,
        "admin_note": fmt.text(np.where(rng.random(n) < 0.02, "Customer called to confirm the payment", None).tolist()),
        "decline_reason": fmt.text(reason.tolist()), "first_approved_by": fmt.optional_uuid(o["first_by"]),
        "first_approved_at": fmt.ts(o["first_at"]), "processed_by": fmt.optional_uuid(o["processed_by"]),
        "processed_at": fmt.ts(o["processed"]), "created_at": fmt.ts(o["created"]), "updated_at": fmt.ts(updated),
    }, order=order)
    _history(ctx, ReviewableEntity.CRYPTO_TRANSACTION, ids, o, reason, CS.PENDING.value)
    return ids


def _history(ctx: Context, entity: ReviewableEntity, ids: np.ndarray, o: dict, reason: np.ndarray, start: str) -> None:
    h = ctx.history
    if not h.wants(entity):
        return
    users = ctx.customers.ids[o["user"]]
    h.add(entity, ids, None, start, o["created"], users)
    first = o["first_at"] != NULL_MS
    h.add(entity, ids[first], start, CS.AWAITING_SECOND_APPROVAL.value, o["first_at"][first], o["first_by"][first])
    done = np.flatnonzero(o["processed"] != NULL_MS)
    before = np.where(first[done], CS.AWAITING_SECOND_APPROVAL.value, start).astype(object)
    decision = o.get("decision", o["status"])
    h.add(entity, ids[done], before, decision[done].astype(object), o["processed"][done], o["processed_by"][done],
          reason[done].tolist())
    if "completed" in o:  # the platform completes an approved gift-card order once it has paid (system actor)
        c = np.flatnonzero(o["status"] == GS.COMPLETED)
        h.add(entity, ids[c], GS.APPROVED.value, GS.COMPLETED.value, o["completed"][c], b"")


def _write_gift_cards(ctx: Context) -> np.ndarray:
    rng = ctx.streams.np("gift-cards")
    n = len(GIFT_CARDS)
    created = clock.HISTORY_START_MS - 20 * DAY_MS + np.arange(n) * HOUR_MS
    ids = uuid7(rng, created)
    rate_buy = np.array([round(card[3] * 100) for card in GIFT_CARDS], dtype=np.int64)
    active = np.ones(n, dtype=bool)
    active[[i for i, card in enumerate(GIFT_CARDS) if card[1] == "Nordstrom"]] = False  # withdrawn from sale
    ctx.copy("gift_cards", {
        "id": fmt.uuid(ids), "name": fmt.text([g[0] for g in GIFT_CARDS]), "brand": fmt.text([g[1] for g in GIFT_CARDS]),
        "rate_buy": fmt.money(rate_buy), "rate_sell": fmt.money(rate_buy + rng.integers(60, 130, n)),
        "image": fmt.nulls(n), "is_active": fmt.boolean(active), "created_at": fmt.ts(created),
        "updated_at": fmt.ts(clock.NOW_MS - rng.integers(1, 30, n) * DAY_MS),
    }, order=ordered(ids))
    return ids


def _gift_orders(ctx: Context, market: Market) -> dict:
    rng = ctx.streams.np("gift-orders")
    user = _buyers(rng, ctx, ctx.profile.gift_card_orders)
    n = len(user)
    status = draw(rng, GIFT_STATUS, n)
    card = rng.choice(len(GIFT_CARDS), n, p=POPULAR / POPULAR.sum())
    card[np.array([GIFT_CARDS[k][1] for k in card]) == "Nordstrom"] = 0  # inactive card: no new orders
    created = _order_times(rng, ctx, user, np.isin(status, [GS.PENDING, GS.APPROVED]))
    day = market.day_index(days_of(created))
    drift = market.cedis_per_usd[day] / market.cedis_per_usd[-1]  # rates follow the cedi
    rate = np.rint(np.array([GIFT_CARDS[k][3] for k in card]) * 100 * drift).astype(np.int64)
    face = np.array(FACE_VALUES)[rng.choice(len(FACE_VALUES), n, p=[0.12, 0.25, 0.3, 0.08, 0.13, 0.07, 0.05])]
    return {"user": user, "status": status, "card": card, "created": created, "rate": rate,
            "amount": face * 100, "payout": face * rate, "four_eyes": np.zeros(n, dtype=bool),
            "currency": np.array([GIFT_CARDS[k][2] for k in card])}


def _proof(ctx: Context, o: dict, row: int, order_id: bytes) -> str:
    name, brand, currency, _, color = GIFT_CARDS[o["card"][row]]
    face = f"{currency} {o['amount'][row] // 100}"
    if ctx.profile.per_row_images or o["status"][row] == GS.PENDING:
        user_id = ctx.customers.ids[o["user"][row]].decode()
        key = f"giftcards/{user_id}/{order_id.decode()}.jpg"
        ctx.files.put(key, images.gift_card(brand, color, face, f"{(row * 7919) % 10000:04d}", seed=row))
        return key
    slot = row % 3
    slug = "".join(ch for ch in brand.lower() if ch.isalnum())
    key = f"giftcards/pool/{slug}-{slot}.jpg"
    ctx.files.shared(key, lambda: images.gift_card(brand, color, f"{currency} 100", f"{slot:04d}", seed=slot))
    return key


def _write_gift_orders(ctx: Context, o: dict, card_ids: np.ndarray) -> np.ndarray:
    rng = ctx.streams.np("gift-orders-write")
    n = len(o["user"])
    _review(ctx, o, [GS.APPROVED, GS.DECLINED, GS.COMPLETED], rng)
    o["completed"] = np.where(o["status"] == GS.COMPLETED, later(rng, o["processed"], 10 * MINUTE_MS, 6 * HOUR_MS), NULL_MS)
    o["decision"] = np.where(o["status"] == GS.COMPLETED, GS.APPROVED.value, o["status"])
    ids, order, reference = _numbered_ids(rng, o["created"], "GC")
    declined = o["status"] == GS.DECLINED
    reason = _decline_reasons(rng, declined, GIFT_DECLINES)
    proofs = [_proof(ctx, o, row, bytes(ids[row])) for row in range(n)]
    updated = np.where(o["completed"] != NULL_MS, o["completed"], np.where(o["processed"] != NULL_MS, o["processed"], o["created"]))
    ctx.copy("gift_card_orders", {
        "id": fmt.uuid(ids), "user_id": fmt.ref(ctx.customers.ids, o["user"]), "card_id": fmt.ref(card_ids, o["card"]),
        "reference": reference, "amount": fmt.money(o["amount"]), "card_currency": o["currency"].astype(SD),
        "rate": fmt.money(o["rate"]), "payout_cedis": fmt.money(o["payout"]), "status": o["status"].astype(SD),
        "proof_image_key": fmt.text(proofs),
        "admin_note": fmt.text(np.where(rng.random(n) < 0.03, "Code verified with the merchant", None).tolist()),
        "decline_reason": fmt.text(reason.tolist()), "processed_by": fmt.optional_uuid(o["processed_by"]),
        "processed_at": fmt.ts(o["processed"]), "created_at": fmt.ts(o["created"]), "updated_at": fmt.ts(updated),
    }, order=order)
    _history(ctx, ReviewableEntity.GIFT_CARD_ORDER, ids, o, reason, GS.PENDING.value)
    return ids


def generate(ctx: Context) -> None:
    market: Market = ctx.extras["market"]
    escrow_percent = _settings(ctx)
    wallets = _wallets(ctx)
    orders = _crypto_orders(ctx, market, wallets, escrow_percent)
    _write_wallets(ctx, wallets, orders)
    ctx.extras["crypto_orders"] = (orders, _write_crypto_orders(ctx, orders))
    card_ids = _write_gift_cards(ctx)
    gifts = _gift_orders(ctx, market)
    ctx.extras["gift_orders"] = (gifts, _write_gift_orders(ctx, gifts, card_ids))
