"""Group-approval rows for the browser test (tests/e2e/test_groups.py).

A 2-of-3 group ("E2E withdrawal circle") whose three officers can sign in with the e2e password:
``grp-owner@e2e.test`` (OWNER, the requester), ``grp-treasurer1@e2e.test`` and
``grp-treasurer2@e2e.test`` (TREASURERs); an active account, a ₦500,000.00 balance (one CREDIT) and a
PENDING request of ₦125,000.00 by the owner, expiring in two days.

``insert_group_request`` is idempotent (keyed by the officers' e-mails and the group's name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from passlib.hash import bcrypt_sha256
from sqlmodel import Session

from dashboard.models import (
    Account,
    Group,
    GroupMembership,
    LedgerEntry,
    User,
    WithdrawalRequest,
)
from tests.e2e.accounts import PASSWORD

GROUP_NAME = "E2E withdrawal circle"
OWNER = "grp-owner@e2e.test"
TREASURER_1 = "grp-treasurer1@e2e.test"
TREASURER_2 = "grp-treasurer2@e2e.test"
AMOUNT_KOBO = 12_500_000
BALANCE_KOBO = 50_000_000


@dataclass(frozen=True)
class GroupRequest:
    group_id: str
    request_id: str


def _officer(session: Session, email: str, first: str, password_hash: str) -> User:
    user = session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = User(email=email, first_name=first, last_name="Officer", role="CUSTOMER", platform="TREASURY",
                    account_type="STOCK", password_hash=password_hash)
        session.add(user)
        session.flush()
    return user


FAILING_GROUP_NAME = "E2E failing payout circle"
FAILING_ACCOUNT = "0987650000"  # the sandbox provider refuses accounts ending in 0000


def insert_group_request(session: Session, *, group_name: str = GROUP_NAME,
                         account_number: str = "0123456789") -> GroupRequest:
    """A 2-of-3 group (owner + two treasurers) with a balance and one open withdrawal request to
    ``account_number``."""
    password_hash = bcrypt_sha256.using(rounds=4).hash(PASSWORD)
    people = [_officer(session, OWNER, "Ngozi", password_hash), _officer(session, TREASURER_1, "Tunde", password_hash),
              _officer(session, TREASURER_2, "Amaka", password_hash)]
    group = session.execute(sa.select(Group).where(Group.name == group_name)).scalar_one_or_none()
    if group is None:
        group = Group(name=group_name, created_by=people[0].id, approvals_required=2, approvals_cap=3,
                      rule_template="two_officer")
        session.add(group)
        session.flush()
        for i, person in enumerate(people):
            session.add(GroupMembership(group_id=group.id, user_id=person.id,
                                        role_in_group="OWNER" if i == 0 else "TREASURER"))
        account = Account(group_id=group.id, virtual_account_number="99000" + account_number[-5:],
                          status="active", provider="sandbox")
        session.add(account)
        session.flush()
        session.add(LedgerEntry(group_id=group.id, account_id=account.id, user_id=people[0].id, type="CREDIT",
                                amount_kobo=BALANCE_KOBO, source="demo", reference=f"E2E-GRP-CREDIT-{group.id}"))
        session.flush()
    request = session.execute(sa.select(WithdrawalRequest).where(WithdrawalRequest.group_id == group.id)
                              ).scalars().first()
    if request is None:
        request = WithdrawalRequest(
            group_id=group.id, amount_kobo=AMOUNT_KOBO, requested_by=people[0].id, reason="Venue deposit",
            beneficiary={"account_name": "Lagos Event Hall Ltd", "bank_name": "GTBank", "bank_code": "058",
                         "account_number": account_number},
            expires_at=datetime.now(UTC) + timedelta(days=2))
        session.add(request)
        session.flush()
    return GroupRequest(group_id=str(group.id), request_id=str(request.id))
