"""Changing staff accounts and ending sessions (``Perm.STAFF_MANAGE``, ADMIN only).

Each action is one transaction: the actor's own row is checked before and again after taking the
change lock (see ``accounts``), the target row is locked, and one audit entry is written with
before/after, never a password hash or a TOTP seed. Each returns the changed account as the staff
list shows it (``rules.account_row``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.auth import passwords, totp
from dashboard.auth import rules as auth_rules
from dashboard.auth.rules import has_totp
from dashboard.auth.sessions import revoke_user_sessions
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, NotAllowed, NotFound
from dashboard.core.permissions import Perm, requires
from dashboard.models import ActiveSession, User
from dashboard.models.enums import Role, TwoFactorMethod
from dashboard.audit import chain as audit
from dashboard.staff import rules
from dashboard.staff.accounts import check_manager, guard_last_admin, lock_changes, lock_target, new_user, record


def _locked_target(session: Session, actor: Actor, user_id: object) -> User:
    """Take the change lock, check the actor again under it, then lock the target account."""
    lock_changes(session)
    check_manager(session, actor)
    return lock_target(session, user_id)


def _change(session: Session, actor: Actor, target: User, action: str, description: str,
            apply: Callable[[User], None], *, end_sessions: bool = False,
            credentials: bool = False) -> dict[str, Any]:
    """Apply one change to a locked account, audit it with before/after (and end its sessions).
    ``credentials``: a role or two-step change, which starts the second approver's cooling-off."""
    now = auth_rules.utcnow()
    before = rules.account_view(target)
    apply(target)
    target.updated_at = now
    if credentials:
        target.credentials_changed_at = now
    session.add(target)
    session.flush()
    details: dict[str, Any] = {}
    if end_sessions:
        details["sessions_revoked"] = revoke_user_sessions(session, user_id=target.id, revoked_by=actor.user_id,
                                                           now=now)
    record(session, actor, action, target, description, before, rules.account_view(target), **details)
    return rules.account_row(target, now)


@requires(Perm.STAFF_MANAGE)
def create_staff(session: Session, *, actor: Actor, email: object, first_name: object,
                 last_name: object, role: object, password: object) -> dict[str, Any]:
    """A new staff account (active, no two-factor yet: an ADMIN sets it up at first sign-in)."""
    check_manager(session, actor)
    address = auth_rules.normalise_email(email)
    first, last = rules.clean_name(first_name, "first name"), rules.clean_name(last_name, "last name")
    new_role = rules.staff_role(role)
    password_hash = passwords.hash_password(passwords.validate_new_password(password))  # slow: before the lock
    lock_changes(session)
    check_manager(session, actor)
    now = auth_rules.utcnow()
    user = new_user(session, email=address, first_name=first, last_name=last, role=new_role,
                    password_hash=password_hash, now=now)
    record(session, actor, "staff.created", user, f"Created staff account {address} ({new_role})",
           None, rules.account_view(user))
    return rules.account_row(user, now)


@requires(Perm.STAFF_MANAGE)
def change_role(session: Session, *, actor: Actor, user_id: object, role: object) -> dict[str, Any]:
    check_manager(session, actor)
    new_role = rules.staff_role(role)
    target = _locked_target(session, actor, user_id)
    if target.role == new_role:
        return rules.account_row(target, auth_rules.utcnow())
    if target.id == actor.user_id:
        raise NotAllowed("You cannot change your own role.")
    if new_role != Role.ADMIN:
        guard_last_admin(session, target)
    old_role = target.role

    def apply(user: User) -> None:
        user.role = new_role

    return _change(session, actor, target, "staff.role_changed",
                   f"Changed the role of {target.email} from {old_role} to {new_role}", apply, credentials=True)


@requires(Perm.STAFF_MANAGE)
def deactivate(session: Session, *, actor: Actor, user_id: object) -> dict[str, Any]:
    """Switch an account off and end all of its sessions at once."""
    check_manager(session, actor)
    target = _locked_target(session, actor, user_id)
    if target.id == actor.user_id:
        raise NotAllowed("You cannot deactivate your own account.")
    if not target.is_active:
        raise Conflict("This account is already deactivated.")
    guard_last_admin(session, target)

    def apply(user: User) -> None:
        user.is_active = False

    return _change(session, actor, target, "staff.deactivated", f"Deactivated {target.email}", apply,
                   end_sessions=True)


