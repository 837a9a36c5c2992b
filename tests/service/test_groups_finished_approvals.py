"""A finished request shows the approvals that reached its quorum (issue 14, item 10: "Paid, 0 of 1").

While a request is open only current officers' approvals count (the payout re-checks them); once it is
paid or declined, its approvals are history: an approver leaving office later does not make a paid
request look unapproved.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session

from dashboard import models as m
from dashboard.core.actor import Actor
from dashboard.core.permissions import GROUP_OFFICER
from dashboard.groups import actions, queries
from dashboard.groups.payouts import SANDBOX
from tests import factories as f


def _group(session: Session, required: int = 1) -> dict:
    people = [f.user(session) for _ in range(3)]
    grp = f.group(session, people[0], approvals_required=required, approvals_cap=3)
    for i, p in enumerate(people):
        f.membership(session, grp, p, role="OWNER" if i == 0 else "TREASURER")
    acc = f.account(session, grp)
    session.add(m.LedgerEntry(group_id=grp.id, account_id=acc.id, type="CREDIT", amount_kobo=5_000_000,
                              source="provider_sandbox", reference=f"CR-{uuid.uuid4().hex}"))
    session.flush()
    return {"group": grp, "people": people, "actors": [Actor(user_id=p.id, email=p.email, role=GROUP_OFFICER)
                                                        for p in people]}


def _leave_office(session: Session, g: dict, person: m.User) -> None:
    session.execute(sa.text("UPDATE group_membership SET removed_at = now() WHERE group_id = :g AND user_id = :u"),
                    {"g": g["group"].id, "u": person.id})


def _row(session: Session, actor: Actor, request_id) -> dict[str, str]:
    page = queries.list_requests(session, actor=actor, tab="history")
    return next(r for r in page.rows if r["id"] == str(request_id))


def test_a_paid_request_keeps_its_approvals_after_the_approver_leaves_office(db: Session) -> None:
    SANDBOX.reset()
    g = _group(db)
    wr = f.withdrawal(db, g["group"], g["people"][0], amount_kobo=100_000)
    actions.approve(db, actor=g["actors"][1], request_id=str(wr.id))
    actions.execute_payout(db, actor=g["actors"][1], request_id=str(wr.id))
    _leave_office(db, g, g["people"][1])
    owner = g["actors"][0]
    assert _row(db, owner, wr.id)["approvals"] == "1 of 1"
    assert queries.open_request(db, actor=owner, request_id=str(wr.id)).summary["approvals"] == "1 of 1"


def test_an_open_request_counts_only_current_officers(db: Session) -> None:
    g = _group(db, required=2)
    wr = f.withdrawal(db, g["group"], g["people"][0], amount_kobo=100_000)
    actions.approve(db, actor=g["actors"][1], request_id=str(wr.id))
    _leave_office(db, g, g["people"][1])
    view = queries.open_request(db, actor=g["actors"][0], request_id=str(wr.id))
    assert view.summary["approvals"] == "0 of 2"
    assert queries.list_requests(db, actor=g["actors"][0], tab="open").rows[0]["approvals"] == "0 of 2"
