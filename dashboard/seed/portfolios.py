"""Portfolios, holdings, admin-executed trades and 365 daily snapshots, from one simulation.

Each portfolio owner gets a small universe of symbols (crypto for CRYPTO accounts, mostly stocks
for STOCK accounts). The simulation walks day by day over the whole history (all portfolios at
once, with numpy), booking what the treasury service books (``transactions.balances``): completed
fiat deposits add cash and fiat withdrawals take it out, crypto deposits and withdrawals move the
holding of their coin (a withdrawal at most what is there; otherwise the request was declined); trades
turn cash into quantities and back. Values are exact integers: quantities in 1e-8 units, money in cents, and a holding's
value is round(quantity x price) to the cent, so

- a snapshot's total is crypto + stock + cash, and its ``net_flow`` is that day's completed
  deposits minus withdrawals;
- the last snapshot (AS_OF) equals the portfolio's current values, and the current crypto/stock
  values are the sums of the holdings' ``total_value``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dashboard.models.enums import AccountType, Role, TradeType, TransactionStatus, TransactionType
from dashboard.seed import copy as fmt
from dashboard.seed import payments, payments_write
from dashboard.seed import clock
from dashboard.seed.clock import DAY_MS, HOUR_MS, MINUTE_MS, NULL_MS, SNAPSHOT_DAYS, days_of
from dashboard.seed.context import Context
from dashboard.seed.ids import SD, ordered, uuid7
from dashboard.seed.market import Market, build_market

SLOTS = 6  # symbols a portfolio may hold
SLOT_WEIGHTS = np.array([0.3, 0.24, 0.16, 0.12, 0.1, 0.08])  # favourite symbols first
UNIT = 100_000_000  # quantities are stored in 1e-8 units
PERCENT_UNITS = 1_000_000  # ratio -> percent with 4 decimals
MAX_PERCENT = 9_999_999_999  # numeric(10, 4)
MIN_CASH_TO_BUY = 2_000  # $20
MIN_WITHDRAWAL = 2_000
TRADE_NOTES = ["Portfolio rebalancing", "Client instruction by phone", "Monthly savings plan",
               "Take-profit at target price", "Reduce concentration risk"]


@dataclass
class Book:
    """The simulation state of every portfolio (one row per owner)."""

    owners: np.ndarray  # customer index
    slots: np.ndarray  # [owner, slot] symbol index
    is_crypto: np.ndarray  # [owner, slot]
    qty: np.ndarray
    cost: np.ndarray  # cost basis in cents
    first_buy: np.ndarray  # ms of the first buy per slot
    last_trade: np.ndarray
    cash: np.ndarray
    invested: np.ndarray  # deposits minus withdrawals, all time
    window: dict[str, np.ndarray] = field(default_factory=dict)  # [day, owner] for the snapshot days
    trades: list[dict[str, np.ndarray]] = field(default_factory=list)


def _universe(rng: np.random.Generator, market: Market, account_type: np.ndarray) -> np.ndarray:
    """Distinct symbols per portfolio (weighted sampling without replacement, Gumbel top-k)."""
    n = len(account_type)
    crypto = market.asset_types == "CRYPTO"
    popularity = np.linspace(3.0, 1.0, len(market.symbols))
    keys = np.log(rng.random((n, len(market.symbols)))) / popularity  # larger is better
    crypto_only = np.where(crypto, keys, -np.inf)
    stocks_first = np.where(crypto, keys - 50, keys)  # one crypto slot at most, below
    chosen = np.where((account_type == AccountType.CRYPTO.value)[:, None],
                      np.argsort(-crypto_only, axis=1)[:, :SLOTS], np.argsort(-stocks_first, axis=1)[:, :SLOTS])
    wants_crypto = (account_type == AccountType.STOCK.value) & (rng.random(n) < 0.5)
    best_crypto = np.argsort(-crypto_only, axis=1)[:, 0]
    chosen[:, SLOTS - 1] = np.where(wants_crypto, best_crypto, chosen[:, SLOTS - 1])
    return chosen


def _trade_schedule(rng: np.random.Generator, ctx: Context, book: Book) -> dict[str, np.ndarray]:
    c = ctx.customers
    approved = c.approved[book.owners]
    first_day = np.where(approved, days_of(c.kyc_approved_ms[book.owners]) + 1, clock.AS_OF_DAY + 1)
    years = np.maximum(clock.AS_OF_DAY - first_day, 0) / 365.0
    counts = rng.poisson(ctx.profile.trades_per_year * years)
    owner = np.repeat(np.arange(len(book.owners)), counts)
    day = first_day[owner] + (rng.random(len(owner)) * (clock.AS_OF_DAY + 1 - first_day[owner])).astype(np.int64)
    key = np.unique(owner * 100_000 + (day - clock.HISTORY_START_DAY))  # one trade per portfolio and day
    owner, day = key // 100_000, key % 100_000 + clock.HISTORY_START_DAY
    order = np.argsort(day, kind="stable")
    n = len(order)
    schedule = {"owner": owner[order], "day": day[order], "action": rng.random(n), "slot": rng.random(n),
                "share": rng.uniform(0.15, 0.85, n), "sell_share": rng.uniform(0.1, 0.6, n),
                "sell_pick": rng.random((n, SLOTS)), "time": rng.uniform(13.5, 21, n)}
    done = schedule["day"] * DAY_MS + (schedule["time"] * HOUR_MS).astype(np.int64) < clock.NOW_MS - MINUTE_MS
    return {k: v[done] for k, v in schedule.items()}  # today's trades only up to now


def _apply_trades(book: Book, market: Market, e: dict[str, np.ndarray], day: int) -> None:
    p = e["owner"]
    if not len(p):
        return
    di = day - clock.HISTORY_START_DAY
    held = book.qty[p] > 0
    buy = (book.cash[p] >= MIN_CASH_TO_BUY) & ((e["action"] < 0.72) | ~held.any(1))
    k = np.where(buy, np.minimum(np.searchsorted(np.cumsum(SLOT_WEIGHTS), e["slot"]), SLOTS - 1),
                 np.argmax(held * e["sell_pick"], axis=1))
    symbol = book.slots[p, k]
    price = market.price_cents[symbol, di]
    before = book.qty[p, k]
    q = np.where(buy, (book.cash[p] * e["share"]).astype(np.int64) * UNIT // price,
                 (before * e["sell_share"]).astype(np.int64))
    value = (q * price + UNIT // 2) // UNIT
    ok = (q > 0) & (value > 0) & (buy | held.any(1))
    p, k, q, value, price, symbol, buy, before = p[ok], k[ok], q[ok], value[ok], price[ok], symbol[ok], buy[ok], before[ok]
    ms = day * DAY_MS + (e["time"][ok] * HOUR_MS).astype(np.int64)
    sold_cost = np.rint(book.cost[p, k] * (q / np.maximum(before, 1))).astype(np.int64)
    book.qty[p, k] += np.where(buy, q, -q)
    book.cost[p, k] += np.where(buy, value, -sold_cost)
    book.cash[p] += np.where(buy, -value, value)
    book.first_buy[p, k] = np.where(book.first_buy[p, k] == NULL_MS, ms, book.first_buy[p, k])
    book.last_trade[p, k] = ms
    book.trades.append({"owner": p, "symbol": symbol, "buy": buy, "qty": q, "price": price, "value": value, "ms": ms})


def _slot_of(book: Book, market: Market, t: payments.Transactions, rows: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """The holding slot a crypto row moves (the slot holding its coin), -1 for fiat or a coin not held."""
    asset = market.currency_asset[t.currency[rows]]
    match = (book.slots[owner] == asset[:, None]) & (asset[:, None] >= 0)
    return np.where(match.any(1), np.argmax(match, axis=1), -1)


def _apply_flows(book: Book, market: Market, t: payments.Transactions, rows: np.ndarray, pos: np.ndarray,
                 day: int) -> np.ndarray:
    """Book one day's completed deposits, then withdrawals, as the treasury service does: fiat moves the
    cash by ``amount_usd``, crypto the holding of that coin by ``amount``. Returns that day's net flow
    (USD cents) per owner."""
    flow = np.zeros(len(book.owners), dtype=np.int64)
    deposits = rows[(t.kind[rows] == TransactionType.DEPOSIT)]
    owner = pos[t.user[deposits]]
    slot = _slot_of(book, market, t, deposits, owner)
    coin = market.quantum[t.currency[deposits]] == 1
    lost = coin & (slot < 0)  # a coin this portfolio cannot hold: the treasurer declined it
    t.status[deposits[lost]] = TransactionStatus.DECLINED.value
    t.reason[deposits[lost]] = payments.UNSUPPORTED_COIN
    ok = ~lost
    np.add.at(flow, owner[ok], t.usd[deposits[ok]])
    fiat = ok & ~coin
    np.add.at(book.cash, owner[fiat], t.usd[deposits[fiat]])
    held = ok & coin
    p, k = owner[held], slot[held]
    np.add.at(book.qty, (p, k), t.units[deposits[held]])
    np.add.at(book.cost, (p, k), t.usd[deposits[held]])
    ms = t.processed[deposits[held]]
    book.first_buy[p, k] = np.where(book.first_buy[p, k] == NULL_MS, ms, np.minimum(book.first_buy[p, k], ms))
    book.last_trade[p, k] = np.maximum(book.last_trade[p, k], ms)
    withdrawals = rows[(t.kind[rows] == TransactionType.WITHDRAWAL)]
    if len(withdrawals):
        owner = pos[t.user[withdrawals]]
        _, first = np.unique(owner, return_index=True)
        duplicate = np.ones(len(withdrawals), dtype=bool)
        duplicate[first] = False
        coin = market.quantum[t.currency[withdrawals]] == 1
        slot = _slot_of(book, market, t, withdrawals, owner)
        have = book.qty[owner, np.maximum(slot, 0)]
        want = np.where(slot >= 0, (have * t.withdraw_share[withdrawals]).astype(np.int64), 0)
        usd_coin = payments.value_of(market, want, t.currency[withdrawals], np.full(len(owner), day))
        target = (book.cash[owner] * t.withdraw_share[withdrawals]).astype(np.int64)
        units_fiat, usd_fiat = payments.convert(market, np.maximum(target, 1), t.currency[withdrawals], np.full(len(owner), day))
        units = np.where(coin, want, units_fiat)
        usd = np.where(coin, usd_coin, usd_fiat)
        ok = ~duplicate & (usd >= MIN_WITHDRAWAL) & np.where(coin, (slot >= 0) & (want > 0), (target >= MIN_WITHDRAWAL) & (usd_fiat <= target))
        t.units[withdrawals[ok]], t.usd[withdrawals[ok]] = units[ok], usd[ok]
        declined = withdrawals[~ok]
        t.status[declined] = TransactionStatus.DECLINED.value
        t.reason[declined] = np.where(duplicate[~ok], "Duplicate withdrawal request", payments.INSUFFICIENT)
        np.subtract.at(flow, owner[ok], usd[ok])
        fiat = ok & ~coin
        np.subtract.at(book.cash, owner[fiat], usd[fiat])
        held = ok & coin
        p, k = owner[held], slot[held]
        before = book.qty[p, k]
        book.cost[p, k] -= np.rint(book.cost[p, k] * (units[held] / np.maximum(before, 1))).astype(np.int64)
        book.qty[p, k] -= units[held]
        book.last_trade[p, k] = np.maximum(book.last_trade[p, k], t.processed[withdrawals[held]])
    book.invested += flow
    return flow


def _record_window(book: Book, market: Market, day: int, flow: np.ndarray) -> None:
    w = day - clock.WINDOW_START_DAY
    price = market.price_cents[book.slots, day - clock.HISTORY_START_DAY]
    if (book.qty.astype(float) * price).max(initial=0) > 9e18:
        raise OverflowError("portfolio value out of range for exact integer arithmetic")
    value = (book.qty * price + UNIT // 2) // UNIT
    book.window["crypto"][w] = (value * book.is_crypto).sum(1)
    book.window["stock"][w] = (value * ~book.is_crypto).sum(1)
    book.window["cash"][w] = book.cash
    book.window["flow"][w] = flow
    book.window["invested"][w] = book.invested


def universe(ctx: Context, market: Market) -> tuple[np.ndarray, np.ndarray]:
    """Each portfolio owner's symbols: (owners, [owner, slot] asset index), and the same per customer
    ([customer, slot], -1 for customers without a portfolio) for the payments plan."""
    c = ctx.customers
    owners = np.flatnonzero(c.has_portfolio)
    slots = _universe(ctx.streams.np("portfolio-universe"), market, c.account_type[owners])
    per_customer = np.full((len(c), SLOTS), -1, dtype=np.int64)
    per_customer[owners] = slots
    return owners, per_customer


def simulate(ctx: Context, market: Market, t: payments.Transactions, owners: np.ndarray, slots: np.ndarray) -> Book:
    rng = ctx.streams.np("portfolios")
    c = ctx.customers
    n = len(owners)
    book = Book(owners=owners, slots=slots, is_crypto=market.asset_types[slots] == "CRYPTO",
                qty=np.zeros((n, SLOTS), np.int64), cost=np.zeros((n, SLOTS), np.int64),
                first_buy=np.full((n, SLOTS), NULL_MS), last_trade=np.full((n, SLOTS), NULL_MS),
                cash=np.zeros(n, np.int64), invested=np.zeros(n, np.int64))
    book.window = {k: np.zeros((SNAPSHOT_DAYS, n), np.int64) for k in ("crypto", "stock", "cash", "flow", "invested")}
    pos = np.full(len(c), -1)
    pos[owners] = np.arange(n)
    flows = np.flatnonzero(t.owner_flows(c.has_portfolio))
    flows = flows[np.argsort(t.processed[flows], kind="stable")]
    flow_day = days_of(t.processed[flows])
    trades = _trade_schedule(rng, ctx, book)
    for day in range(clock.HISTORY_START_DAY, clock.AS_OF_DAY + 1):
        lo, hi = np.searchsorted(flow_day, [day, day + 1])
        flow = _apply_flows(book, market, t, flows[lo:hi], pos, day)
        lo, hi = np.searchsorted(trades["day"], [day, day + 1])
        _apply_trades(book, market, {k: v[lo:hi] for k, v in trades.items() if k != "day"}, day)
        if day >= clock.WINDOW_START_DAY:
            _record_window(book, market, day, flow)
    return book


def balances(ctx: Context, market: Market, book: Book) -> tuple[np.ndarray, dict[tuple[int, int], int]]:
    """Each customer's cash (cents) and coin holdings ((customer, currency) -> units) at the end."""
    cash = np.zeros(len(ctx.customers), dtype=np.int64)
    cash[book.owners] = book.cash
    as_currency = {int(a): i for i, a in enumerate(market.currency_asset) if a >= 0}
    held: dict[tuple[int, int], int] = {}
    for p, k in zip(*np.nonzero(book.qty > 0)):
        currency = as_currency.get(int(book.slots[p, k]))
        if currency is not None:
            held[(int(book.owners[p]), currency)] = int(book.qty[p, k])
    return cash, held