@requires(Perm.STAFF_MANAGE)
def reactivate(session: Session, *, actor: Actor, user_id: object) -> dict[str, Any]:
    check_manager(session, actor)
    target = _locked_target(session, actor, user_id)
    if target.is_active:
        raise Conflict("This account is already active.")

    def apply(user: User) -> None:
        user.is_active = True

    return _change(session, actor, target, "staff.reactivated", f"Reactivated {target.email}", apply)


@requires(Perm.STAFF_MANAGE)
def reset_password(session: Session, *, actor: Actor, user_id: object, new_password: object) -> dict[str, Any]:
    """Set a new password, clear the lockout and end all of the account's sessions."""
    check_manager(session, actor)
    password_hash = passwords.hash_password(passwords.validate_new_password(new_password))  # slow: before the lock
    target = _locked_target(session, actor, user_id)
    now = auth_rules.utcnow()
    before = {"failed_login_attempts": target.failed_login_attempts, "locked_until": target.locked_until,
              "password_changed_at": target.password_changed_at}
    target.password_hash = password_hash
    target.password_changed_at = now
    target.credentials_changed_at = now
    target.failed_login_attempts = 0
    target.locked_until = None
    target.updated_at = now
    session.add(target)
    session.flush()
    ended = revoke_user_sessions(session, user_id=target.id, revoked_by=actor.user_id, now=now)
    record(session, actor, "staff.password_reset", target, f"Reset the password of {target.email}", before,
           {"failed_login_attempts": 0, "locked_until": None, "password_changed_at": now}, sessions_revoked=ended)
    return rules.account_row(target, now)


@requires(Perm.STAFF_MANAGE)
def reset_two_factor(session: Session, *, actor: Actor, user_id: object) -> dict[str, Any]:
    """Switch off a colleague's authenticator (lost phone): their sessions end, and an ADMIN must
    set up a new one at the next sign-in. Not for one's own account."""
    check_manager(session, actor)
    target = _locked_target(session, actor, user_id)
    if target.id == actor.user_id:
        raise NotAllowed("Ask another administrator to reset your two-step sign-in.")
    if not has_totp(target) and not target.two_factor_secret:
        raise Conflict("Two-step sign-in is not set up for this account.")

    def apply(user: User) -> None:
        user.two_factor_enabled = False
        user.two_factor_method = TwoFactorMethod.NONE.value
        user.two_factor_secret = None
        user.preferences = {k: v for k, v in (user.preferences or {}).items() if k != totp.LAST_STEP_KEY}

    return _change(session, actor, target, "staff.two_factor_reset", f"Reset two-step sign-in of {target.email}",
                   apply, end_sessions=True, credentials=True)


@requires(Perm.STAFF_MANAGE)
def revoke_session(session: Session, *, actor: Actor, session_id: object) -> None:
    """End one back-office session at once (any account's, including the actor's own)."""
    check_manager(session, actor)
    sid = rules.parse_id(session_id, "session")
    now = auth_rules.utcnow()
    ended = session.execute(
        sa.update(ActiveSession)
        .where(ActiveSession.id == sid, ActiveSession.revoked.is_(False))
        .values(revoked=True, revoked_at=now, revoked_by=actor.user_id)
        .returning(ActiveSession.user_id)
        .execution_options(synchronize_session=False)
    ).first()
    if ended is None:
        exists = session.execute(sa.select(sa.exists().where(ActiveSession.id == sid))).scalar()
        if exists:
            raise Conflict("This session has already ended.")
        raise NotFound("This session does not exist.")
    owner = session.get(User, ended.user_id)
    audit.record(session, actor=actor, action="auth.session_revoked", target_type="session", target_id=sid,
                 description=f"Ended a session of {owner.email if owner else ended.user_id}",
                 before={"revoked": False}, after={"revoked": True, "revoked_at": now},
                 details={"user_id": ended.user_id, "email": owner.email if owner else None})
