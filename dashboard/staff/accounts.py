"""The staff account rows: the administrator's own row check, the change lock, the target lock, the
last-administrator guard, making an account, and the first administrator made from the command line.

Every staff query and action checks the actor twice: the permission of ``actor.role``
(``@requires(Perm.STAFF_MANAGE)``), then the actor's own row in this transaction
(``check_manager``: still active, still allowed), so a stale ``Actor`` cannot act. Changes are
serialised by a transaction-scoped advisory lock (``lock_changes``) and the target row is locked
``FOR UPDATE``, so the "last active ADMIN" count cannot be raced (two admins demoting each other at
once). Staff accounts are the users whose role is one of ``STAFF_ROLES``; customers (including group
officers) are not managed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from dashboard.auth import passwords
from dashboard.auth import rules as auth_rules
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, NotAllowed, NotFound
from dashboard.core.permissions import Perm, has_permission
from dashboard.models import User
from dashboard.models.enums import STAFF_ROLES, Platform, Role
from dashboard.audit import chain as audit
from dashboard.staff import rules

STAFF_LOCK = 0x5354_4146_4631  # "STAFF1": serialises staff-account changes
TAKEN = "An account with this email already exists."


def check_manager(session: Session, actor: Actor) -> Actor:
    """The actor's own row, read in this transaction, still holds ``STAFF_MANAGE``."""
    if actor.user_id is None:
        raise NotAllowed(rules.NOT_PERMITTED)
    row = session.execute(sa.select(User.role, User.is_active).where(User.id == actor.user_id)).first()
    if row is None or not row.is_active or not has_permission(row.role, Perm.STAFF_MANAGE):
        raise NotAllowed(rules.NOT_PERMITTED)
    return actor


def lock_changes(session: Session) -> None:
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": STAFF_LOCK})


def lock_target(session: Session, user_id: object) -> User:
    target_id = rules.parse_id(user_id)
    user = session.exec(
        select(User).where(User.id == target_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if user is None or user.role not in STAFF_ROLES:
        raise NotFound(rules.NO_SUCH_STAFF)
    return user


def active_admins(session: Session) -> int:
    return int(session.execute(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.ADMIN.value, User.is_active.is_(True))
    ).scalar_one())


def guard_last_admin(session: Session, target: User) -> None:
    if target.role == Role.ADMIN and target.is_active and active_admins(session) <= 1:
        raise Conflict(rules.LAST_ADMIN)


def record(session: Session, actor: Actor, action: str, user: User, description: str,
           before: dict[str, Any] | None, after: dict[str, Any] | None, **details: Any) -> None:
    audit.record(session, actor=actor, action=action, target_type="user", target_id=user.id,
                 description=description, before=before, after=after, details=details or None)


def new_user(session: Session, *, email: str, first_name: str, last_name: str, role: str,
             password_hash: str, now: datetime) -> User:
    if session.execute(sa.select(sa.exists().where(User.email == email))).scalar():
        raise Conflict(TAKEN)
    user = User(email=email, first_name=first_name, last_name=last_name, role=role,
                platform=Platform.STAFF.value, account_type=None, password_hash=password_hash,
                password_changed_at=now, credentials_changed_at=now, is_active=True, created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise Conflict(TAKEN) from None
    return user


def create_admin(session: Session, *, email: object, first_name: object, last_name: object,
                 password: object) -> User:
    """An ADMIN account made from the command line (the first one, or a recovery account);
    audited as the system. Two-factor is set up at its first sign-in."""
    address = auth_rules.normalise_email(email)
    first, last = rules.clean_name(first_name, "first name"), rules.clean_name(last_name, "last name")
    password_hash = passwords.hash_password(passwords.validate_new_password(password))
    lock_changes(session)
    now = auth_rules.utcnow()
    user = new_user(session, email=address, first_name=first, last_name=last, role=Role.ADMIN.value,
                    password_hash=password_hash, now=now)
    audit.record(session, actor=Actor.system("cli:create-admin"), action="staff.created", target_type="user",
                 target_id=user.id, description=f"Created administrator {address} from the command line",
                 after=rules.account_view(user), details={"source": "cli"})
    return user