def _percent(part: np.ndarray, base: np.ndarray) -> np.ndarray:
    """part / base in percent with 4 decimals (integer units), 0 where base <= 0."""
    ratio = np.where(base > 0, part / np.maximum(base, 1), 0.0)
    return np.clip(np.rint(ratio * PERCENT_UNITS), -MAX_PERCENT, MAX_PERCENT).astype(np.int64)


def _write_portfolios(ctx: Context, book: Book) -> np.ndarray:
    rng = ctx.streams.np("portfolio-ids")
    c = ctx.customers
    w = book.window
    created = c.created_ms[book.owners] + rng.integers(5, 60, len(book.owners)) * MINUTE_MS
    ids = uuid7(rng, created)
    total = w["crypto"] + w["stock"] + w["cash"]
    today, invested = total[-1], w["invested"][-1]
    daily = today - total[-2] - w["flow"][-1]
    monthly = today - total[-31] - w["flow"][-30:].sum(0)
    updated = np.full(len(ids), clock.NOW_MS - 30_000)
    ctx.copy("portfolios", {
        "id": fmt.uuid(ids), "user_id": fmt.ref(c.ids, book.owners), "total_value": fmt.money(today),
        "crypto_value": fmt.money(w["crypto"][-1]), "stock_value": fmt.money(w["stock"][-1]),
        "cash_value": fmt.money(w["cash"][-1]), "total_invested": fmt.money(invested),
        "total_profit_loss": fmt.money(today - invested), "daily_pnl": fmt.money(daily),
        "daily_pnl_percent": fmt.fixed(_percent(daily, total[-2]), 4), "monthly_pnl": fmt.money(monthly),
        "monthly_pnl_percent": fmt.fixed(_percent(monthly, total[-31]), 4),
        "all_time_pnl": fmt.money(today - invested), "all_time_pnl_percent": fmt.fixed(_percent(today - invested, invested), 4),
        "last_updated": fmt.ts(updated), "created_at": fmt.ts(created), "updated_at": fmt.ts(updated),
    }, order=ordered(ids))
    return ids


