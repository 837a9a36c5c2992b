"""Support rows for the browser tests (tests/e2e/test_support.py).

- a second support agent (``support2@e2e.test``, same password and hashing as tests/e2e/accounts.py);
- an URGENT ticket with an unread customer message (opened, answered with a canned reply, noted and
  resolved by the first flow);
- a ticket whose customer message holds HTML and a script (must render as inert text);
- one canned reply.

``insert_support_data`` is idempotent (keyed by the customers' e-mails). ``close_leftovers`` resolves these
tickets if a test stopped half-way, so the overview's open-ticket count (tests/e2e/data.py) is the same
before and after these tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from passlib.hash import bcrypt_sha256
from sqlmodel import Session

from dashboard.models import CannedReply, SupportMessage, SupportTicket, User
from tests.e2e.accounts import PASSWORD

SECOND_AGENT = "support2@e2e.test"
UNREAD_EMAIL = "una.unread@e2e-support.test"
XSS_EMAIL = "mallory.markup@e2e-support.test"
XSS_TEXT = "<script>alert(1)</script><b>bold</b>"
CANNED_TITLE = "Deposit credited"
CANNED_BODY = "Hello {first_name}, your deposit has now been credited. Please refresh your dashboard."


@dataclass(frozen=True)
class SupportRows:
    unread_ticket: str
    unread_number: int
    xss_ticket: str
    xss_user: str


def _user(session: Session, email: str, first: str, last: str, **kw) -> User:
    user = session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = User(email=email, first_name=first, last_name=last, **kw)
        session.add(user)
        session.flush()
    return user


def _ticket(session: Session, user: User, subject: str, text: str, *, hours_old: float, priority: str) -> SupportTicket:
    found = session.execute(sa.select(SupportTicket).where(SupportTicket.user_id == user.id)).scalar_one_or_none()
    if found is not None:
        return found
    created = datetime.now(UTC) - timedelta(hours=hours_old)
    row = SupportTicket(user_id=user.id, subject=subject, status="OPEN", priority=priority, category="BILLING",
                        created_at=created, updated_at=created, last_customer_message_at=created)
    session.add(row)
    session.flush()
    session.add(SupportMessage(ticket_id=row.id, sender_id=user.id, sender_role="CUSTOMER", message=text,
                               created_at=created))
    session.flush()
    return row


def insert_support_data(session: Session) -> SupportRows:
    _user(session, SECOND_AGENT, "Second", "Agent", role="SUPPORT", platform="STAFF",
          password_hash=bcrypt_sha256.using(rounds=4).hash(PASSWORD))
    una = _user(session, UNREAD_EMAIL, "Una", "Unread", role="CUSTOMER", platform="VIP", account_type="STOCK",
                kyc_status="APPROVED", country="GB")
    mallory = _user(session, XSS_EMAIL, "Mallory", "Markup", role="CUSTOMER", platform="VIP",
                    account_type="CRYPTO", kyc_status="PENDING", country="DE")
    unread = _ticket(session, una, "Deposit of USD 2,500 not credited",
                     "Hi, I sent USD 2,500 by wire on Monday and it is still not in my account.", hours_old=2,
                     priority="URGENT")
    xss = _ticket(session, mallory, "Formatting test", XSS_TEXT, hours_old=1, priority="LOW")
    if session.execute(sa.select(CannedReply).where(CannedReply.title == CANNED_TITLE)).first() is None:
        session.add(CannedReply(title=CANNED_TITLE, body=CANNED_BODY))
        session.flush()
    return SupportRows(unread_ticket=str(unread.id), unread_number=unread.number, xss_ticket=str(xss.id),
                       xss_user=str(mallory.id))


def close_leftovers(session: Session) -> None:
    users = sa.select(User.id).where(User.email.in_([UNREAD_EMAIL, XSS_EMAIL]))
    session.execute(sa.update(SupportTicket).where(SupportTicket.user_id.in_(users),
                                                   SupportTicket.status.in_(["OPEN", "IN_PROGRESS"]))
                    .values(status="RESOLVED"))
