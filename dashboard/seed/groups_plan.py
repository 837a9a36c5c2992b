"""Group treasury (seed 004), planned: groups and their rules, memberships (officers and members, some
leaving, a treasurer handing over), members' contributions and the withdrawal requests with their votes.
``groups`` writes the plan.

Members' contributions are ledger CREDITs; about 15 % are simulated demo credits (``source = demo``,
``simulated``), which are not money: a group's balance counts settled, real credits only
(``groups.balances``). Withdrawal requests are replayed per group in time order and never exceed the
real money available (real credits so far minus every earlier PAID or APPROVED request), so no group
balance is ever negative and every approved request can be paid. Approvals come from the group's
officers (OWNER, TREASURER) in office at that moment, never from the requester, at most once per
officer; a request is approved when the votes of officers still in office reach the quorum, and paid
before it expires.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from dashboard.models.enums import GroupRole, Platform, WithdrawalStatus
from dashboard.seed import clock
from dashboard.seed.clock import DAY_MS, HOUR_MS, MINUTE_MS, NULL_MS
from dashboard.seed.context import Context

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
STATUS_SHARE = {WS.PAID: 0.7, WS.DECLINED: 0.12, WS.PENDING: 0.1, WS.APPROVED: 0.08}
EXPIRY_MS = 72 * HOUR_MS
SIMULATED_SHARE = 0.15


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
    declined_at: int = NULL_MS
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
    simulated = rng.random(count) < SIMULATED_SHARE  # demo credits (seed 004 ``source = demo``): not money
    return {"user": user[order], "group": group[membership][order], "ms": ms[order],
            "amount": np.maximum(naira, 500).astype(np.int64)[order] * KOBO_PER_NAIRA, "simulated": simulated[order]}


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
        # only settled, real money can be paid out: simulated credits never count (``groups.balances``)
        real = ~credits["simulated"][bounds[g] : bounds[g + 1]]
        cumulative = np.cumsum(credits["amount"][bounds[g] : bounds[g + 1]] * real)
        # the demo officer (customer 0) has requests of their own groups to approve today
        free = 0 if ctx.profile.officer is not None and g < 3 else None
        statuses = _statuses(rng, int(counts[g]), pending=2 if free is not None else 0)
        start = int(ms[0]) + DAY_MS
        committed = 0
        for status in statuses:
            w = _withdrawal(rng, t, g, status, start, free)
            available = int(cumulative[np.searchsorted(ms, w.created, side="right") - 1]) - committed \
                if w.created >= ms[0] else 0
            _amount(rng, t, w, available, free)
            if w.status in (WS.PAID, WS.APPROVED):
                committed += w.amount
            w.purpose = rng.choice(PURPOSES)
            bank = rng.choice(BANKS)
            payee = rng.choice(_members_at(t, g, w.created))
            w.beneficiary = {"account_name": f"{c.first_name[payee]} {c.last_name[payee]}",
                             "account_number": f"{rng.randint(0, 9_999_999_999):010d}", "bank_code": bank[0],
                             "bank_name": bank[1]}
            t.withdrawals.append(w)


def _statuses(rng: random.Random, n: int, pending: int = 0) -> list[WS]:
    """Decided requests are sized first and open ones last, so open requests see what is left after
    every payment. (Any order keeps balances non-negative: each amount is at most the credits up to
    its creation minus everything committed before it.) At least ``pending`` are pending."""
    drawn = rng.choices(list(STATUS_SHARE), list(STATUS_SHARE.values()), k=n)
    for i in range(min(n, pending) - drawn.count(WS.PENDING)):
        drawn[drawn.index(WS.PAID) if WS.PAID in drawn else i] = WS.PENDING
    decided = [s for s in drawn if s in (WS.PAID, WS.DECLINED)]
    return decided + [s for s in drawn if s == WS.APPROVED] + [s for s in drawn if s == WS.PENDING]


def _withdrawal(rng: random.Random, t: Treasury, g: int, status: WS, start: int, free: int | None) -> Withdrawal:
    """Open requests are recent, so the queue is workable today: most pending ones have hours to days
    left of their 72 h window, some only a few hours, about a fifth have expired; approved ones were
    approved within the last two days and can still be paid."""
    now = clock.NOW_MS
    if status == WS.PENDING:
        kind = rng.random() if free is None else rng.choice([0.0, 0.7])  # the demo officer's: live, one nearly due
        age = (rng.uniform(1, 60) * HOUR_MS if kind < 0.65 else rng.uniform(66, 71) * HOUR_MS if kind < 0.8
               else rng.uniform(4, 30) * DAY_MS)
        created = now - int(age)
    elif status == WS.APPROVED:
        created = now - int(rng.uniform(2, 40) * HOUR_MS)
    else:
        created = start + int((now - 6 * DAY_MS - start) * rng.random())
    created = min(max(created, start), now - HOUR_MS)
    officers = _officers_at(t, g, created)
    people = _members_at(t, g, created)
    if status == WS.PENDING and free is not None:  # someone else asked: the demo officer can approve it
        officers, people = [u for u in officers if u != free], [u for u in people if u != free]
    requester = rng.choice(officers) if rng.random() < 0.7 or len(people) == len(officers) else rng.choice(
        [u for u in people if u not in officers])
    return Withdrawal(group=g, created=created, status=status, requester=requester)


def _amount(rng: random.Random, t: Treasury, w: Withdrawal, available: int, free: int | None = None) -> None:
    """Size the request and walk it through approvals to its final status, as the service would: each
    vote by an officer in office at that moment (never the requester, once each); the request is
    approved when the votes of officers still in office reach the quorum, and paid before it expires."""
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
    quorum = w.status in (WS.PAID, WS.APPROVED)
    votes = required if quorum else rng.randint(0, required - 1)
    moment = w.created
    for _ in range(votes + 3):
        counting = [u for u, _ in w.approvals if u in _officers_at(t, w.group, moment)]
        if len(counting) >= votes:
            break
        moment += max(int((min(expires - 10 * MINUTE_MS, clock.NOW_MS - MINUTE_MS) - moment) * rng.uniform(0.05, 0.5)), 1)
        voted = {u for u, _ in w.approvals}
        candidates = [u for u in _officers_at(t, w.group, moment) if u != w.requester and u not in voted
                      and not (w.status == WS.PENDING and u == free)]
        if not candidates:
            break
        w.approvals.append((rng.choice(candidates), moment))
    counting = [u for u, _ in w.approvals if u in _officers_at(t, w.group, moment)]
    if quorum and len(counting) < required:  # the quorum was never reached: still waiting (or expired)
        w.status = WS.PENDING
    if w.status in (WS.PAID, WS.APPROVED):
        w.approved_at = moment
    if w.status == WS.PAID:
        w.executed_at = min(moment + rng.randint(5, 600) * MINUTE_MS, expires - MINUTE_MS, clock.NOW_MS - MINUTE_MS)
    if w.status == WS.DECLINED:
        w.declined_at = min(moment + rng.randint(1, 120) * MINUTE_MS, clock.NOW_MS - MINUTE_MS)
        w.declined_by = rng.choice(_officers_at(t, w.group, w.declined_at))  # any officer may decline
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


def plan(ctx: Context) -> tuple[Treasury, dict[str, np.ndarray]]:
    """The groups, their members and withdrawals, and every contribution (credits)."""
    t = _groups(ctx)
    _memberships(ctx.streams.py("memberships"), ctx, t, _pool(ctx))
    # Credits first (withdrawals need money); then top up so that credits + debits is exactly the
    # profile's ledger size (extra credits only raise balances, so none can go negative).
    credits = _credits(ctx, t, ctx.profile.ledger_entries - ctx.profile.withdrawals)
    _plan_withdrawals(ctx, t, credits)
    paid = sum(w.status == WS.PAID for w in t.withdrawals)
    credits = _merge(credits, _credits(ctx, t, ctx.profile.withdrawals - paid, "ledger-credits-top-up"))
    return t, credits
