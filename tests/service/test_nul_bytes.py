"""Issue 12, finding 8: a NUL byte (or another control character) in search or note text is refused with
a clear message before it reaches PostgreSQL (which answers a NUL with a DataError)."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import Session

from dashboard.audit import queries as audit_queries
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput
from dashboard.groups import actions as group_actions
from dashboard.kyc import queries as kyc_queries
from dashboard.portfolios import queries as portfolio_queries
from dashboard.staff import queries as staff_queries
from dashboard.support import queries as support_queries
from dashboard.transactions import actions as tx_actions
from tests import factories as f

NUL = "a\x00b"


def _admin(session: Session) -> Actor:
    u = f.user(session, role="ADMIN")
    return Actor(user_id=u.id, email=u.email, role="ADMIN")
ANY_ID = str(uuid.uuid4())

CALLS = {
    "transactions decline reason": lambda s, a: tx_actions.decide(s, actor=a, queue="deposits", item_id=ANY_ID,
                                                                   action="decline", reason=NUL),
    "transactions approve note": lambda s, a: tx_actions.decide(s, actor=a, queue="deposits", item_id=ANY_ID,
                                                                 action="approve", reason=NUL),
    "transactions admin note": lambda s, a: tx_actions.save_note(s, actor=a, queue="deposits", item_id=ANY_ID,
                                                                  note=NUL),
    "groups decline reason": lambda s, a: group_actions.decline(s, actor=a, request_id=ANY_ID, reason=NUL + "cdef"),
    "support search": lambda s, a: support_queries.list_inbox(s, actor=a, filters={"search": NUL}),
    "staff search": lambda s, a: staff_queries.list_staff(s, actor=_admin(s), search=NUL),
    "portfolios client search": lambda s, a: portfolio_queries.search_clients(s, actor=a, query=NUL),
    "kyc search": lambda s, a: kyc_queries.list_queue(s, actor=a, filters={"search": NUL}),
    "audit actor filter": lambda s, a: audit_queries.list_entries(s, actor=a, filters={"actor": NUL}),
    "audit action filter": lambda s, a: audit_queries.list_entries(s, actor=a, filters={"action": NUL}),
    "audit target filter": lambda s, a: audit_queries.list_entries(s, actor=a, filters={"target_type": "user",
                                                                                       "target_id": NUL}),
}


@pytest.mark.parametrize("where", list(CALLS))
def test_a_nul_byte_is_refused_with_a_clear_message(db: Session, where: str) -> None:
    with pytest.raises(InvalidInput, match="control characters"):
        CALLS[where](db, Actor.system())
    db.connection().exec_driver_sql("SELECT 1")  # the transaction is still usable: no database error happened
