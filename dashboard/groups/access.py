"""Who is a group's officer, and the withdrawal-request row as the queries and actions load it.

A *group officer* is anyone (customer or staff) with a **current** OWNER or TREASURER membership of
the group (``removed_at IS NULL``). Officers see and act on the requests of their own groups only;
ADMIN sees every group, read-only. Membership is checked against the target request's group on every
read and write, so guessing an id of another group's request gives "not found", exactly as a missing
id does. Only current officers' approvals count towards the quorum.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.errors import NotFound
from dashboard.groups.rules import NOT_FOUND, OFFICER_ROLES, parse_id

_ROLES = ", ".join(f"'{role}'" for role in OFFICER_ROLES)


def current_officer(m: str = "m") -> str:
    """SQL: the membership row ``m`` is a current officer's."""
    return f"{m}.removed_at IS NULL AND {m}.role_in_group IN ({_ROLES})"


# Approvals that count: by a current officer of the request's group (``w`` names the request row).
COUNTING_APPROVALS = f"""
SELECT count(*) FROM approval a
JOIN group_membership m ON m.group_id = w.group_id AND m.user_id = a.approver_user_id AND {current_officer()}
WHERE a.withdrawal_id = w.id
"""


# Every approval recorded on the request: what a finished (PAID or DECLINED) request shows, since the
# quorum was judged when it was reached, whoever has left office since.
RECORDED_APPROVALS = "SELECT count(*) FROM approval a WHERE a.withdrawal_id = w.id"
FINISHED = ("PAID", "DECLINED")


def shown_approvals(status: str, counting: int, recorded: int) -> int:
    """The approvals a request shows: those that count now while it is open, all recorded once finished."""
    return recorded if status in FINISHED else counting


def sees_all(actor: Actor) -> bool:
    return actor.role == "ADMIN"


def officer_group_ids(session: Session, user_id: uuid.UUID | None) -> list[uuid.UUID]:
    rows = session.execute(
        sa.text(f"SELECT group_id FROM group_membership m WHERE m.user_id = :u AND {current_officer()}"),
        {"u": user_id},
    ).scalars()
    return list(rows)


def is_officer(session: Session, user_id: uuid.UUID | None, group_id: uuid.UUID, *, lock: bool = False) -> bool:
    sql = (f"SELECT 1 FROM group_membership m WHERE m.user_id = :u AND m.group_id = :g AND {current_officer()}"
           + (" FOR SHARE" if lock else ""))
    return session.execute(sa.text(sql), {"u": user_id, "g": group_id}).first() is not None


def load_request(session: Session, request_id: uuid.UUID, *, lock: bool = False) -> Any:
    sql = ("SELECT w.*, g.name AS group_name, g.approvals_required FROM withdrawal_request w "
           'JOIN "group" g ON g.id = w.group_id WHERE w.id = :id' + (" FOR UPDATE OF w" if lock else ""))
    return session.execute(sa.text(sql), {"id": request_id}).first()


def visible_request(session: Session, actor: Actor, request_id: Any) -> Any:
    """The request if the actor may see it (ADMIN: any; others: their own groups'), else NotFound."""
    row = load_request(session, parse_id(request_id))
    if row is None:
        raise NotFound(NOT_FOUND)
    if not sees_all(actor) and not is_officer(session, actor.user_id, row.group_id):
        raise NotFound(NOT_FOUND)  # the same answer as a missing id: no probing other groups' ids
    return row


def acting_request(session: Session, actor: Actor, request_id: Any) -> Any:
    """Lock the request and check the actor is a current officer of its group (ADMIN: read-only)."""
    row = load_request(session, parse_id(request_id), lock=True)
    if row is None or not is_officer(session, actor.user_id, row.group_id, lock=True):
        raise NotFound(NOT_FOUND)
    return row


def counting_approvals(session: Session, request_id: uuid.UUID) -> int:
    return int(session.execute(
        sa.text(f"SELECT ({COUNTING_APPROVALS}) FROM withdrawal_request w WHERE w.id = :w"), {"w": request_id},
    ).scalar_one())


def recorded_approvals(session: Session, request_id: uuid.UUID) -> int:
    return int(session.execute(
        sa.text(f"SELECT ({RECORDED_APPROVALS}) FROM withdrawal_request w WHERE w.id = :w"), {"w": request_id},
    ).scalar_one())
