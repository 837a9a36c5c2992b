"""Customer deposits, withdrawals and other money movements (``transactions``).

Planned in three passes over whole columns: ``plan`` draws who, what, when and how much;
the portfolio simulation then fixes the amounts of portfolio owners' completed withdrawals (a
withdrawal never exceeds the cash available that day, otherwise it is declined); ``finalize``
assigns reviewers (four-eyes above the second-approval threshold), reasons and references.

Account-type rule (seed 001): CRYPTO accounts deposit and withdraw only via CRYPTO_TRANSFER,
STOCK accounts only via WIRE_TRANSFER, ACH or CARD (fiat). Other movements are INTERNAL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dashboard.models.enums import AccountType, Platform, ReviewableEntity, Role, TransactionMethod, TransactionStatus, TransactionType
from dashboard.seed import copy as fmt
from dashboard.seed import clock
from dashboard.seed.clock import DAY_MS, HOUR_MS, MINUTE_MS, NULL_MS, days_of, later, recent, uniform_between
from dashboard.seed.context import Context, draw, lookup
from dashboard.seed.customers import COUNTRIES
from dashboard.seed.ids import SD, digits, hex_tokens, numbered, ordered, uuid7
from dashboard.seed.market import Market

S, T, M = TransactionStatus, TransactionType, TransactionMethod
STATUS_WEIGHTS = {S.COMPLETED: 0.884, S.DECLINED: 0.04, S.FAILED: 0.025, S.CANCELLED: 0.035, S.PENDING: 0.012,
                  S.AWAITING_SECOND_APPROVAL: 0.004}
VALIFI_TYPES = {T.DEPOSIT: 0.45, T.WITHDRAWAL: 0.2, T.TRADE: 0.1, T.P2P: 0.1, T.LOAN_REPAYMENT: 0.05, T.ROI_PAYOUT: 0.1}
OTHER_TYPES = {T.DEPOSIT: 0.62, T.WITHDRAWAL: 0.38}
FIAT_DEPOSIT = {M.WIRE_TRANSFER: 0.35, M.ACH: 0.45, M.CARD: 0.2}
FIAT_WITHDRAWAL = {M.WIRE_TRANSFER: 0.45, M.ACH: 0.55}
CRYPTO_CURRENCIES = {"BTC": 0.35, "ETH": 0.25, "USDT": 0.3, "USDC": 0.1}
# Median USD amount and spread of a deposit per platform
AMOUNTS = {Platform.VIP: (2_500, 1.1), Platform.VALIFI: (400, 1.0), Platform.DIBOAS: (150, 0.9),
           Platform.CRYPTO: (300, 1.0), Platform.TREASURY: (250, 1.0)}
MAX_USD_CENTS = 100_000_000  # $1M per movement
PROCESSING = {M.CRYPTO_TRANSFER: (5 * MINUTE_MS, 6 * HOUR_MS), M.WIRE_TRANSFER: (2 * HOUR_MS, 3 * DAY_MS),
              M.ACH: (DAY_MS, 4 * DAY_MS), M.CARD: (MINUTE_MS, 30 * MINUTE_MS), M.INTERNAL: (MINUTE_MS, 10 * MINUTE_MS)}
DECLINE_REASONS = {
    T.DEPOSIT: ["Name on the sending account does not match the customer", "Source of funds documentation required",
                "Suspected third-party payment", "Card issuer declined the payment"],
    T.WITHDRAWAL: ["Withdrawal destination not verified", "Exceeds daily withdrawal limit",
                   "Suspicious activity review: customer contacted", "Insufficient available balance"],
}
OTHER_DECLINE = ["Duplicate request", "Counterparty account restricted"]
FAILURE_NOTES = {M.WIRE_TRANSFER: "Bank returned the payment: beneficiary account closed",
                 M.ACH: "ACH return R01: insufficient funds at originating bank",
                 M.CARD: "Card payment reversed by the issuer", M.CRYPTO_TRANSFER: "Not confirmed on-chain within 24 hours",
                 M.INTERNAL: "Ledger posting rejected; retried as a new transaction"}
INSUFFICIENT = "Insufficient available balance"
KYC_NOT_DONE = "KYC verification not completed"


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
    processed: np.ndarray  # NULL_MS until processed (also: the cancel time of CANCELLED rows, see updated)
    updated: np.ndarray
    currency: np.ndarray  # index into Market.currencies
    units: np.ndarray  # amount in 1e-8 currency units
    usd: np.ndarray  # amount_usd in cents
    withdraw_share: np.ndarray  # owners' completed withdrawals: share of available cash
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
        """Rows that move a portfolio's cash: completed deposits/withdrawals of portfolio owners."""
        return has_portfolio[self.user] & (self.status == S.COMPLETED) & np.isin(self.kind, [T.DEPOSIT, T.WITHDRAWAL])