def _write_holdings(ctx: Context, book: Book, market: Market, portfolio_ids: np.ndarray) -> None:
    p, k = np.nonzero(book.qty > 0)
    symbol = book.slots[p, k]
    qty, cost = book.qty[p, k], book.cost[p, k]
    price = market.price_cents[symbol, clock.AS_OF_DAY - clock.HISTORY_START_DAY]
    value = (qty * price + UNIT // 2) // UNIT
    average = np.rint(cost.astype(float) * 1e6 * (UNIT / qty)).astype(np.int64)  # 1e-8 USD: the column keeps 8 decimals
    created = book.first_buy[p, k]
    ids = uuid7(ctx.streams.np("holding-ids"), created)
    names = np.array(market.names)
    ctx.copy("holdings", {
        "id": fmt.uuid(ids), "portfolio_id": fmt.ref(portfolio_ids, p), "asset_type": market.asset_types[symbol].astype(SD),
        "symbol": np.array(market.symbols)[symbol].astype(SD), "name": fmt.text(names[symbol]),
        "quantity": fmt.fixed(qty, 8), "average_buy_price": fmt.fixed(average, 8), "current_price": fmt.money(price),
        "total_value": fmt.money(value), "profit_loss": fmt.money(value - cost),
        "profit_loss_percent": fmt.fixed(_percent(value - cost, cost), 4),
        "last_price_update": fmt.ts(np.full(len(ids), clock.NOW_MS - 60_000)), "created_at": fmt.ts(created),
        "updated_at": fmt.ts(book.last_trade[p, k]),
    }, order=ordered(ids))


def _write_trades(ctx: Context, book: Book, market: Market, portfolio_ids: np.ndarray) -> None:
    rng = ctx.streams.np("trades")
    merged = {k: np.concatenate([d[k] for d in book.trades]) for k in book.trades[0]} if book.trades else None
    if merged is None:
        return
    n = len(merged["ms"])
    ids = uuid7(rng, merged["ms"])
    owner = merged["owner"]
    executed_by = ctx.staff.pick(rng, n, Role.ADMIN, Role.MANAGER, Role.TREASURER)
    note = np.where(rng.random(n) < 0.35, np.array(TRADE_NOTES, dtype=object)[rng.integers(0, len(TRADE_NOTES), n)], None)
    ctx.copy("trades", {
        "id": fmt.uuid(ids), "user_id": fmt.ref(ctx.customers.ids, book.owners[owner]),
        "portfolio_id": fmt.ref(portfolio_ids, owner),
        "trade_type": np.where(merged["buy"], TradeType.BUY.value, TradeType.SELL.value).astype(SD),
        "asset_type": market.asset_types[merged["symbol"]].astype(SD),
        "symbol": np.array(market.symbols)[merged["symbol"]].astype(SD),
        "asset_name": fmt.text(np.array(market.names)[merged["symbol"]].astype(SD)),
        "quantity": fmt.fixed(merged["qty"], 8), "price_per_unit": fmt.money(merged["price"]),
        "total_value": fmt.money(merged["value"]), "admin_note": fmt.text(note.tolist()),
        "executed_by": fmt.uuid(executed_by), "executed_at": fmt.ts(merged["ms"]), "created_at": fmt.ts(merged["ms"]),
    }, order=ordered(ids))


def _snapshot_chunks(ctx: Context, book: Book, portfolio_ids: np.ndarray, days_per_chunk: int):
    rng = ctx.streams.np("snapshots")
    w = book.window
    n = len(book.owners)
    pid = fmt.uuid(portfolio_ids)
    for start in range(0, SNAPSHOT_DAYS, days_per_chunk):
        days = np.arange(start, min(start + days_per_chunk, SNAPSHOT_DAYS))
        d = np.repeat(days, n)
        o = np.tile(np.arange(n), len(days))
        created = (clock.WINDOW_START_DAY + d + 1) * DAY_MS - rng.integers(1_000, 60_000, len(d))
        created = np.minimum(created, clock.NOW_MS - rng.integers(1_000, 60_000, len(d)))  # today's: taken by now
        ids = uuid7(rng, created)
        order = ordered(ids)
        d, o, ids, created = d[order], o[order], ids[order], created[order]
        crypto, stock, cash = w["crypto"][d, o], w["stock"][d, o], w["cash"][d, o]
        total, invested = crypto + stock + cash, w["invested"][d, o]
        yield {
            "id": fmt.uuid(ids), "portfolio_id": pid[o], "snapshot_date": fmt.date(clock.WINDOW_START_DAY + d),
            "total_value": fmt.money(total), "crypto_value": fmt.money(crypto), "stock_value": fmt.money(stock),
            "cash_value": fmt.money(cash), "net_flow": fmt.money(w["flow"][d, o]),
            "total_pnl": fmt.money(total - invested), "total_pnl_percent": fmt.fixed(_percent(total - invested, invested), 4),
            "created_at": fmt.ts(created),
        }


SNAPSHOT_COLUMNS = ["id", "portfolio_id", "snapshot_date", "total_value", "crypto_value", "stock_value", "cash_value",
                    "net_flow", "total_pnl", "total_pnl_percent", "created_at"]


def _second_approval_threshold(ctx: Context) -> int:
    row = ctx.loader.conn.execute("SELECT second_approval_threshold_usd FROM settings WHERE id = 1").fetchone()
    return int(row[0] * 100) if row else 1_000_000


def generate(ctx: Context) -> None:
    market = build_market(ctx.streams.np("market"))
    ctx.extras["market"] = market
    threshold = _second_approval_threshold(ctx)
    owners, slots = universe(ctx, market)
    t = payments.plan(ctx, market, slots)
    book = simulate(ctx, market, t, owners, slots[owners])
    payments.size_open_withdrawals(ctx, market, t, *balances(ctx, market, book), threshold)
    payments.finalize(ctx, t, threshold)
    portfolio_ids = _write_portfolios(ctx, book)
    _write_holdings(ctx, book, market, portfolio_ids)
    _write_trades(ctx, book, market, portfolio_ids)
    ctx.extras["transaction_ids"] = payments_write.write(ctx, t, market)
    ctx.extras["transactions"] = t
    days = max(1, 200_000 // max(len(book.owners), 1))
    ctx.copy_chunks("portfolio_snapshots", SNAPSHOT_COLUMNS, _snapshot_chunks(ctx, book, portfolio_ids, days),
                    total=SNAPSHOT_DAYS * len(book.owners))
