"""Group treasury (seed 004), written: groups, memberships, virtual accounts, the NGN ledger, withdrawal
requests with their approvals, payouts with every provider call (``payout_attempt``), recoveries,
provider callbacks and status history, as the group services leave them (``groups.actions``,
``groups.effects``). The plan is ``groups_plan``.

- A PAID request has a SUCCESS payout (a few after a FAILED first attempt and an explicit retry) and
  exactly one ledger DEBIT, ``PAYOUT-<request id>``, carrying the provider's reference.
- An APPROVED request has no payout yet (it can be paid or declined) or a FAILED one with an open
  recovery (it can be retried or declined). None is left in flight: a payout the provider accepted but
  has not confirmed can be neither paid again nor declined, so the demo has none.
- Each provider call is one ``payout_attempt`` (PAY, then RETRY), referenced ``WDR-<request id>-<n>``.
"""

from __future__ import annotations

import random

import numpy as np

from dashboard.models.enums import AccountStatus, LedgerSource, LedgerType, PayoutStatus, ReviewableEntity
from dashboard.seed import clock
from dashboard.seed import copy as fmt
from dashboard.seed.clock import HOUR_MS, MINUTE_MS, NULL_MS, days_of
from dashboard.seed.context import Context
from dashboard.seed.groups_plan import CITIES, EXPIRY_MS, KINDS, KOBO_PER_NAIRA, WS, Treasury, plan
from dashboard.seed.ids import SD, hex_tokens, numbered, ordered, uuid7

PAYOUT_ERRORS = ["Insufficient balance in payout wallet", "Beneficiary bank unavailable", "Provider timeout"]
FAILED_SHARE = 0.4  # approved requests whose first payout attempt failed (retry or decline)


