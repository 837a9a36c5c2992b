"""Customer deposits, withdrawals and other money movements (``transactions``, seed 001).

Planned in passes over whole columns: ``plan`` draws who, what, when and how much; the portfolio
simulation (``portfolios``) books the completed deposits and withdrawals the way the treasury service
does (``transactions.balances``: fiat moves the portfolio's cash by ``amount_usd``, crypto moves the
holding of that symbol by ``amount``; a withdrawal never exceeds what is there, otherwise it is
declined); ``size_open_withdrawals`` then makes every open withdrawal one a treasurer can approve
today (covered by the balance it would debit); ``finalize`` assigns the deciding treasurers (two for
a withdrawal above the maker-checker threshold), reasons and references.

Only states the services could have produced:

- Deposits and withdrawals are decided by TREASURERs (``transactions.approve``); only a withdrawal
  above ``settings.second_approval_threshold_usd`` waits for a second, different treasurer
  (AWAITING_SECOND_APPROVAL), as ``transactions.actions`` does. A completed deposit or withdrawal means
  the customer has a portfolio (the service creates one on the first approved deposit), so customers
  without one only have open, declined, cancelled or failed deposits.
- The platform books its other types (trades, P2P, loan repayments, ROI payouts) and fails payments:
  those rows have no reviewing officer (``processed_by``/``processed_at`` empty).
- Account-type rule: CRYPTO accounts deposit and withdraw only via CRYPTO_TRANSFER (in a coin they
  hold, for portfolio owners), STOCK accounts only via WIRE_TRANSFER, ACH or CARD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.models.enums import AccountType, Platform, Role, TransactionMethod, TransactionStatus, TransactionType
from dashboard.seed import clock
from dashboard.seed.clock import DAY_MS, HOUR_MS, MINUTE_MS, NULL_MS, days_of, later, recent, uniform_between
from dashboard.seed.context import Context, draw, lookup
from dashboard.seed.customers import COUNTRIES
from dashboard.seed.market import Market
from dashboard.transactions.rules import QUEUE_TYPES

S, T, M = TransactionStatus, TransactionType, TransactionMethod
STATUS_WEIGHTS = {S.COMPLETED: 0.884, S.DECLINED: 0.04, S.FAILED: 0.025, S.CANCELLED: 0.035, S.PENDING: 0.012,
                  S.AWAITING_SECOND_APPROVAL: 0.004}
# Customers without a portfolio: deposits that were never approved.
NO_PORTFOLIO_STATUS = {S.PENDING: 0.12, S.DECLINED: 0.38, S.CANCELLED: 0.38, S.FAILED: 0.12}
NO_PORTFOLIO_WEIGHT = 0.1  # how busy they are next to portfolio owners
BOOKED_BY_PLATFORM = {S.COMPLETED.value, S.FAILED.value, S.CANCELLED.value}  # non-queue types
VALIFI_TYPES = {T.DEPOSIT: 0.45, T.WITHDRAWAL: 0.2, T.TRADE: 0.1, T.P2P: 0.1, T.LOAN_REPAYMENT: 0.05, T.ROI_PAYOUT: 0.1}
OTHER_TYPES = {T.DEPOSIT: 0.62, T.WITHDRAWAL: 0.38}
FIAT_DEPOSIT = {M.WIRE_TRANSFER: 0.35, M.ACH: 0.45, M.CARD: 0.2}
FIAT_WITHDRAWAL = {M.WIRE_TRANSFER: 0.45, M.ACH: 0.55}
CRYPTO_CURRENCIES = {"BTC": 0.35, "ETH": 0.25, "USDT": 0.3, "USDC": 0.1}  # customers without a portfolio
# Median USD amount and spread of a deposit per platform
AMOUNTS = {Platform.VIP: (2_500, 1.1), Platform.VALIFI: (400, 1.0), Platform.DIBOAS: (150, 0.9),
           Platform.CRYPTO: (300, 1.0), Platform.TREASURY: (250, 1.0)}
MAX_USD_CENTS = 100_000_000  # $1M per movement
MIN_OPEN_WITHDRAWAL = 1_000  # $10: below that an open withdrawal is not worth a treasurer's time
PROCESSING = {M.CRYPTO_TRANSFER: (5 * MINUTE_MS, 6 * HOUR_MS), M.WIRE_TRANSFER: (2 * HOUR_MS, 3 * DAY_MS),
              M.ACH: (DAY_MS, 4 * DAY_MS), M.CARD: (MINUTE_MS, 30 * MINUTE_MS), M.INTERNAL: (MINUTE_MS, 10 * MINUTE_MS)}
DECLINE_REASONS = {
    T.DEPOSIT: ["Name on the sending account does not match the customer", "Source of funds documentation required",
                "Suspected third-party payment", "Card issuer declined the payment"],
    T.WITHDRAWAL: ["Withdrawal destination not verified", "Exceeds daily withdrawal limit",
                   "Suspicious activity review: customer contacted", "Insufficient available balance"],
}
FAILURE_NOTES = {M.WIRE_TRANSFER: "Bank returned the payment: beneficiary account closed",
                 M.ACH: "ACH return R01: insufficient funds at originating bank",
                 M.CARD: "Card payment reversed by the issuer", M.CRYPTO_TRANSFER: "Not confirmed on-chain within 24 hours",
                 M.INTERNAL: "Ledger posting rejected; retried as a new transaction"}
INSUFFICIENT = "Insufficient available balance"
UNSUPPORTED_COIN = "This coin cannot be held in the customer's portfolio"
KYC_NOT_DONE = "KYC verification not completed"
OPEN = (S.PENDING.value, S.AWAITING_SECOND_APPROVAL.value)


def _ensure(values: np.ndarray, wanted: list[str], candidates: np.ndarray | None = None) -> None:
    """Every wanted value at least once (on distinct rows among ``candidates``)."""
    rows = np.arange(len(values)) if candidates is None else candidates
    for i, value in enumerate(wanted):
        if len(rows) and not (values[rows] == value).any():
            values[rows[(i * 7919) % len(rows)]] = value


@dataclass
class Transactions:
    user: np.ndarray
    kind: np.ndarray
    method: np.ndarray
    status: np.ndarray
    created: np.ndarray
    processed: np.ndarray  # NULL_MS unless a treasurer decided it
    updated: np.ndarray
    currency: np.ndarray  # index into Market.currencies
    units: np.ndarray  # amount in 1e-8 currency units
    usd: np.ndarray  # amount_usd in cents
    withdraw_share: np.ndarray  # owners' completed withdrawals: share of the available balance
    reason: np.ndarray  # decline reason (object, None)
    first_by: np.ndarray | None = None
    first_at: np.ndarray | None = None
    processed_by: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.user)

    def sort_by_creation(self) -> None:
        """Rows in creation order, so that sorting them by (time-ordered) id later is cheap."""
        order = np.argsort(self.created, kind="stable")
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                setattr(self, name, value[order])

    def owner_flows(self, has_portfolio: np.ndarray) -> np.ndarray:
        """Rows that move a portfolio: completed deposits/withdrawals of portfolio owners."""
        return has_portfolio[self.user] & (self.status == S.COMPLETED) & np.isin(self.kind, [T.DEPOSIT, T.WITHDRAWAL])


def convert(market: Market, usd_cents: np.ndarray, currency: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(amount in 1e-8 currency units, its USD value in cents) for a USD target, never above it."""
    price = market.usd_cents_per_unit[currency, market.day_index(day)]
    quantum = market.quantum[currency]
    units = np.floor(usd_cents * 1e8 / price / quantum).astype(np.int64) * quantum
    units = np.maximum(units, quantum)
    return units, np.maximum(np.rint(units * price / 1e8).astype(np.int64), 1)