def convert(market: Market, usd_cents: np.ndarray, currency: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(amount in 1e-8 currency units, its USD value in cents) for a USD target, never above it."""
    price = market.usd_cents_per_unit[currency, market.day_index(day)]
    quantum = market.quantum[currency]
    units = np.floor(usd_cents * 1e8 / price / quantum).astype(np.int64) * quantum
    units = np.maximum(units, quantum)
    return units, np.maximum(np.rint(units * price / 1e8).astype(np.int64), 1)


def _allocate(rng: np.random.Generator, ctx: Context, total: int) -> np.ndarray:
    """Owner of each transaction: approved customers, busier the longer they have been customers."""
    c = ctx.customers
    portfolio_platforms = np.isin(c.platform, [Platform.VIP.value, Platform.VALIFI.value, Platform.DIBOAS.value])
    eligible = np.flatnonzero(c.approved & (c.has_portfolio | portfolio_platforms))
    active_days = (clock.NOW_MS - c.kyc_approved_ms[eligible]) / DAY_MS
    weight = rng.lognormal(0, 0.8, len(eligible)) * np.maximum(active_days, 1)
    counts = rng.multinomial(total, weight / weight.sum())
    return np.repeat(eligible, counts)


def _kinds_and_methods(rng: np.random.Generator, ctx: Context, user: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = ctx.customers
    n = len(user)
    valifi = c.platform[user] == Platform.VALIFI.value
    kind = np.where(valifi, draw(rng, VALIFI_TYPES, n), draw(rng, OTHER_TYPES, n))
    _ensure(kind, [t.value for t in VALIFI_TYPES], np.flatnonzero(valifi))
    crypto = c.account_type[user] == AccountType.CRYPTO.value
    method = np.where(kind == T.DEPOSIT, draw(rng, FIAT_DEPOSIT, n), draw(rng, FIAT_WITHDRAWAL, n))
    method = np.where(crypto, M.CRYPTO_TRANSFER.value, method)
    method = np.where(np.isin(kind, [T.DEPOSIT, T.WITHDRAWAL]), method, M.INTERNAL.value)
    return kind, method


def _currencies(rng: np.random.Generator, ctx: Context, market: Market, user: np.ndarray, method: np.ndarray) -> np.ndarray:
    c = ctx.customers
    fiat = lookup(c.country, lambda code: COUNTRIES[code].currency)[user]
    code = np.where(method == M.CRYPTO_TRANSFER, draw(rng, CRYPTO_CURRENCIES, len(user)), fiat)
    code = np.where(method == M.INTERNAL, "USD", code)
    return lookup(code, market.currencies.index).astype(np.int64)


def _targets(rng: np.random.Generator, ctx: Context, user: np.ndarray, kind: np.ndarray, status: np.ndarray,
             threshold: int) -> np.ndarray:
    """USD amounts in cents."""
    platform = ctx.customers.platform[user]
    median = lookup(platform, lambda p: AMOUNTS[Platform(p)][0]).astype(float)
    spread = lookup(platform, lambda p: AMOUNTS[Platform(p)][1]).astype(float)
    usd = rng.lognormal(np.log(median * 100), spread)
    usd = np.where(kind == T.ROI_PAYOUT, usd * 0.05, usd)
    usd = np.where(kind == T.WITHDRAWAL, usd * 0.7, usd)
    big = np.exp(rng.uniform(np.log(threshold), np.log(threshold * 25), len(user)))
    usd = np.where(status == S.AWAITING_SECOND_APPROVAL, big, usd)
    return np.clip(np.rint(usd), 500, MAX_USD_CENTS).astype(np.int64)


def _round_fiat_deposits(rng: np.random.Generator, market: Market, t: Transactions) -> None:
    """People deposit round amounts: 500.00 rather than 487.13."""
    fiat = market.quantum[t.currency] > 1
    tens = 10 * 100_000_000
    pick = fiat & (t.kind == T.DEPOSIT) & (rng.random(len(t)) < 0.6) & (t.units >= tens)
    t.units = np.where(pick, np.rint(t.units / tens).astype(np.int64) * tens, t.units)
    price = market.usd_cents_per_unit[t.currency, market.day_index(days_of(t.created))]
    t.usd = np.where(pick, np.maximum(np.rint(t.units * price / 1e8).astype(np.int64), 1), t.usd)


def _times(rng: np.random.Generator, ctx: Context, user: np.ndarray, status: np.ndarray, method: np.ndarray) -> tuple:
    start = ctx.customers.kyc_approved_ms[user] + HOUR_MS
    created = uniform_between(rng, start, clock.NOW_MS - 10 * MINUTE_MS)
    queued = np.isin(status, [S.PENDING, S.AWAITING_SECOND_APPROVAL])
    created = np.where(queued, recent(rng, start, 2.5 * DAY_MS, 30 * DAY_MS), created)
    low = lookup(method, lambda m: PROCESSING[M(m)][0])
    high = lookup(method, lambda m: PROCESSING[M(m)][1])
    done = later(rng, created, low, high)
    processed = np.where(np.isin(status, [S.COMPLETED, S.DECLINED, S.FAILED]), done, NULL_MS)
    cancelled = later(rng, created, 5 * MINUTE_MS, DAY_MS)
    updated = np.where(processed != NULL_MS, processed, np.where(status == S.CANCELLED, cancelled, created))
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
    status = draw(rng, STATUS_WEIGHTS, len(user))
    kind, method = _kinds_and_methods(rng, ctx, user)
    created, processed, updated = _times(rng, ctx, user, status, method)
    return {"user": user, "status": status, "kind": kind, "method": method, "created": created,
            "processed": processed, "updated": updated, "reason": np.full(len(user), None, dtype=object)}


def plan(ctx: Context, market: Market, threshold: int) -> Transactions:
    """Who, what, when and how much (USD amounts converted at the day's rate)."""
    rng = ctx.streams.np("transactions")
    total = ctx.profile.transactions
    early = _unverified_attempts(rng, ctx, max(total // 200, 2))
    parts = [_verified_rows(rng, ctx, total - len(early)), _unverified_rows(rng, ctx, early)]
    r = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    currency = _currencies(rng, ctx, market, r["user"], r["method"])
    targets = _targets(rng, ctx, r["user"], r["kind"], r["status"], threshold)
    units, usd = convert(market, targets, currency, days_of(r["created"]))
    t = Transactions(**r, currency=currency, units=units, usd=usd, withdraw_share=rng.uniform(0.1, 0.8, len(units)))
    _round_fiat_deposits(rng, market, t)
    t.sort_by_creation()
    return t


def finalize(ctx: Context, t: Transactions, threshold: int) -> None:
    """Reviewers and reasons, once amounts are final."""
    rng = ctx.streams.np("transactions-review")
    staff = ctx.staff
    n = len(t)
    reviewers = (Role.TREASURER, Role.ADMIN, Role.MANAGER)
    maker, checker = staff.pick_pair(rng, n, *reviewers)
    regular = np.where(rng.random(n) < 0.9, staff.pick(rng, n, Role.TREASURER), staff.pick(rng, n, Role.ADMIN, Role.MANAGER))
    four_eyes = (t.usd >= threshold) & np.isin(t.status, [S.COMPLETED, S.AWAITING_SECOND_APPROVAL])
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
    rows = np.flatnonzero(declined & ~np.isin(t.kind, [T.DEPOSIT, T.WITHDRAWAL]))
    t.reason[rows] = np.array(OTHER_DECLINE, dtype=object)[rng.integers(0, len(OTHER_DECLINE), len(rows))]


def _descriptions(t: Transactions, market: Market) -> np.ndarray:
    code = np.array(market.currencies)[t.currency]
    amount = np.strings.add(np.strings.add(fmt.fixed(t.units, 8), " "), code.astype(SD))
    crypto_in = np.strings.add("Deposit of ", amount)
    crypto_out = np.strings.add("Withdrawal of ", amount)
    table = {
        (T.DEPOSIT, M.WIRE_TRANSFER): "Wire transfer deposit", (T.DEPOSIT, M.ACH): "ACH deposit",
        (T.DEPOSIT, M.CARD): "Card deposit", (T.WITHDRAWAL, M.WIRE_TRANSFER): "Withdrawal by wire transfer",
        (T.WITHDRAWAL, M.ACH): "ACH withdrawal", (T.TRADE, M.INTERNAL): "Trade settlement",
        (T.P2P, M.INTERNAL): "P2P transfer", (T.LOAN_REPAYMENT, M.INTERNAL): "Loan repayment",
        (T.ROI_PAYOUT, M.INTERNAL): "Monthly ROI payout",
    }
    out = np.full(len(t), "", dtype=SD)
    for (kind, method), text in table.items():
        out = np.where((t.kind == kind) & (t.method == method), text, out).astype(SD)
    out = np.where((t.kind == T.DEPOSIT) & (t.method == M.CRYPTO_TRANSFER), crypto_in, out)
    return np.where((t.kind == T.WITHDRAWAL) & (t.method == M.CRYPTO_TRANSFER), crypto_out, out).astype(SD)


def _receipts(ctx: Context, t: Transactions, ids: np.ndarray, market: Market) -> np.ndarray:
    """Payment proofs of wire deposits: one file per open item, a shared pool for decided ones."""
    from dashboard.seed import images

    c = ctx.customers
    keys = np.full(len(t), fmt.NULL, dtype=SD)
    wired = np.flatnonzero((t.kind == T.DEPOSIT) & (t.method == M.WIRE_TRANSFER) & (t.status != S.CANCELLED))
    open_rows = wired[np.isin(t.status[wired], [S.PENDING, S.AWAITING_SECOND_APPROVAL])]
    banks = ["Chase", "Barclays", "Deutsche Bank", "BNP Paribas", "Santander", "HSBC", "ING", "Wells Fargo"]
    for row in open_rows:
        user = t.user[row]
        amount = f"{market.currencies[t.currency[row]]} {t.units[row] / 1e8:,.2f}"
        key = f"receipts/{c.ids[user].decode()}/{ids[row].decode()}.jpg"
        ctx.files.put(key, images.receipt(banks[row % len(banks)], f"{c.first_name[user]} {c.last_name[user]}",
                                           amount, f"FT{row:010d}", seed=int(row)))
        keys[row] = key
    for slot in range(6):
        key = f"receipts/pool/receipt-{slot}.jpg"
        ctx.files.shared(key, lambda s=slot: images.receipt(banks[s], "Account holder", "USD 1,000.00", f"FT{s:010d}", s))
    decided = np.setdiff1d(wired, open_rows)
    keys[decided] = np.strings.add(np.strings.add("receipts/pool/receipt-", (decided % 6).astype(SD)), ".jpg")
    return keys


def write(ctx: Context, t: Transactions, market: Market) -> np.ndarray:
    rng = ctx.streams.np("transactions-write")
    ids = uuid7(rng, t.created)
    order = ordered(ids)
    reference = np.empty(len(t), dtype=SD)
    reference[order] = numbered("TX", days_of(t.created[order]), np.arange(1, len(t) + 1))
    crypto = t.method == M.CRYPTO_TRANSFER
    hashes = hex_tokens(rng, len(t), 64)
    evm = crypto & (np.array(market.currencies)[t.currency] != "BTC")
    chain_id = np.where(crypto, np.where(evm, np.strings.add("0x", hashes), hashes), fmt.NULL).astype(SD)
    bank = np.where(t.method == M.WIRE_TRANSFER, np.strings.add("FT", digits(rng, len(t), 10)),
                    np.where(t.method == M.ACH, np.strings.add("ACH", digits(rng, len(t), 9)), fmt.NULL)).astype(SD)
    failed = t.status == S.FAILED
    note = np.where(failed, lookup(t.method, lambda m: FAILURE_NOTES[M(m)]).astype(object), None)
    note = np.where(~failed & (rng.random(len(t)) < 0.01), "Confirmed with the customer by phone", note)
    columns = {
        "id": fmt.uuid(ids), "user_id": fmt.ref(ctx.customers.ids, t.user), "reference": reference,
        "transaction_type": t.kind.astype(SD), "amount": fmt.fixed(t.units, 8),
        "currency": np.array(market.currencies)[t.currency].astype(SD), "amount_usd": fmt.money(t.usd),
        "method": t.method.astype(SD), "status": t.status.astype(SD), "description": _descriptions(t, market),
        "receipt_key": _receipts(ctx, t, ids, market), "blockchain_tx_id": chain_id, "bank_reference": bank,
        "admin_note": fmt.text(note.tolist()), "decline_reason": fmt.text(t.reason.tolist()),
        "first_approved_by": fmt.optional_uuid(t.first_by), "first_approved_at": fmt.ts(t.first_at),
        "processed_by": fmt.optional_uuid(t.processed_by), "processed_at": fmt.ts(t.processed),
        "created_at": fmt.ts(t.created), "updated_at": fmt.ts(t.updated),
    }
    ctx.copy("transactions", columns, order=order)
    _history(ctx, t, ids)
    return ids


def _history(ctx: Context, t: Transactions, ids: np.ndarray) -> None:
    h = ctx.history
    if not h.wants(ReviewableEntity.TRANSACTION):
        return
    users = ctx.customers.ids[t.user]
    h.add(ReviewableEntity.TRANSACTION, ids, None, S.PENDING.value, t.created, users)
    first = t.first_at != NULL_MS
    h.add(ReviewableEntity.TRANSACTION, ids[first], S.PENDING.value, S.AWAITING_SECOND_APPROVAL.value,
          t.first_at[first], t.first_by[first])
    done = np.flatnonzero(t.processed != NULL_MS)
    before = np.where(first[done], S.AWAITING_SECOND_APPROVAL.value, S.PENDING.value).astype(object)
    h.add(ReviewableEntity.TRANSACTION, ids[done], before, t.status[done].astype(object), t.processed[done],
          t.processed_by[done], t.reason[done].tolist())
    cancelled = np.flatnonzero(t.status == S.CANCELLED)
    h.add(ReviewableEntity.TRANSACTION, ids[cancelled], S.PENDING.value, S.CANCELLED.value, t.updated[cancelled],
          users[cancelled], "Cancelled by the customer")
