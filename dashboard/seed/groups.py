"""Group treasury (seed 004): groups, memberships, virtual accounts, the NGN ledger and N-of-M
withdrawal approvals with payouts.

Members' contributions are ledger CREDITs. Withdrawal requests are replayed per group in time
order and never exceed the money available (credits so far minus every earlier PAID or APPROVED
request), so no group balance is ever negative. Approvals come from the group's officers (OWNER,
TREASURER) in office at that moment, never from the requester, at most once per officer. A PAID
request has a SUCCESS payout and exactly one ledger DEBIT pointing at it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from dashboard.models.enums import (
    AccountStatus,
    GroupRole,
    LedgerSource,
    LedgerType,
    PayoutStatus,
    Platform,
    ReviewableEntity,
    WithdrawalStatus,
)
from dashboard.seed import copy as fmt
from dashboard.seed import clock
from dashboard.seed.clock import DAY_MS, HOUR_MS, MINUTE_MS, NULL_MS, days_of
from dashboard.seed.context import Context
from dashboard.seed.ids import SD, hex_tokens, numbered, ordered, uuid7

WS = WithdrawalStatus
KOBO_PER_NAIRA = 100
RULES = [("two_officer", 2, 3, 0.7), ("single_officer", 1, 2, 0.15), ("three_officer", 3, 4, 0.15)]
KINDS = ["Ajo Savings Circle", "Esusu Cooperative", "Alumni Association", "Church Building Fund",
         "Market Women Association", "Family Contribution", "Tenants Association", "Football Club",
         "Investment Club", "Wedding Committee", "Parents Association", "Traders Union"]
CITIES = ["Lagos", "Abuja", "Ibadan", "Port Harcourt", "Kano", "Enugu", "Benin City", "Jos", "Abeokuta", "Owerri"]
PURPOSES = ["Monthly payout to member", "Venue deposit", "School fees support", "Medical emergency support",
            "Equipment purchase", "End-of-year party", "Rent contribution", "Business loan to member"]
BANKS = [("058", "GTBank"), ("044", "Access Bank"), ("033", "UBA"), ("057", "Zenith Bank"), ("011", "First Bank")]
DECLINES = ["Purpose not agreed at the last meeting", "Beneficiary account details incorrect",
            "Duplicate of an earlier request", "Insufficient group balance"]
PAYOUT_ERRORS = ["Insufficient balance in payout wallet", "Beneficiary bank unavailable", "Provider timeout"]
STATUS_SHARE = {WS.PAID: 0.7, WS.DECLINED: 0.12, WS.PENDING: 0.1, WS.APPROVED: 0.08}
EXPIRY_MS = 72 * HOUR_MS


@dataclass
class Membership:
    group: int
    user: int
    role: GroupRole
    joined: int
    removed: int = NULL_MS

    def active_at(self, ms: int) -> bool:
        return self.joined <= ms and (self.removed == NULL_MS or ms < self.removed)


@dataclass
class Withdrawal:
    group: int
    created: int
    status: WS
    requester: int
    amount: int = 0
    approvals: list[tuple[int, int]] = field(default_factory=list)  # (user, ms)
    approved_at: int = NULL_MS
    declined_by: int = -1
    decline_reason: str | None = None
    executed_at: int = NULL_MS
    purpose: str = ""
    beneficiary: dict = field(default_factory=dict)


@dataclass
class Treasury:
    created: np.ndarray
    rule: list[tuple[str, int, int, float]]
    owner: np.ndarray
    members: list[Membership] = field(default_factory=list)
    by_group: list[list[Membership]] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)


def _pool(ctx: Context) -> np.ndarray:
    c = ctx.customers
    treasury = np.flatnonzero((c.platform == Platform.TREASURY.value) & c.is_active)
    return treasury if len(treasury) >= 20 else np.flatnonzero(c.is_active)


def _memberships(rng: random.Random, ctx: Context, t: Treasury, pool: np.ndarray) -> None:
    """Officers (an OWNER and enough TREASURERs to reach any quorum without the requester, all
    customers before the group was founded) and members; some members left (``removed_at``), a few
    came back, and some groups replaced a treasurer."""
    c = ctx.customers
    demo_officer = 0 if ctx.profile.officer is not None else None
    pool = [int(u) for u in pool if u != demo_officer]
    signed_up = np.sort(c.created_ms[pool])
    for g in range(len(t.created)):
        required = t.rule[g][1]
        officers = required + 1 + rng.randint(0, 1)
        # Founded once enough customers exist to hold the offices.
        t.created[g] = min(max(int(t.created[g]), int(signed_up[officers + 1]) + DAY_MS), clock.NOW_MS - 20 * DAY_MS)
        founders = [u for u in pool if c.created_ms[u] < t.created[g] - HOUR_MS]
        people = rng.sample(founders, officers)
        others = [u for u in rng.sample(pool, min(len(pool), rng.randint(3, 14) + officers)) if u not in people]
        if demo_officer is not None and g < 3:  # OWNER of groups 0 and 1, TREASURER of group 2
            people.insert(0 if g < 2 else 1, demo_officer)
            people.pop()
        people += others
        t.owner[g] = people[0]
        mine = []
        for i, user in enumerate(people):
            role = GroupRole.OWNER if i == 0 else GroupRole.TREASURER if i < officers else GroupRole.MEMBER
            joined = int(t.created[g]) if i < officers else int(t.created[g]) + rng.randint(1, 60) * DAY_MS
            joined = max(joined, int(c.created_ms[user]) + HOUR_MS)
            mine.append(Membership(g, user, role, min(joined, clock.NOW_MS - DAY_MS)))
        _churn(rng, mine, officers)
        t.by_group.append([m for m in mine if m.removed == NULL_MS or m.removed > m.joined])
    t.members = [m for group in t.by_group for m in group]


def _churn(rng: random.Random, mine: list[Membership], officers: int) -> None:
    for m in list(mine):
        if m.role == GroupRole.MEMBER and rng.random() < 0.12:
            m.removed = m.joined + int((clock.NOW_MS - DAY_MS - m.joined) * rng.uniform(0.2, 0.9))
            back = m.removed + rng.randint(2, 40) * DAY_MS
            if rng.random() < 0.3 and back < clock.NOW_MS - 2 * DAY_MS:  # rejoined later
                mine.append(Membership(m.group, m.user, GroupRole.MEMBER, back))
    members = [m for m in mine if m.role == GroupRole.MEMBER and m.removed == NULL_MS]
    if officers > 2 and members and rng.random() < 0.15:  # a treasurer handed over to a member
        old = next(m for m in mine if m.role == GroupRole.TREASURER)
        heir = members[0]
        since = max(old.joined, heir.joined)
        moment = since + int((clock.NOW_MS - 5 * DAY_MS - since) * rng.uniform(0.3, 0.8))
        old.removed = heir.removed = moment
        mine.append(Membership(heir.group, heir.user, GroupRole.TREASURER, moment))


def _credits(ctx: Context, t: Treasury, count: int, stream: str = "ledger-credits") -> dict[str, np.ndarray]:
    """Contributions: a member (during their membership) pays into the group's virtual account."""
    rng = ctx.streams.np(stream)
    group = np.array([m.group for m in t.members])
    joined = np.array([m.joined for m in t.members], dtype=np.int64)
    end = np.array([clock.NOW_MS - HOUR_MS if m.removed == NULL_MS else m.removed for m in t.members], dtype=np.int64)
    weight = np.maximum(end - joined, DAY_MS).astype(float)
    membership = rng.choice(len(t.members), count, p=weight / weight.sum())
    ms = joined[membership] + (rng.random(count) * (end - joined)[membership]).astype(np.int64)
    naira = np.rint(rng.lognormal(np.log(20_000), 0.9, count) / 100) * 100
    order = np.lexsort((ms, group[membership]))
    user = np.array([m.user for m in t.members], dtype=np.int64)[membership]
    return {"user": user[order], "group": group[membership][order], "ms": ms[order],
            "amount": np.maximum(naira, 500).astype(np.int64)[order] * KOBO_PER_NAIRA}


