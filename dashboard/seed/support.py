"""Support tickets and their message threads (seed 001).

OPEN tickets only have customer messages (a staff member may have left an internal note);
IN_PROGRESS, RESOLVED and CLOSED tickets alternate customer and staff replies. A few staff messages
are internal notes (``is_internal``). CLOSED tickets, and only those, have ``closed_at``. Ticket
numbers come from the identity column, in creation order.
"""

from __future__ import annotations

import numpy as np

from dashboard.models.enums import ReviewableEntity, Role, TicketCategory, TicketPriority, TicketStatus
from dashboard.seed import copy as fmt
from dashboard.seed import images
from dashboard.seed import clock
from dashboard.seed.clock import DAY_MS, HOUR_MS, MINUTE_MS, NULL_MS, SECOND_MS, later, recent, uniform_between
from dashboard.seed.context import Context, draw
from dashboard.seed.ids import SD, ordered, uuid7
from dashboard.seed.support_copy import scripts_for
from dashboard.support.rules import FIRST_RESPONSE_HOURS

TS = TicketStatus
STATUS = {TS.OPEN: 0.12, TS.IN_PROGRESS: 0.13, TS.RESOLVED: 0.15, TS.CLOSED: 0.6}
PRIORITY = {TicketPriority.LOW: 0.2, TicketPriority.NORMAL: 0.55, TicketPriority.HIGH: 0.2, TicketPriority.URGENT: 0.05}
CATEGORY = {TicketCategory.KYC: 0.25, TicketCategory.BILLING: 0.3, TicketCategory.TECHNICAL: 0.25,
            TicketCategory.GENERAL: 0.15, None: 0.05}
THREAD_WEIGHT = {TS.OPEN: 0.15, TS.IN_PROGRESS: 1.0, TS.RESOLVED: 1.2, TS.CLOSED: 1.2}
STAFF_FILLER = ("Thanks for your patience, {first}; I am still on it.",
                "I will update you here as soon as I hear back.")
CUSTOMER_FILLER = ("Thank you.", "OK, I will wait for your reply.", "Any news on this?")


def _thread_lengths(rng: np.random.Generator, status: np.ndarray, total: int) -> np.ndarray:
    """Messages per ticket: at least 1 (OPEN) or 2 (answered), summing to exactly ``total``."""
    base = np.where(status == TS.OPEN, 1, 2)
    rest = total - base.sum()
    if rest < 0:
        raise ValueError("profile has fewer messages than the tickets need")
    weight = np.array([THREAD_WEIGHT[TS(s)] for s in status]) * rng.lognormal(0, 0.5, len(status))
    return base + rng.multinomial(rest, weight / weight.sum())


def _tickets(ctx: Context, rng: np.random.Generator) -> dict[str, np.ndarray]:
    c = ctx.customers
    n = ctx.profile.tickets
    user = rng.choice(len(c), n, p=np.where(c.approved, 2.0, 1.0) / np.where(c.approved, 2.0, 1.0).sum())
    status = draw(rng, STATUS, n)
    start = c.created_ms[user] + HOUR_MS
    priority = draw(rng, PRIORITY, n)
    created = np.where(status == TS.IN_PROGRESS, recent(rng, start, 3 * DAY_MS, 30 * DAY_MS),
                       np.where(status == TS.RESOLVED, recent(rng, start, 6 * DAY_MS, 40 * DAY_MS),
                                uniform_between(rng, start, clock.NOW_MS - 10 * DAY_MS)))
    created = np.where(status == TS.OPEN, _waiting_since(rng, start, priority), created)
    created = np.minimum(created, clock.NOW_MS - HOUR_MS)
    end = np.where(np.isin(status, [TS.OPEN, TS.IN_PROGRESS]), clock.NOW_MS - 5 * MINUTE_MS,
                   later(rng, created, 2 * HOUR_MS, 6 * DAY_MS))
    category = draw(rng, CATEGORY, n)
    agent = ctx.staff.pick(rng, n, Role.SUPPORT)  # only support agents reply (``support.reply``) and take tickets
    assigned = np.where((status == TS.OPEN) & (rng.random(n) < 0.6), b"", agent)
    script = np.array([k % len(scripts_for(str(cat))) for cat, k in zip(category, rng.integers(0, 1_000, n))])
    return {"user": user, "status": status, "created": created, "end": end, "category": category,
            "priority": priority, "agent": agent, "assigned": assigned, "script": script,
            "length": _thread_lengths(rng, status, ctx.profile.messages)}