def dashed(ids: np.ndarray) -> np.ndarray:
    """UUIDs (32 hex digits) in their usual 8-4-4-4-12 text form."""
    ids = np.asarray(ids).astype(SD)
    parts = [np.strings.slice(ids, a, b) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    out = parts[0]
    for part in parts[1:]:
        out = np.strings.add(np.strings.add(out, "-"), part)
    return out


def _write_groups(ctx: Context, t: Treasury) -> np.ndarray:
    rng = ctx.streams.np("group-ids")
    n = len(t.created)
    ids = uuid7(rng, t.created)
    combos = len(CITIES) * len(KINDS)  # unique names: city x kind, then numbered chapters
    names = [f"{CITIES[i % len(CITIES)]} {KINDS[(i + i // len(CITIES)) % len(KINDS)]}"
             + (f" (chapter {i // combos + 1})" if i >= combos else "") for i in range(n)]
    ctx.extras["group_names"] = names
    token = np.where(rng.random(n) < 0.4, hex_tokens(rng, n, 32), fmt.NULL).astype(SD)
    ctx.copy("group", {
        "id": fmt.uuid(ids), "name": fmt.text(names),
        "description": fmt.text([f"Contributions and payouts of the {name}." for name in names]),
        "rule_template": fmt.text([r[0] for r in t.rule]), "approvals_required": fmt.integer([r[1] for r in t.rule]),
        "approvals_cap": fmt.integer([r[2] for r in t.rule]), "created_by": fmt.ref(ctx.customers.ids, t.owner),
        "public_read_token": token, "created_at": fmt.ts(t.created),
    }, order=ordered(ids))
    return ids


def _write_memberships(ctx: Context, t: Treasury, group_ids: np.ndarray) -> None:
    rng = ctx.streams.np("membership-ids")
    joined = np.array([m.joined for m in t.members], dtype=np.int64)
    ids = uuid7(rng, joined)
    ctx.copy("group_membership", {
        "id": fmt.uuid(ids), "group_id": fmt.ref(group_ids, np.array([m.group for m in t.members])),
        "user_id": fmt.ref(ctx.customers.ids, np.array([m.user for m in t.members])),
        "role_in_group": fmt.text([m.role.value for m in t.members]), "joined_at": fmt.ts(joined),
        "removed_at": fmt.ts(np.array([m.removed for m in t.members], dtype=np.int64)),
    }, order=ordered(ids))


def _write_accounts(ctx: Context, t: Treasury, group_ids: np.ndarray) -> np.ndarray:
    """One active virtual account per group; a few groups also have a failed or pending attempt.
    Returns the active account of each group."""
    rng = ctx.streams.np("accounts")
    n = len(t.created)
    extra = np.flatnonzero(rng.random(n) < 0.12)
    extra = np.union1d(extra, np.arange(min(n, 2)))  # both other statuses at least once
    group = np.concatenate([np.arange(n), extra])
    status = np.array([AccountStatus.ACTIVE.value] * n + [AccountStatus.FAILED.value if i % 2 == 0 else
                                                          AccountStatus.PENDING.value for i in range(len(extra))])
    created = t.created[group] + np.where(status == AccountStatus.FAILED.value, 1, 30) * MINUTE_MS
    created = np.where(status == AccountStatus.PENDING.value, clock.NOW_MS - rng.integers(1, 48, len(group)) * HOUR_MS, created)
    ids = uuid7(rng, created)
    numbers = 7_000_000_000 + rng.choice(2_999_999_999, len(group), replace=False)
    provider = np.array(["flutterwave", "paystack", "monnify"])[rng.integers(0, 3, len(group))]
    bank = np.where(provider == "flutterwave", "Wema Bank", np.where(provider == "paystack", "Providus Bank", "Sterling Bank"))
    ctx.copy("account", {
        "id": fmt.uuid(ids), "group_id": fmt.ref(group_ids, group), "virtual_account_number": fmt.integer(numbers),
        "provider_ref": np.strings.add("VA-", hex_tokens(rng, len(group), 16)), "provider": provider.astype(SD),
        "status": status.astype(SD), "bank_name": bank.astype(SD), "created_at": fmt.ts(created),
    }, order=ordered(ids))
    return ids[:n]


def _ledger_chunks(ctx: Context, t: Treasury, credits: dict, debits: dict, group_ids: np.ndarray,
                   account_ids: np.ndarray, chunk: int = 200_000):
    rng = ctx.streams.np("ledger")
    c = ctx.customers
    ms = np.concatenate([credits["ms"], debits["ms"]])
    n_credit = len(credits["ms"])
    ids = uuid7(rng, ms)
    order = ordered(ids)
    group = np.concatenate([credits["group"], debits["group"]])
    user = np.concatenate([credits["user"], debits["user"]])
    withdrawal = np.concatenate([np.full(n_credit, -1), debits["withdrawal"]])
    amount = np.concatenate([credits["amount"], debits["amount"]])
    is_credit = np.arange(len(ms)) < n_credit
    demo = np.concatenate([credits["simulated"], np.zeros(len(debits["ms"]), dtype=bool)])
    source = np.where(is_credit, np.where(demo, LedgerSource.DEMO.value, LedgerSource.PROVIDER_SANDBOX.value),
                      LedgerSource.PAYOUT.value)
    reference = np.empty(len(ms), dtype=SD)
    reference[order] = numbered("LED", days_of(ms[order]), np.arange(1, len(ms) + 1), width=8)
    client_ref = np.where(source == LedgerSource.PROVIDER_SANDBOX.value, np.strings.add("flw-", hex_tokens(rng, len(ms), 20)), fmt.NULL)
    # a payout's debit, as the service writes it: PAYOUT-<withdrawal id>, the provider's reference
    reference[n_credit:] = np.strings.add("PAYOUT-", dashed(debits["ids"][debits["withdrawal"]]))
    client_ref = client_ref.astype(SD)
    client_ref[n_credit:] = np.array([debits["provider_ref"][i] for i in debits["withdrawal"]], dtype=SD)
    channel = np.where(is_credit & (rng.random(len(ms)) < 0.08), "TRANSFER", "VA")
    ctx.extras["ledger_references"] = (reference, client_ref, source, ms, amount, group)
    for start in range(0, len(ms), chunk):
        rows = order[start : start + chunk]
        yield {
            "id": fmt.uuid(ids[rows]), "group_id": fmt.ref(group_ids, group[rows]),
            "account_id": fmt.ref(account_ids, group[rows]), "user_id": fmt.ref(c.ids, user[rows]),
            "withdrawal_id": fmt.ref(debits["ids"], withdrawal[rows]),
            "type": np.where(is_credit[rows], LedgerType.CREDIT.value, LedgerType.DEBIT.value).astype(SD),
            "amount_kobo": fmt.integer(amount[rows]), "currency": fmt.const("NGN", len(rows)),
            "source": source[rows].astype(SD), "reference": reference[rows], "client_ref": client_ref[rows].astype(SD),
            "simulated": fmt.boolean(demo[rows]), "payment_channel": channel[rows].astype(SD),
            "rule_status": fmt.const("VALID", len(rows)), "created_at": fmt.ts(ms[rows]),
        }


LEDGER_COLUMNS = ["id", "group_id", "account_id", "user_id", "withdrawal_id", "type", "amount_kobo", "currency",
                  "source", "reference", "client_ref", "simulated", "payment_channel", "rule_status", "created_at"]


def _write_withdrawals(ctx: Context, t: Treasury, group_ids: np.ndarray) -> np.ndarray:
    rng = ctx.streams.np("withdrawal-ids")
    c = ctx.customers
    ws = t.withdrawals
    created = np.array([w.created for w in ws], dtype=np.int64)
    ids = uuid7(rng, created)
    updated = np.array([max(w.created, w.executed_at, w.approved_at, w.declined_at,
                            max((a[1] for a in w.approvals), default=NULL_MS)) for w in ws], dtype=np.int64)
    ctx.copy("withdrawal_request", {
        "id": fmt.uuid(ids), "group_id": fmt.ref(group_ids, np.array([w.group for w in ws])),
        "amount_kobo": fmt.integer([w.amount for w in ws]), "beneficiary": fmt.json([w.beneficiary for w in ws]),
        "reason": fmt.text([w.purpose for w in ws]), "status": fmt.text([w.status.value for w in ws]),
        "requested_by": fmt.ref(c.ids, np.array([w.requester for w in ws])),
        "expires_at": fmt.ts(created + EXPIRY_MS), "approved_at": fmt.ts(np.array([w.approved_at for w in ws], dtype=np.int64)),
        "declined_by": fmt.ref(c.ids, np.array([w.declined_by for w in ws])),
        "decline_reason": fmt.text([w.decline_reason for w in ws]), "created_at": fmt.ts(created),
        "updated_at": fmt.ts(updated), "executed_at": fmt.ts(np.array([w.executed_at for w in ws], dtype=np.int64)),
    }, order=ordered(ids))
    votes = [(i, user, ms) for i, w in enumerate(ws) for user, ms in w.approvals]
    if votes:
        vote_ms = np.array([v[2] for v in votes], dtype=np.int64)
        vote_ids = uuid7(rng, vote_ms)
        ctx.copy("approval", {
            "id": fmt.uuid(vote_ids), "withdrawal_id": fmt.ref(ids, np.array([v[0] for v in votes])),
            "approver_user_id": fmt.ref(c.ids, np.array([v[1] for v in votes])), "created_at": fmt.ts(vote_ms),
        }, order=ordered(vote_ids))
    return ids


def _payouts(ctx: Context, t: Treasury, withdrawal_ids: np.ndarray) -> list[dict]:
    """PAID: SUCCESS, paid when the payout was made (a few after a failed first attempt, retried);
    APPROVED: none yet, or a FAILED first attempt awaiting a retry."""
    rng = random.Random(f"{ctx.streams.seed}:payouts")
    out = []
    for i, w in enumerate(t.withdrawals):
        if w.status == WS.PAID:
            retried = rng.random() < 0.05
            start = max(w.approved_at + MINUTE_MS, w.executed_at - (rng.randint(5, 60) if retried else 1) * MINUTE_MS)
            status, updated = PayoutStatus.SUCCESS, w.executed_at
        elif w.status == WS.APPROVED and rng.random() < FAILED_SHARE:
            retried = False
            start = w.approved_at + int((clock.NOW_MS - MINUTE_MS - w.approved_at) * rng.uniform(0.05, 0.5))
            status, updated = PayoutStatus.FAILED, min(start + MINUTE_MS, clock.NOW_MS - 30_000)
        else:
            continue
        payer = w.approvals[-1][0] if w.approvals else w.requester
        out.append({"withdrawal": i, "status": status, "retried": retried, "created": start, "updated": updated,
                    "amount": w.amount, "beneficiary": w.beneficiary, "executed_by": payer,
                    "provider": "flutterwave" if rng.random() < 0.8 else "paystack",
                    "error": rng.choice(PAYOUT_ERRORS), "ref": f"TRF-{rng.getrandbits(64):016x}"})
    return out


def _attempts(p: dict) -> list[tuple[int, str, PayoutStatus, int, int]]:
    """The provider calls of one payout: (attempt, kind, outcome, started, finished)."""
    if p["retried"]:
        return [(1, "PAY", PayoutStatus.FAILED, p["created"], p["created"] + MINUTE_MS),
                (2, "RETRY", PayoutStatus.SUCCESS, p["updated"] - 30_000, p["updated"])]
    return [(1, "PAY", p["status"], p["created"], p["updated"])]


def _write_payouts(ctx: Context, t: Treasury, payouts: list[dict], withdrawal_ids: np.ndarray) -> np.ndarray:
    rng = ctx.streams.np("payout-ids")
    created = np.array([p["created"] for p in payouts], dtype=np.int64)
    ids = uuid7(rng, created)
    request = dashed(withdrawal_ids)

    def payload(p: dict) -> dict:
        state = {"SUCCESS": "SUCCESSFUL", "FAILED": "FAILED"}[p["status"].value]
        return {"status": state, "reference": p["ref"], "amount": p["amount"] // KOBO_PER_NAIRA, "currency": "NGN",
                "complete_message": p["error"] if p["status"] == PayoutStatus.FAILED else "Approved or completed successfully"}

    ctx.copy("payout", {
        "id": fmt.uuid(ids), "withdrawal_id": fmt.ref(withdrawal_ids, np.array([p["withdrawal"] for p in payouts])),
        "provider": fmt.text([p["provider"] for p in payouts]),
        "provider_reference": fmt.text([p["ref"] if p["status"] == PayoutStatus.SUCCESS else None for p in payouts]),
        "amount_kobo": fmt.integer([p["amount"] for p in payouts]), "beneficiary": fmt.json([p["beneficiary"] for p in payouts]),
        "status": fmt.text([p["status"].value for p in payouts]),
        "attempts": fmt.integer([len(_attempts(p)) for p in payouts]),
        "provider_payload": fmt.json([payload(p) for p in payouts]),
        "executed_by": fmt.ref(ctx.customers.ids, np.array([p["executed_by"] for p in payouts])),
        "created_at": fmt.ts(created), "updated_at": fmt.ts(np.array([p["updated"] for p in payouts], dtype=np.int64)),
    }, order=ordered(ids))
    calls = [(k, p, *a) for k, p in enumerate(payouts) for a in _attempts(p)]
    if calls:
        started = np.array([c[5] for c in calls], dtype=np.int64)
        call_ids = uuid7(rng, started)
        ctx.copy("payout_attempt", {
            "id": fmt.uuid(call_ids), "payout_id": fmt.ref(ids, np.array([c[0] for c in calls])),
            "withdrawal_id": fmt.ref(withdrawal_ids, np.array([c[1]["withdrawal"] for c in calls])),
            "attempt": fmt.integer([c[2] for c in calls]), "kind": fmt.text([c[3] for c in calls]),
            "reference": fmt.text([f"WDR-{request[c[1]['withdrawal']]}-{c[2]}" for c in calls]),
            "status": fmt.text([c[4].value for c in calls]),
            "started_by": fmt.ref(ctx.customers.ids, np.array([c[1]["executed_by"] for c in calls])),
            "finished_at": fmt.ts(np.array([c[6] for c in calls], dtype=np.int64)),
            "error": fmt.text([c[1]["error"] if c[4] == PayoutStatus.FAILED else None for c in calls]),
            "created_at": fmt.ts(started),
        }, order=ordered(call_ids))
    failed = [(k, p) for k, p in enumerate(payouts) if p["status"] == PayoutStatus.FAILED or p["retried"]]
    if failed:
        ms = np.array([p["created"] + MINUTE_MS for _, p in failed], dtype=np.int64)
        rec_ids = uuid7(rng, ms)
        ctx.copy("payout_recovery", {
            "id": fmt.uuid(rec_ids), "withdrawal_id": fmt.ref(withdrawal_ids, np.array([p["withdrawal"] for _, p in failed])),
            "payout_id": fmt.ref(ids, np.array([k for k, _ in failed])),
            "attempted_payload": fmt.json([{"attempt": 1, "amount": p["amount"] // KOBO_PER_NAIRA,
                                            "beneficiary": p["beneficiary"]} for _, p in failed]),
            "error_message": fmt.text([p["error"] for _, p in failed]),
            "resolved_at": fmt.ts(np.array([p["updated"] if p["retried"] else NULL_MS for _, p in failed], dtype=np.int64)),
            "created_at": fmt.ts(ms),
        }, order=ordered(rec_ids))
    return ids


def _write_webhooks(ctx: Context, payouts: list[dict]) -> None:
    """Provider callbacks: one per finished payout and one per recent provider credit."""
    rng = ctx.streams.np("webhooks")
    reference, client_ref, source, ms, amount, _ = ctx.extras["ledger_references"]
    recent = np.flatnonzero((source == LedgerSource.PROVIDER_SANDBOX.value) & (ms > clock.NOW_MS - 14 * 24 * HOUR_MS))
    events = [("transfer.completed", f"tr-{p['ref']}", p["updated"] + 5_000,
               {"event": "transfer.completed", "data": {"reference": p["ref"], "status": p["status"].value}})
              for p in payouts]
    events += [("charge.completed", f"chg-{client_ref[i]}", int(ms[i]) + 2_000,
                {"event": "charge.completed", "data": {"tx_ref": str(reference[i]), "amount": int(amount[i]) // KOBO_PER_NAIRA,
                                                       "currency": "NGN", "status": "successful"}}) for i in recent]
    if not events:
        return
    created = np.minimum(np.array([e[2] for e in events], dtype=np.int64), clock.NOW_MS - MINUTE_MS)
    ids = uuid7(rng, created)
    n = len(events)
    pending = created > clock.NOW_MS - 10 * MINUTE_MS  # the newest callbacks are not processed yet
    pending[-1] = True
    errored = ~pending & (rng.random(n) < 0.01)
    processed = ~pending & ~errored
    ctx.copy("webhook_event", {
        "id": fmt.uuid(ids), "provider": fmt.const("flutterwave", n), "event_id": fmt.text([e[1] for e in events]),
        "event_type": fmt.text([e[0] for e in events]), "raw_payload": fmt.json([e[3] for e in events]),
        "processed": fmt.boolean(processed), "processed_at": fmt.ts(np.where(processed, created + 1_500, NULL_MS)),
        "error": fmt.text(np.where(errored, "Unknown virtual account number", None).tolist()), "created_at": fmt.ts(created),
    }, order=ordered(ids))


def _debits(t: Treasury, withdrawal_ids: np.ndarray, payouts: list[dict]) -> dict[str, np.ndarray]:
    paid = [i for i, w in enumerate(t.withdrawals) if w.status == WS.PAID]
    ws = [t.withdrawals[i] for i in paid]
    refs = {p["withdrawal"]: p["ref"] for p in payouts if p["status"] == PayoutStatus.SUCCESS}
    return {"ms": np.array([w.executed_at for w in ws], dtype=np.int64), "group": np.array([w.group for w in ws], dtype=np.int64),
            "user": np.array([w.requester for w in ws], dtype=np.int64), "withdrawal": np.array(paid, dtype=np.int64),
            "amount": np.array([w.amount for w in ws], dtype=np.int64), "ids": withdrawal_ids, "provider_ref": refs}


def _history(ctx: Context, t: Treasury, withdrawal_ids: np.ndarray, payouts: list[dict], payout_ids: np.ndarray) -> None:
    """Each status change by the officer who made it (the requester creates, the approval reaching the
    quorum approves, the officer paying pays, an officer declines)."""
    h, users = ctx.history, ctx.customers.ids
    payer = {p["withdrawal"]: p["executed_by"] for p in payouts}
    if h.wants(ReviewableEntity.WITHDRAWAL_REQUEST):
        for i, w in enumerate(t.withdrawals):
            rows = [(None, WS.PENDING, w.created, w.requester, None)]
            if w.approved_at != NULL_MS:
                rows.append((WS.PENDING, WS.APPROVED, w.approved_at, w.approvals[-1][0], None))
            if w.executed_at != NULL_MS:
                rows.append((WS.APPROVED, WS.PAID, w.executed_at, payer[i], None))
            if w.status == WS.DECLINED:
                before = WS.APPROVED if w.approved_at != NULL_MS else WS.PENDING
                rows.append((before, WS.DECLINED, w.declined_at, w.declined_by, w.decline_reason))
            h.add(ReviewableEntity.WITHDRAWAL_REQUEST, np.repeat(withdrawal_ids[i : i + 1], len(rows)),
                  [r[0] and r[0].value for r in rows], np.array([r[1].value for r in rows], dtype=object),
                  np.array([r[2] for r in rows]), [bytes(users[r[3]]) for r in rows], [r[4] for r in rows])
    if h.wants(ReviewableEntity.PAYOUT):
        for k, p in enumerate(payouts):
            rows = [(None, PayoutStatus.PENDING, p["created"], None)]
            if p["retried"]:
                rows += [(PayoutStatus.PENDING, PayoutStatus.FAILED, p["created"] + MINUTE_MS, p["error"]),
                         (PayoutStatus.FAILED, PayoutStatus.PENDING, p["updated"] - 30_000, "Retried")]
            rows.append((PayoutStatus.PENDING, p["status"], p["updated"],
                         p["error"] if p["status"] == PayoutStatus.FAILED else None))
            h.add(ReviewableEntity.PAYOUT, np.repeat(payout_ids[k : k + 1], len(rows)), [r[0] and r[0].value for r in rows],
                  np.array([r[1].value for r in rows], dtype=object), np.array([r[2] for r in rows]),
                  bytes(users[p["executed_by"]]), [r[3] for r in rows])


def generate(ctx: Context) -> None:
    t, credits = plan(ctx)
    group_ids = _write_groups(ctx, t)
    _write_memberships(ctx, t, group_ids)
    account_ids = _write_accounts(ctx, t, group_ids)
    withdrawal_ids = _write_withdrawals(ctx, t, group_ids)
    payouts = _payouts(ctx, t, withdrawal_ids)
    payout_ids = _write_payouts(ctx, t, payouts, withdrawal_ids)
    debits = _debits(t, withdrawal_ids, payouts)
    total = len(credits["ms"]) + len(debits["ms"])
    ctx.copy_chunks("ledger_entry", LEDGER_COLUMNS, _ledger_chunks(ctx, t, credits, debits, group_ids, account_ids), total=total)
    _write_webhooks(ctx, payouts)
    _history(ctx, t, withdrawal_ids, payouts, payout_ids)
    ctx.extras["treasury"] = t
