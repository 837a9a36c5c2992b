"""Writing the planned ``transactions`` (see ``payments``): references, descriptions, chain and bank
ids, payment proofs of open wire deposits, and their ``status_history``.

Who changed a row's status, as the services would have: the customer created (and may cancel) it; a
TREASURER approved or declined a deposit or withdrawal (a withdrawal above the maker-checker threshold
twice, by two treasurers); the platform booked the other types and failed a payment (system actor).
"""

from __future__ import annotations

import numpy as np

from dashboard.models.enums import ReviewableEntity
from dashboard.seed import copy as fmt
from dashboard.seed.clock import NULL_MS, days_of
from dashboard.seed.context import Context, lookup
from dashboard.seed.ids import SD, digits, hex_tokens, numbered, ordered, uuid7
from dashboard.seed.market import Market
from dashboard.seed.payments import FAILURE_NOTES, M, S, T, Transactions


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
    booked = np.flatnonzero((t.processed == NULL_MS) & np.isin(t.status, [S.COMPLETED, S.FAILED]))  # the platform
    notes = np.where(t.status[booked] == S.FAILED, [FAILURE_NOTES[M(m)] for m in t.method[booked]], None)
    h.add(ReviewableEntity.TRANSACTION, ids[booked], S.PENDING.value, t.status[booked].astype(object), t.updated[booked],
          b"", notes.tolist())