def _merge(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    merged = {k: np.concatenate([a[k], b[k]]) for k in a}
    order = np.lexsort((merged["ms"], merged["group"]))
    return {k: v[order] for k, v in merged.items()}


def _officers_at(t: Treasury, g: int, ms: int) -> list[int]:
    return [m.user for m in t.by_group[g] if m.role != GroupRole.MEMBER and m.active_at(ms)]


def _members_at(t: Treasury, g: int, ms: int) -> list[int]:
    return sorted({m.user for m in t.by_group[g] if m.active_at(ms)})


def _plan_withdrawals(ctx: Context, t: Treasury, credits: dict[str, np.ndarray]) -> None:
    rng = ctx.streams.py("withdrawals")
    c = ctx.customers
    groups = len(t.created)
    per_group = np.bincount(credits["group"], minlength=groups)
    counts = ctx.streams.np("withdrawal-counts").multinomial(ctx.profile.withdrawals, per_group / per_group.sum())
    bounds = np.searchsorted(credits["group"], np.arange(groups + 1))
    for g in range(groups):
        ms = credits["ms"][bounds[g] : bounds[g + 1]]
        if not len(ms) or not counts[g]:
            continue
        cumulative = np.cumsum(credits["amount"][bounds[g] : bounds[g + 1]])
        statuses = _statuses(rng, int(counts[g]))
        start = int(ms[0]) + DAY_MS
        committed = 0
        for status in statuses:
            w = _withdrawal(rng, t, g, status, start)
            available = int(cumulative[np.searchsorted(ms, w.created, side="right") - 1]) - committed \
                if w.created >= ms[0] else 0
            _amount(rng, t, w, available)
            if w.status in (WS.PAID, WS.APPROVED):
                committed += w.amount
            w.purpose = rng.choice(PURPOSES)
            bank = rng.choice(BANKS)
            payee = rng.choice(_members_at(t, g, w.created))
            w.beneficiary = {"account_name": f"{c.first_name[payee]} {c.last_name[payee]}",
                             "account_number": f"{rng.randint(0, 9_999_999_999):010d}", "bank_code": bank[0],
                             "bank_name": bank[1]}
            t.withdrawals.append(w)


def _statuses(rng: random.Random, n: int) -> list[WS]:
    """Decided requests are sized first and open ones last, so open requests see what is left after
    every payment. (Any order keeps balances non-negative: each amount is at most the credits up to
    its creation minus everything committed before it.)"""
    drawn = rng.choices(list(STATUS_SHARE), list(STATUS_SHARE.values()), k=n)
    decided = [s for s in drawn if s in (WS.PAID, WS.DECLINED)]
    return decided + [s for s in drawn if s == WS.APPROVED] + [s for s in drawn if s == WS.PENDING]


def _withdrawal(rng: random.Random, t: Treasury, g: int, status: WS, start: int) -> Withdrawal:
    if status == WS.PENDING:  # mostly within the 72 h approval window; some already expired
        created = clock.NOW_MS - rng.randint(1, 70) * HOUR_MS if rng.random() < 0.6 else clock.NOW_MS - rng.randint(4, 30) * DAY_MS
    elif status == WS.APPROVED:
        created = clock.NOW_MS - rng.randint(3, 120) * HOUR_MS
    else:
        created = start + int((clock.NOW_MS - 6 * DAY_MS - start) * rng.random())
    created = min(max(created, start), clock.NOW_MS - HOUR_MS)
    officers = _officers_at(t, g, created)
    people = _members_at(t, g, created)
    requester = rng.choice(officers) if rng.random() < 0.7 or len(people) == len(officers) else rng.choice(
        [u for u in people if u not in officers])
    return Withdrawal(group=g, created=created, status=status, requester=requester)


def _amount(rng: random.Random, t: Treasury, w: Withdrawal, available: int) -> None:
    """Size the request and walk it through approvals to its final status."""
    required = t.rule[w.group][1]
    wanted = int(rng.lognormvariate(np.log(80_000), 0.8)) // 100 * 100 * KOBO_PER_NAIRA
    if w.status in (WS.PAID, WS.APPROVED):
        if available < 1_000 * KOBO_PER_NAIRA:
            w.status, w.decline_reason = WS.DECLINED, "Insufficient group balance"
            wanted = max(wanted, available + 1_000 * KOBO_PER_NAIRA)
        else:
            wanted = max(min(wanted, int(available * rng.uniform(0.3, 0.9)) // 10_000 * 10_000), 100_000)
    w.amount = max(wanted, 100_000)
    expires = w.created + EXPIRY_MS
    votes = required if w.status in (WS.PAID, WS.APPROVED) else rng.randint(0, required - 1)
    moment = w.created
    for _ in range(votes):  # each vote by an officer in office at that moment
        moment += max(int((min(expires, clock.NOW_MS - MINUTE_MS) - moment) * rng.uniform(0.05, 0.5)), 1)
        voted = {u for u, _ in w.approvals}
        candidates = [u for u in _officers_at(t, w.group, moment) if u != w.requester and u not in voted]
        if not candidates:
            break
        w.approvals.append((rng.choice(candidates), moment))
    if w.status in (WS.PAID, WS.APPROVED):
        w.approved_at = moment
    if w.status == WS.PAID:
        w.executed_at = min(moment + rng.randint(5, 600) * MINUTE_MS, clock.NOW_MS - MINUTE_MS)
    if w.status == WS.DECLINED:
        deciders = [u for u in _officers_at(t, w.group, moment) if u != w.requester] or [w.requester]
        w.declined_by = rng.choice(deciders)
        w.decline_reason = w.decline_reason or rng.choice(DECLINES[:-1])


def _groups(ctx: Context) -> Treasury:
    rng = ctx.streams.np("groups")
    n = ctx.profile.groups
    created = clock.HISTORY_START_MS + 30 * DAY_MS + (rng.random(n) * (clock.NOW_MS - 90 * DAY_MS - clock.HISTORY_START_MS - 30 * DAY_MS)).astype(np.int64)
    created[:3] = np.minimum(created[:3], clock.HISTORY_START_MS + 90 * DAY_MS)  # the demo officer's groups are old
    weights = np.array([r[3] for r in RULES])
    rules = [RULES[i] for i in rng.choice(len(RULES), n, p=weights / weights.sum())]
    for i, rule in enumerate(RULES[: min(n, len(RULES))]):
        rules[i] = rule  # every rule at least once
    return Treasury(created=created, rule=rules, owner=np.zeros(n, dtype=np.int64))


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
    demo = is_credit & (rng.random(len(ms)) < 0.15)
    source = np.where(is_credit, np.where(demo, LedgerSource.DEMO.value, LedgerSource.PROVIDER_SANDBOX.value),
                      LedgerSource.PAYOUT.value)
    reference = np.empty(len(ms), dtype=SD)
    reference[order] = numbered("LED", days_of(ms[order]), np.arange(1, len(ms) + 1), width=8)
    client_ref = np.where(source == LedgerSource.PROVIDER_SANDBOX.value, np.strings.add("flw-", hex_tokens(rng, len(ms), 20)), fmt.NULL)
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
    updated = np.array([max(w.created, w.executed_at, w.approved_at, max((a[1] for a in w.approvals), default=NULL_MS))
                        for w in ws], dtype=np.int64)
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
    """PAID: SUCCESS (a few after a failed first attempt); APPROVED: in flight or FAILED awaiting recovery."""
    rng = ctx.streams.py("payouts")
    out = []
    for i, w in enumerate(t.withdrawals):
        if w.status not in (WS.PAID, WS.APPROVED):
            continue
        created = w.approved_at + rng.randint(1, 10) * MINUTE_MS
        if w.status == WS.PAID:
            status, retried = PayoutStatus.SUCCESS, rng.random() < 0.05
            updated = w.executed_at
        else:
            status = PayoutStatus.FAILED if i % 2 == 0 else PayoutStatus.PENDING
            retried, updated = False, created
        out.append({"withdrawal": i, "status": status, "retried": retried, "created": min(created, clock.NOW_MS - MINUTE_MS),
                    "updated": min(max(updated, created), clock.NOW_MS - MINUTE_MS), "amount": w.amount,
                    "beneficiary": w.beneficiary, "executed_by": w.approvals[-1][0] if w.approvals else w.requester,
                    "provider": "flutterwave" if rng.random() < 0.8 else "paystack",
                    "error": rng.choice(PAYOUT_ERRORS), "ref": f"TRF-{rng.getrandbits(64):016x}"})
    return out


def _write_payouts(ctx: Context, t: Treasury, payouts: list[dict], withdrawal_ids: np.ndarray) -> np.ndarray:
    rng = ctx.streams.np("payout-ids")
    created = np.array([p["created"] for p in payouts], dtype=np.int64)
    ids = uuid7(rng, created)

    def payload(p: dict) -> dict:
        state = {"SUCCESS": "SUCCESSFUL", "FAILED": "FAILED", "PENDING": "NEW"}[p["status"].value]
        return {"status": state, "reference": p["ref"], "amount": p["amount"] // KOBO_PER_NAIRA, "currency": "NGN",
                "complete_message": p["error"] if p["status"] == PayoutStatus.FAILED else "Approved or completed successfully"}

    ctx.copy("payout", {
        "id": fmt.uuid(ids), "withdrawal_id": fmt.ref(withdrawal_ids, np.array([p["withdrawal"] for p in payouts])),
        "provider": fmt.text([p["provider"] for p in payouts]),
        "provider_reference": fmt.text([None if p["status"] == PayoutStatus.PENDING else p["ref"] for p in payouts]),
        "amount_kobo": fmt.integer([p["amount"] for p in payouts]), "beneficiary": fmt.json([p["beneficiary"] for p in payouts]),
        "status": fmt.text([p["status"].value for p in payouts]),
        "attempts": fmt.integer([2 if p["retried"] else 1 for p in payouts]),
        "provider_payload": fmt.json([payload(p) for p in payouts]),
        "executed_by": fmt.ref(ctx.customers.ids, np.array([p["executed_by"] for p in payouts])),
        "created_at": fmt.ts(created), "updated_at": fmt.ts(np.array([p["updated"] for p in payouts], dtype=np.int64)),
    }, order=ordered(ids))
    failed = [(k, p) for k, p in enumerate(payouts) if p["status"] == PayoutStatus.FAILED or p["retried"]]
    if failed:
        ms = np.array([min(p["created"] + 2 * MINUTE_MS, clock.NOW_MS - MINUTE_MS) for _, p in failed], dtype=np.int64)
        rec_ids = uuid7(rng, ms)
        ctx.copy("payout_recovery", {
            "id": fmt.uuid(rec_ids), "withdrawal_id": fmt.ref(withdrawal_ids, np.array([p["withdrawal"] for _, p in failed])),
            "payout_id": fmt.ref(ids, np.array([k for k, _ in failed])),
            "attempted_payload": fmt.json([{"amount": p["amount"] // KOBO_PER_NAIRA, "beneficiary": p["beneficiary"]} for _, p in failed]),
            "error_message": fmt.text([p["error"] for _, p in failed]),
            "resolved_at": fmt.ts(np.array([p["updated"] if p["retried"] else NULL_MS for _, p in failed], dtype=np.int64)),
            "created_at": fmt.ts(ms),
        }, order=ordered(rec_ids))
    return ids


def _write_webhooks(ctx: Context, payouts: list[dict]) -> None:
    """Provider callbacks: one per finished payout and one per recent provider credit."""
    rng = ctx.streams.np("webhooks")
    reference, client_ref, source, ms, amount, _ = ctx.extras["ledger_references"]
    recent = np.flatnonzero((source == LedgerSource.PROVIDER_SANDBOX.value) & (ms > clock.NOW_MS - 14 * DAY_MS))
    done = [p for p in payouts if p["status"] != PayoutStatus.PENDING]
    events = [("transfer.completed", f"tr-{p['ref']}", p["updated"] + 5_000,
               {"event": "transfer.completed", "data": {"reference": p["ref"], "status": p["status"].value}}) for p in done]
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


def _debits(t: Treasury, withdrawal_ids: np.ndarray) -> dict[str, np.ndarray]:
    paid = [i for i, w in enumerate(t.withdrawals) if w.status == WS.PAID]
    ws = [t.withdrawals[i] for i in paid]
    return {"ms": np.array([w.executed_at for w in ws], dtype=np.int64), "group": np.array([w.group for w in ws], dtype=np.int64),
            "user": np.array([w.requester for w in ws], dtype=np.int64), "withdrawal": np.array(paid, dtype=np.int64),
            "amount": np.array([w.amount for w in ws], dtype=np.int64), "ids": withdrawal_ids}


def _history(ctx: Context, t: Treasury, withdrawal_ids: np.ndarray, payouts: list[dict], payout_ids: np.ndarray) -> None:
    h, users = ctx.history, ctx.customers.ids
    if h.wants(ReviewableEntity.WITHDRAWAL_REQUEST):
        for i, w in enumerate(t.withdrawals):
            rows = [(None, WS.PENDING, w.created, w.requester, None)]
            if w.approved_at != NULL_MS:
                rows.append((WS.PENDING, WS.APPROVED, w.approved_at, w.approvals[-1][0], None))
            if w.executed_at != NULL_MS:
                rows.append((WS.APPROVED, WS.PAID, w.executed_at, w.approvals[-1][0], None))
            if w.status == WS.DECLINED:
                moment = max([w.created + MINUTE_MS] + [a[1] + MINUTE_MS for a in w.approvals])
                rows.append((WS.PENDING, WS.DECLINED, min(moment, clock.NOW_MS - MINUTE_MS), w.declined_by, w.decline_reason))
            h.add(ReviewableEntity.WITHDRAWAL_REQUEST, np.repeat(withdrawal_ids[i : i + 1], len(rows)),
                  [r[0] and r[0].value for r in rows], np.array([r[1].value for r in rows], dtype=object),
                  np.array([r[2] for r in rows]), [bytes(users[r[3]]) for r in rows], [r[4] for r in rows])
    if h.wants(ReviewableEntity.PAYOUT):
        for k, p in enumerate(payouts):
            rows = [(None, PayoutStatus.PENDING, p["created"], None)]
            if p["retried"]:
                rows += [(PayoutStatus.PENDING, PayoutStatus.FAILED, p["created"] + MINUTE_MS, p["error"]),
                         (PayoutStatus.FAILED, PayoutStatus.PENDING, p["created"] + 3 * MINUTE_MS, "Retried")]
            if p["status"] != PayoutStatus.PENDING:
                rows.append((PayoutStatus.PENDING, p["status"], max(p["updated"], p["created"] + 4 * MINUTE_MS),
                             p["error"] if p["status"] == PayoutStatus.FAILED else None))
            h.add(ReviewableEntity.PAYOUT, np.repeat(payout_ids[k : k + 1], len(rows)), [r[0] and r[0].value for r in rows],
                  np.array([r[1].value for r in rows], dtype=object),
                  np.minimum(np.array([r[2] for r in rows]), clock.NOW_MS - MINUTE_MS), b"", [r[3] for r in rows])


def generate(ctx: Context) -> None:
    t = _groups(ctx)
    _memberships(ctx.streams.py("memberships"), ctx, t, _pool(ctx))
    # Credits first (withdrawals need money); then top up so that credits + debits is exactly the
    # profile's ledger size (extra credits only raise balances, so none can go negative).
    credits = _credits(ctx, t, ctx.profile.ledger_entries - ctx.profile.withdrawals)
    _plan_withdrawals(ctx, t, credits)
    paid = sum(w.status == WS.PAID for w in t.withdrawals)
    credits = _merge(credits, _credits(ctx, t, ctx.profile.withdrawals - paid, "ledger-credits-top-up"))
    group_ids = _write_groups(ctx, t)
    _write_memberships(ctx, t, group_ids)
    account_ids = _write_accounts(ctx, t, group_ids)
    withdrawal_ids = _write_withdrawals(ctx, t, group_ids)
    payouts = _payouts(ctx, t, withdrawal_ids)
    payout_ids = _write_payouts(ctx, t, payouts, withdrawal_ids)
    debits = _debits(t, withdrawal_ids)
    total = len(credits["ms"]) + len(debits["ms"])
    ctx.copy_chunks("ledger_entry", LEDGER_COLUMNS, _ledger_chunks(ctx, t, credits, debits, group_ids, account_ids), total=total)
    _write_webhooks(ctx, payouts)
    _history(ctx, t, withdrawal_ids, payouts, payout_ids)
    ctx.extras["treasury"] = t
