"""What an officer can do with the generated queues today, asked of the services themselves (issue 14,
item 1): every open item is listed by the queue's query (counted per state), and the first ``TRY`` of
each state, in the queue's order, are tried with the real actions inside a savepoint that is rolled
back, so nothing changes (``DECLINE_TRY`` of them with the refusing action too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard import models as m
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from dashboard.core.permissions import GROUP_OFFICER
from dashboard.groups import queries as group_queries
from dashboard.kyc import actions as kyc_actions
from dashboard.kyc import queries as kyc_queries
from dashboard.support import actions as support_actions
from dashboard.support import queries as support_queries
from dashboard.transactions import actions as tx_actions
from dashboard.transactions import queries as tx_queries
from dashboard.transactions.rules import MODEL, Queue

REFUSED = (Conflict, InvalidInput, NotAllowed, NotFound)
TRY = 8  # items of each state tried with the approving action
DECLINE_TRY = 3  # ... and with the refusing one


def actor_for(session: Session, email: str) -> Actor:
    user = session.execute(sa.select(m.User).where(m.User.email == email)).scalar_one()
    role = user.role if user.role != "CUSTOMER" else GROUP_OFFICER
    return Actor(user_id=user.id, email=user.email, role=role)


def staff(session: Session, role: str) -> list[Actor]:
    emails = session.execute(sa.select(m.User.email).where(m.User.role == role).order_by(m.User.email)).scalars()
    return [actor_for(session, e) for e in emails]


def pages(fetch: Callable[..., Any], **kw: Any) -> Iterator[Any]:
    after = None
    while True:
        page = fetch(after=after, **kw)
        yield from page.rows
        after = page.next_cursor
        if after is None:
            return


def works(session: Session, action: Callable[[], Any]) -> bool:
    """Does the action succeed? Tried in a savepoint, always rolled back."""
    savepoint = session.begin_nested()
    try:
        action()
        return True
    except REFUSED:
        return False
    finally:
        savepoint.rollback()
        session.expire_all()


def treasury(session: Session) -> Counter:
    """Per (queue, kind, status): how many open items, and how many a treasurer can approve and decline."""
    officers = staff(session, "TREASURER")
    out: Counter = Counter()
    for queue in Queue:
        for row in pages(tx_queries.list_queue, session=session, actor=officers[0], queue=queue.value, limit=100):
            first = session.execute(sa.text(f"SELECT first_approved_by FROM {MODEL[queue].__tablename__} "
                                            "WHERE id = :id"), {"id": row["id"]}).scalar() \
                if queue is not Queue.GIFT_CARDS else None
            officer = next(o for o in officers if o.user_id != first)
            kind = row["kind"] if queue is not Queue.GIFT_CARDS else "Gift card"
            key = (queue.value, kind, row["status_code"])
            out[key + ("open",)] += 1
            if out[key + ("open",)] > TRY:
                continue

            def decide(action: str, reason: str | None = None) -> Callable[[], Any]:
                return lambda: tx_actions.decide(session, actor=officer, queue=queue.value, item_id=row["id"],
                                                 action=action, reason=reason, expected_status=row["status_code"])

            out[key + ("tried",)] += 1
            out[key + ("approvable",)] += works(session, decide("approve"))
            if out[key + ("open",)] <= DECLINE_TRY:
                out[key + ("declinable",)] += works(session, decide("decline", "Checked with the customer"))
    return out


def kyc(session: Session) -> tuple[Counter, Counter]:
    """(SLA states of the queue, per status: open cases and those an officer can decide today)."""
    officers = staff(session, "COMPLIANCE")
    sla: Counter = Counter()
    out: Counter = Counter()
    for row in pages(kyc_queries.list_queue, session=session, actor=officers[0], limit=100):
        sla[row.sla_state] += 1
        first = session.execute(sa.select(m.KycVerification.first_approved_by_id)
                                .where(m.KycVerification.id == row.id)).scalar()
        officer = next(o for o in officers if o.user_id != first)
        out[(row.status, "open")] += 1
        if out[(row.status, "open")] > TRY:
            continue
        out[(row.status, "tried")] += 1

        def decide() -> None:
            kyc_actions.open_case(session, actor=officer, case_id=row.id)
            if row.status == "AWAITING_SECOND_REVIEW":
                kyc_actions.confirm_second_review(session, actor=officer, case_id=row.id)
            else:
                kyc_actions.approve(session, actor=officer, case_id=row.id)

        def reject() -> None:
            kyc_actions.open_case(session, actor=officer, case_id=row.id)
            kyc_actions.reject(session, actor=officer, case_id=row.id, reason_code="IMAGE_BLURRY")

        out[(row.status, "approvable")] += works(session, decide)
        if out[(row.status, "open")] <= DECLINE_TRY:
            out[(row.status, "rejectable")] += works(session, reject)
    return sla, out


def support(session: Session) -> tuple[Counter, Counter]:
    """(tickets per status as the inbox counts them, per active status: first-response states and how
    many an agent can answer today)."""
    agent = staff(session, "SUPPORT")[0]
    counts: Counter = Counter()
    out: Counter = Counter()
    for row in pages(support_queries.list_inbox, session=session, actor=agent, filters={"status": "ALL"}, limit=100):
        counts[row["status"]] += 1
        if row["status"] not in ("OPEN", "IN_PROGRESS"):
            continue
        out[(row["status"], row.get("sla_state", ""))] += 1
        out[(row["status"], "open")] += 1
        if out[(row["status"], "open")] > TRY:
            continue
        out[(row["status"], "tried")] += 1

        def answer() -> None:
            view = support_queries.open_thread(session, actor=agent, ticket_id=row["id"])
            support_actions.reply(session, actor=agent, ticket_id=row["id"], body="Thanks, looking at it now.",
                                  seen_others=view.seen_others)

        out[(row["status"], "answerable")] += works(session, answer)
    return counts, out


def groups(session: Session) -> Counter:
    """For every open request of every group, what one of its officers can do with it today."""
    out: Counter = Counter()
    rows = session.execute(sa.text(
        "SELECT w.id, w.status, w.requested_by, w.expires_at > now() AS live, w.expires_at - now() AS left_, "
        "(SELECT m.user_id FROM group_membership m WHERE m.group_id = w.group_id AND m.removed_at IS NULL "
        " AND m.role_in_group IN ('OWNER', 'TREASURER') AND m.user_id <> w.requested_by AND NOT EXISTS ("
        "  SELECT 1 FROM approval a WHERE a.withdrawal_id = w.id AND a.approver_user_id = m.user_id) "
        " ORDER BY m.joined_at LIMIT 1) AS officer "
        "FROM withdrawal_request w WHERE w.status IN ('PENDING', 'APPROVED')")).all()
    for r in rows:
        if r.status == "PENDING" and not r.live:
            out["expired"] += 1
            continue
        key = r.status
        out[(key, "open")] += 1
        if r.status == "PENDING" and r.left_.total_seconds() < 6 * 3600:
            out[(key, "under 6 h left")] += 1
        officer = r.officer or session.execute(sa.text(
            "SELECT user_id FROM group_membership m JOIN withdrawal_request w ON w.group_id = m.group_id "
            "WHERE w.id = :w AND m.removed_at IS NULL AND m.role_in_group IN ('OWNER', 'TREASURER') LIMIT 1"),
            {"w": r.id}).scalar()
        user = session.get(m.User, officer)
        acts = group_queries.open_request(session, actor=Actor(user_id=user.id, email=user.email, role=GROUP_OFFICER),
                                          request_id=str(r.id)).actions
        for act in ("approve", "decline", "pay", "retry"):
            out[(key, act)] += acts[f"can_{act}"] == "yes"
    return out