def value_of(market: Market, units: np.ndarray, currency: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The USD value in cents of ``units`` of each currency on each day (at least one cent)."""
    price = market.usd_cents_per_unit[currency, market.day_index(day)]
    return np.maximum(np.rint(units * price / 1e8).astype(np.int64), 1)


def _allocate(rng: np.random.Generator, ctx: Context, total: int) -> np.ndarray:
    """Owner of each transaction: approved customers, busier the longer they have been customers;
    customers without a portfolio far less (they only try to deposit)."""
    c = ctx.customers
    portfolio_platforms = np.isin(c.platform, [Platform.VIP.value, Platform.VALIFI.value, Platform.DIBOAS.value])
    eligible = np.flatnonzero(c.approved & (c.has_portfolio | portfolio_platforms))
    active_days = (clock.NOW_MS - c.kyc_approved_ms[eligible]) / DAY_MS
    weight = rng.lognormal(0, 0.8, len(eligible)) * np.maximum(active_days, 1)
    weight = weight * np.where(c.has_portfolio[eligible], 1.0, NO_PORTFOLIO_WEIGHT)
    counts = rng.multinomial(total, weight / weight.sum())
    return np.repeat(eligible, counts)


def _kinds_and_methods(rng: np.random.Generator, ctx: Context, user: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = ctx.customers
    n = len(user)
    valifi = (c.platform[user] == Platform.VALIFI.value) & c.has_portfolio[user]
    kind = np.where(valifi, draw(rng, VALIFI_TYPES, n), draw(rng, OTHER_TYPES, n))
    kind = np.where(c.has_portfolio[user], kind, T.DEPOSIT.value)
    _ensure(kind, [t.value for t in VALIFI_TYPES], np.flatnonzero(valifi))
    crypto = c.account_type[user] == AccountType.CRYPTO.value
    method = np.where(kind == T.DEPOSIT, draw(rng, FIAT_DEPOSIT, n), draw(rng, FIAT_WITHDRAWAL, n))
    method = np.where(crypto, M.CRYPTO_TRANSFER.value, method)
    method = np.where(np.isin(kind, [T.DEPOSIT, T.WITHDRAWAL]), method, M.INTERNAL.value)
    return kind, method


def _statuses(rng: np.random.Generator, ctx: Context, user: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Only what the services (or the platform) produce: see the module notes."""
    owner = ctx.customers.has_portfolio[user]
    n = len(user)
    status = np.where(owner, draw(rng, STATUS_WEIGHTS, n), draw(rng, NO_PORTFOLIO_STATUS, n))
    queue = np.isin(kind, QUEUE_TYPES)
    status = np.where(~queue & ~np.isin(status, list(BOOKED_BY_PLATFORM)), S.COMPLETED.value, status)
    awaiting = status == S.AWAITING_SECOND_APPROVAL
    status = np.where(awaiting & (kind != T.WITHDRAWAL), S.PENDING.value, status)
    _ensure(status, [S.AWAITING_SECOND_APPROVAL.value], np.flatnonzero(owner & (kind == T.WITHDRAWAL)))
    return status


def _currencies(rng: np.random.Generator, ctx: Context, market: Market, slots: np.ndarray, user: np.ndarray,
                method: np.ndarray) -> np.ndarray:
    """Fiat: the country's currency. Crypto: for a portfolio owner, a coin of the portfolio (favourite
    first), so the deposit lands in that holding; otherwise BTC, ETH or a stablecoin."""
    c = ctx.customers
    fiat = lookup(c.country, lambda code: COUNTRIES[code].currency)[user]
    code = lookup(np.where(method == M.CRYPTO_TRANSFER, draw(rng, CRYPTO_CURRENCIES, len(user)), fiat),
                  market.currencies.index).astype(np.int64)
    code = np.where(method == M.INTERNAL, market.currency_index("USD"), code)
    as_currency = np.full(len(market.symbols), -1, dtype=np.int64)
    as_currency[market.currency_asset[market.currency_asset >= 0]] = np.flatnonzero(market.currency_asset >= 0)
    held = np.where(slots[user] >= 0, as_currency[np.maximum(slots[user], 0)], -1)  # [row, slot] currency or -1
    rows = np.flatnonzero((method == M.CRYPTO_TRANSFER) & c.has_portfolio[user])
    if len(rows):
        weight = np.where(held[rows] >= 0, 0.5 ** np.arange(held.shape[1]), 0.0)
        pick = (weight.cumsum(1) / np.maximum(weight.sum(1, keepdims=True), 1e-9) < rng.random((len(rows), 1))).sum(1)
        chosen = held[rows, np.minimum(pick, held.shape[1] - 1)]
        code[rows] = np.where(chosen >= 0, chosen, code[rows])
    return code


def _targets(rng: np.random.Generator, ctx: Context, user: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """USD amounts in cents."""
    platform = ctx.customers.platform[user]
    median = lookup(platform, lambda p: AMOUNTS[Platform(p)][0]).astype(float)
    spread = lookup(platform, lambda p: AMOUNTS[Platform(p)][1]).astype(float)
    usd = rng.lognormal(np.log(median * 100), spread)
    usd = np.where(kind == T.ROI_PAYOUT, usd * 0.05, usd)
    usd = np.where(kind == T.WITHDRAWAL, usd * 0.7, usd)
    return np.clip(np.rint(usd), 500, MAX_USD_CENTS).astype(np.int64)


def _round_fiat_deposits(rng: np.random.Generator, market: Market, t: Transactions) -> None:
    """People deposit round amounts: 500.00 rather than 487.13."""
    fiat = market.quantum[t.currency] > 1
    tens = 10 * 100_000_000
    pick = fiat & (t.kind == T.DEPOSIT) & (rng.random(len(t)) < 0.6) & (t.units >= tens)
    t.units = np.where(pick, np.rint(t.units / tens).astype(np.int64) * tens, t.units)
    t.usd = np.where(pick, value_of(market, t.units, t.currency, days_of(t.created)), t.usd)


def _times(rng: np.random.Generator, ctx: Context, user: np.ndarray, status: np.ndarray, kind: np.ndarray,
           method: np.ndarray) -> tuple:
    start = ctx.customers.kyc_approved_ms[user] + HOUR_MS
    created = uniform_between(rng, start, clock.NOW_MS - 10 * MINUTE_MS)
    queued = np.isin(status, OPEN)
    created = np.where(queued, recent(rng, start, 2.5 * DAY_MS, 30 * DAY_MS), created)
    low = lookup(method, lambda m: PROCESSING[M(m)][0])
    high = lookup(method, lambda m: PROCESSING[M(m)][1])
    done = later(rng, created, low, high)
    reviewed = np.isin(kind, QUEUE_TYPES) & np.isin(status, [S.COMPLETED, S.DECLINED])
    processed = np.where(reviewed, done, NULL_MS)
    cancelled = later(rng, created, 5 * MINUTE_MS, DAY_MS)
    updated = np.where(status == S.CANCELLED, cancelled, np.where(np.isin(status, OPEN), created, done))
    return created, processed, updated


def _unverified_attempts(rng: np.random.Generator, ctx: Context, count: int) -> np.ndarray:
    """Customers without an approved KYC who tried to deposit anyway."""
    c = ctx.customers
    pool = np.flatnonzero(~c.approved & (np.isin(c.platform, ["VIP", "VALIFI", "DIBOAS"]) | c.has_portfolio))
    return pool[rng.integers(0, len(pool), count)] if len(pool) else np.array([], dtype=np.int64)


def _unverified_rows(rng: np.random.Generator, ctx: Context, users: np.ndarray) -> dict[str, np.ndarray]:
    """Deposits tried before KYC approval: declined by a treasurer or cancelled by the customer."""
    c = ctx.customers
    n = len(users)
    status = np.where(rng.random(n) < 0.7, S.DECLINED.value, S.CANCELLED.value)
    created = uniform_between(rng, c.created_ms[users] + HOUR_MS, clock.NOW_MS - HOUR_MS)
    done = later(rng, created, 10 * MINUTE_MS, DAY_MS)
    return {"user": users, "status": status, "kind": np.full(n, T.DEPOSIT.value),
            "method": np.where(c.account_type[users] == "CRYPTO", M.CRYPTO_TRANSFER.value, M.WIRE_TRANSFER.value),
            "created": created, "processed": np.where(status == S.DECLINED, done, NULL_MS), "updated": done,
            "reason": np.where(status == S.DECLINED, KYC_NOT_DONE, None).astype(object)}


def _verified_rows(rng: np.random.Generator, ctx: Context, count: int) -> dict[str, np.ndarray]:
    user = _allocate(rng, ctx, count)
    kind, method = _kinds_and_methods(rng, ctx, user)
    status = _statuses(rng, ctx, user, kind)
    created, processed, updated = _times(rng, ctx, user, status, kind, method)
    return {"user": user, "status": status, "kind": kind, "method": method, "created": created,
            "processed": processed, "updated": updated, "reason": np.full(len(user), None, dtype=object)}


def plan(ctx: Context, market: Market, slots: np.ndarray) -> Transactions:
    """Who, what, when and how much (USD amounts converted at the day's rate). ``slots``: each
    customer's portfolio symbols ([customer, slot] asset index, -1 without a portfolio)."""
    rng = ctx.streams.np("transactions")
    total = ctx.profile.transactions
    early = _unverified_attempts(rng, ctx, max(total // 200, 2))
    parts = [_verified_rows(rng, ctx, total - len(early)), _unverified_rows(rng, ctx, early)]
    r = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    currency = _currencies(rng, ctx, market, slots, r["user"], r["method"])
    targets = _targets(rng, ctx, r["user"], r["kind"])
    units, usd = convert(market, targets, currency, days_of(r["created"]))
    t = Transactions(**r, currency=currency, units=units, usd=usd, withdraw_share=rng.uniform(0.1, 0.8, len(units)))
    _round_fiat_deposits(rng, market, t)
    t.sort_by_creation()
    return t


def size_open_withdrawals(ctx: Context, market: Market, t: Transactions, cash: np.ndarray,
                          holding: dict[tuple[int, int], int], threshold: int) -> None:
    """Open withdrawals a treasurer can approve today: together they fit in the balance each would debit
    (``cash``: each customer's cash in cents; ``holding``: (customer, currency) -> units). Those waiting
    for a second approval are above the threshold; at least one is, when some customer can afford it."""
    rng = ctx.streams.np("open-withdrawals")
    rows = np.flatnonzero((t.kind == T.WITHDRAWAL) & np.isin(t.status, OPEN))
    crypto = market.quantum[t.currency] == 1
    groups: dict[tuple[int, int], list[int]] = {}
    for row in rows:
        groups.setdefault((int(t.user[row]), int(t.currency[row]) if crypto[row] else -1), []).append(int(row))
    fiat = [(user, mine) for (user, currency), mine in groups.items() if currency < 0]
    affordable = [g for g in fiat if cash[g[0]] > threshold * 1.3]
    if affordable and not any(t.status[r] == S.AWAITING_SECOND_APPROVAL for g in affordable for r in g[1]):
        richest = max(affordable, key=lambda g: cash[g[0]])
        t.status[richest[1][0]] = S.AWAITING_SECOND_APPROVAL.value
    for user, mine in fiat:  # the USD cash balance covers amount_usd
        budget = int(cash[user] * rng.uniform(0.6, 0.95))
        big = [r for r in mine if t.status[r] == S.AWAITING_SECOND_APPROVAL and budget > threshold * 1.05 * len(mine)]
        wants = {r: int(rng.uniform(threshold * 1.01, budget / len(mine))) for r in big}
        rest = (budget - sum(wants.values())) // max(len(mine) - len(big), 1)
        for r in mine:
            if r not in wants:
                t.status[r] = S.PENDING.value
                wants[r] = int(rest * rng.uniform(0.3, 1.0))
            t.units[r], t.usd[r] = (a[0] for a in convert(market, np.array([max(wants[r], 1)]), t.currency[r:r + 1],
                                                          days_of(t.created[r:r + 1])))
    for (user, currency), mine in groups.items():  # crypto: the holding's quantity covers the amount
        if currency < 0:
            continue
        budget = int(holding.get((user, currency), 0) * rng.uniform(0.5, 0.95))
        for r in mine:
            t.units[r] = int(budget // len(mine) * rng.uniform(0.3, 1.0))
            t.usd[r] = value_of(market, t.units[r:r + 1], t.currency[r:r + 1], days_of(t.created[r:r + 1]))[0]
            if not t.usd[r] > threshold:
                t.status[r] = S.PENDING.value
    # nothing to withdraw (or not worth it): the customer cancelled the request
    tiny = rows[(t.units[rows] <= 0) | (t.usd[rows] < MIN_OPEN_WITHDRAWAL)]
    t.status[tiny] = S.CANCELLED.value
    t.units[tiny] = np.maximum(t.units[tiny], market.quantum[t.currency[tiny]])
    t.usd[tiny] = value_of(market, t.units[tiny], t.currency[tiny], days_of(t.created[tiny]))
    t.updated[tiny] = later(rng, t.created[tiny], 5 * MINUTE_MS, HOUR_MS)


def finalize(ctx: Context, t: Transactions, threshold: int) -> None:
    """Deciding treasurers and reasons, once amounts are final."""
    rng = ctx.streams.np("transactions-review")
    staff = ctx.staff
    n = len(t)
    maker, checker = staff.pick_pair(rng, n, Role.TREASURER)
    regular = staff.pick(rng, n, Role.TREASURER)
    four_eyes = (t.kind == T.WITHDRAWAL) & (t.usd > threshold) & np.isin(t.status, [S.COMPLETED, S.AWAITING_SECOND_APPROVAL])
    processed = t.processed != NULL_MS
    t.processed_by = np.where(processed, np.where(four_eyes, checker, regular), b"")
    t.first_by = np.where(four_eyes, maker, b"")
    end = np.where(processed, t.processed, clock.NOW_MS - MINUTE_MS)
    first_at = t.created + ((end - t.created) * rng.uniform(0.2, 0.8, n)).astype(np.int64)
    t.first_at = np.where(four_eyes, first_at, NULL_MS)
    t.updated = np.where(t.status == S.AWAITING_SECOND_APPROVAL, t.first_at, t.updated)
    declined = (t.status == S.DECLINED) & np.equal(t.reason, None)
    for kind in (T.DEPOSIT, T.WITHDRAWAL):
        rows = np.flatnonzero(declined & (t.kind == kind))
        t.reason[rows] = np.array(DECLINE_REASONS[kind], dtype=object)[rng.integers(0, len(DECLINE_REASONS[kind]), len(rows))]