def _messages(rng: np.random.Generator, t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One row per message: ticket, position, sender side, internal flag and time."""
    ticket = np.repeat(np.arange(len(t["length"])), t["length"])
    starts = np.cumsum(t["length"]) - t["length"]
    position = np.arange(len(ticket)) - starts[ticket]
    status = t["status"][ticket]
    staff_turn = (position % 2 == 1) & (status != TS.OPEN)
    last = position == t["length"][ticket] - 1
    staff_turn |= last & np.isin(status, [TS.RESOLVED, TS.CLOSED]) & (position > 0)  # the resolution
    internal = staff_turn & ~last & (rng.random(len(ticket)) < 0.1) & (position > 1)
    internal |= (status == TS.OPEN) & (position == 1) & (rng.random(len(ticket)) < 0.3)  # a note before replying
    staff_turn |= internal
    fraction = np.where(position == 0, 0.0, rng.random(len(ticket)))
    fraction = fraction[np.lexsort((fraction, ticket))]  # increasing within each ticket
    span = t["end"][ticket] - t["created"][ticket]
    ms = t["created"][ticket] + (fraction * span).astype(np.int64) + position  # strictly increasing
    return {"ticket": ticket, "position": position, "staff": staff_turn, "internal": internal, "ms": ms, "last": last}


def _waiting_since(rng: np.random.Generator, start: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """When an OPEN ticket (no reply yet) arrived, so the inbox shows every first-response state today:
    about 40 % well within the priority's target, 20 % due soon, 40 % overdue (up to 30 days)."""
    target = np.array([FIRST_RESPONSE_HOURS[str(p)] for p in priority], dtype=float) * HOUR_MS
    kind = rng.random(len(start))
    age = np.where(kind < 0.4, rng.uniform(0.02, 0.6, len(start)) * target,
                   np.where(kind < 0.6, rng.uniform(0.78, 0.95, len(start)) * target,
                            np.minimum(1.1 * target + rng.exponential(2 * DAY_MS, len(start)), 30 * DAY_MS)))
    moment = (clock.NOW_MS - np.maximum(age, MINUTE_MS)).astype(np.int64)
    return np.where(moment > start, moment, start + ((clock.NOW_MS - start) * 0.5).astype(np.int64))


def _texts(rng: np.random.Generator, ctx: Context, t: dict, m: dict) -> list[str]:
    """Each ticket follows its subject's script: the opener, then the agent's replies and the customer's
    follow-ups in order, the closing message last on a resolved or closed ticket."""
    c = ctx.customers
    out = []
    picks = rng.integers(0, 1_000_000, len(m["ticket"]))
    turns: dict[tuple[int, bool], int] = {}
    for ticket, position, staff, internal, last, pick, ms in zip(m["ticket"], m["position"], m["staff"],
                                                                  m["internal"], m["last"], picks, m["ms"]):
        script = scripts_for(str(t["category"][ticket]))[t["script"][ticket]]
        first = c.first_name[t["user"][ticket]]
        amount = f"USD {100 + pick % 4900:,}.00"
        fill = {"first": first, "days": 2 + pick % 9, "amount": amount, "ref": f"TX-{pick:07d}",
                "date": str(np.datetime64(int(t["created"][ticket] - (2 + pick % 5) * DAY_MS), "ms").astype("datetime64[D]"))}
        if internal:
            out.append(script.notes[pick % len(script.notes)])
        elif staff and last and t["status"][ticket] in (TS.RESOLVED, TS.CLOSED):
            out.append(script.resolution)
        elif position == 0:
            out.append(script.opener.format(**fill))
        else:
            turn = turns.get((int(ticket), bool(staff)), 0)
            turns[(int(ticket), bool(staff))] = turn + 1
            lines = (script.replies, STAFF_FILLER) if staff else (script.follow_ups, CUSTOMER_FILLER)
            text = lines[0][turn] if turn < len(lines[0]) else lines[1][(turn - len(lines[0])) % len(lines[1])]
            out.append(text.format(**fill))
    return out


def _summary(t: dict, m: dict) -> dict[str, np.ndarray]:
    """Per-ticket timestamps derived from the thread."""
    n = len(t["status"])
    public = ~m["internal"]

    def last_of(mask: np.ndarray) -> np.ndarray:
        out = np.full(n, NULL_MS, dtype=np.int64)
        np.maximum.at(out, m["ticket"][mask], m["ms"][mask])
        return out

    first_staff = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    reply = m["staff"] & public
    np.minimum.at(first_staff, m["ticket"][reply], m["ms"][reply])
    first_staff = np.where(first_staff == np.iinfo(np.int64).max, NULL_MS, first_staff)
    return {"first_response": first_staff, "last_reply": last_of(public), "last_customer": last_of(~m["staff"]),
            "last_staff": last_of(m["staff"])}


def _attachments(ctx: Context, rng: np.random.Generator, t: dict, m: dict, ids: np.ndarray) -> tuple[list, list, list, list]:
    """Screenshots of an error, sent by customers with a technical problem."""
    technical = t["category"][m["ticket"]] == TicketCategory.TECHNICAL.value
    wants = technical & ~m["staff"] & (m["position"] > 0) & (rng.random(len(ids)) < 0.3)
    keys, names, mimes, sizes = [], [], [], []
    for row in range(len(ids)):
        if not wants[row]:
            keys.append(None), names.append(None), mimes.append(None), sizes.append(None)
            continue
        if ctx.profile.per_row_images:
            key = f"support/{ids[row].decode()}/screenshot.jpg"
            size, _ = ctx.files.put(key, images.screenshot("The page shows an error after I click continue", row))
        else:
            key = f"support/pool/screenshot-{row % 5}.jpg"
            size, _ = ctx.files.shared(key, lambda s=row % 5: images.screenshot("The page shows an error", s))
        keys.append(key), names.append("screenshot.jpg"), mimes.append("image/jpeg"), sizes.append(size)
    return keys, names, mimes, sizes


def generate(ctx: Context) -> None:
    rng = ctx.streams.np("support")
    c = ctx.customers
    t = _tickets(ctx, rng)
    m = _messages(rng, t)
    s = _summary(t, m)
    n = len(t["status"])
    ticket_ids = uuid7(rng, t["created"])
    done = np.isin(t["status"], [TS.RESOLVED, TS.CLOSED])
    # the agent marks the ticket resolved just after the closing reply (which came after the first response)
    s["resolved"] = np.where(done, s["last_reply"] + 30 * SECOND_MS, NULL_MS)
    closed = np.where(t["status"] == TS.CLOSED, s["last_reply"] + rng.integers(1, 72, n) * HOUR_MS, NULL_MS)
    closed = np.where(closed != NULL_MS, np.maximum(np.minimum(closed, clock.NOW_MS - MINUTE_MS), s["resolved"] + SECOND_MS),
                      NULL_MS)
    unread = (s["last_customer"] > s["last_staff"]) & (rng.random(n) < 0.6)
    staff_read = np.where(s["last_staff"] == NULL_MS, np.where(rng.random(n) < 0.5, s["last_customer"], NULL_MS),
                          np.where(unread, s["last_staff"], np.maximum(s["last_customer"], s["last_staff"])))
    updated = np.maximum(np.maximum(np.maximum(s["last_reply"], closed), s["last_staff"]), s["resolved"])
    subjects = [scripts_for(str(cat))[k].subject for cat, k in zip(t["category"], t["script"])]
    ctx.copy("support_tickets", {
        "id": fmt.uuid(ticket_ids), "user_id": fmt.ref(c.ids, t["user"]), "subject": fmt.text(subjects),
        "status": t["status"].astype(SD), "priority": t["priority"].astype(SD),
        "category": fmt.text([x or None for x in t["category"].tolist()]), "assigned_to_id": fmt.optional_uuid(t["assigned"]),
        "first_response_at": fmt.ts(s["first_response"]), "last_reply_at": fmt.ts(s["last_reply"]),
        "last_customer_message_at": fmt.ts(s["last_customer"]), "staff_read_at": fmt.ts(staff_read),
        "closed_at": fmt.ts(closed), "created_at": fmt.ts(t["created"]), "updated_at": fmt.ts(updated),
    }, order=ordered(ticket_ids))
    _write_messages(ctx, rng, t, m, ticket_ids)
    _history(ctx, t, s, ticket_ids, closed)


def _write_messages(ctx: Context, rng: np.random.Generator, t: dict, m: dict, ticket_ids: np.ndarray) -> None:
    c, staff = ctx.customers, ctx.staff
    ids = uuid7(rng, m["ms"])
    sender = np.where(m["staff"], t["agent"][m["ticket"]], c.ids[t["user"][m["ticket"]]])
    roles = dict(zip(staff.ids.tolist(), staff.roles.tolist()))
    role = np.array([roles.get(x, Role.CUSTOMER.value) if is_staff else Role.CUSTOMER.value
                     for x, is_staff in zip(sender.tolist(), m["staff"])])
    keys, names, mimes, sizes = _attachments(ctx, rng, t, m, ids)
    ctx.copy("support_messages", {
        "id": fmt.uuid(ids), "ticket_id": fmt.ref(ticket_ids, m["ticket"]), "sender_id": fmt.uuid(sender),
        "sender_role": role.astype(SD), "message": fmt.text(_texts(rng, ctx, t, m)),
        "is_internal": fmt.boolean(m["internal"]), "attachment_key": fmt.text(keys), "attachment_name": fmt.text(names),
        "attachment_mime": fmt.text(mimes), "attachment_size": fmt.text([None if x is None else str(x) for x in sizes]),
        "created_at": fmt.ts(m["ms"]),
    }, order=ordered(ids))


def _history(ctx: Context, t: dict, s: dict, ids: np.ndarray, closed: np.ndarray) -> None:
    h = ctx.history
    if not h.wants(ReviewableEntity.SUPPORT_TICKET):
        return
    users = ctx.customers.ids[t["user"]]
    status = t["status"]
    h.add(ReviewableEntity.SUPPORT_TICKET, ids, None, TS.OPEN.value, t["created"], users)
    answered = s["first_response"] != NULL_MS
    h.add(ReviewableEntity.SUPPORT_TICKET, ids[answered], TS.OPEN.value, TS.IN_PROGRESS.value,
          s["first_response"][answered], t["agent"][answered])
    done = np.isin(status, [TS.RESOLVED, TS.CLOSED]) & answered
    h.add(ReviewableEntity.SUPPORT_TICKET, ids[done], TS.IN_PROGRESS.value, TS.RESOLVED.value, s["resolved"][done],
          t["agent"][done])
    shut = (status == TS.CLOSED) & answered
    h.add(ReviewableEntity.SUPPORT_TICKET, ids[shut], TS.RESOLVED.value, TS.CLOSED.value, closed[shut], t["agent"][shut])
