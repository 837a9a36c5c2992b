"""Back-office sessions: who may sign in, the session rows, and the check made on every request.

Who may sign in: active staff (``STAFF_ROLES``), and customers who hold a current OWNER or
TREASURER membership in a group (they act as ``permissions.GROUP_OFFICER``).

The browser keeps ``secrets.token_urlsafe(32)``; the database keeps only its SHA-256
(``active_sessions.token_hash``), so a leaked table does not give working tokens. A session ends
after ``session_idle_minutes`` without use or ``session_absolute_hours`` after sign-in, whichever
comes first. ``resolve_session(token)`` -> ``Actor`` on every request; ``sign_out(token)`` ends it.
The sign-in steps that open sessions are in ``dashboard.auth.signin``.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from dashboard.auth import rules
from dashboard.auth.rules import SignInResult, SignInStep
from dashboard.core.actor import Actor
from dashboard.core.errors import NotAuthenticated
from dashboard.core.permissions import GROUP_OFFICER
from dashboard.models import ActiveSession, GroupMembership, User
from dashboard.models.enums import GROUP_OFFICER_ROLES, STAFF_ROLES, Role
from dashboard.audit import chain as audit


# --- who may sign in ----------------------------------------------------------------------------
def is_group_officer(session: Session, user_id: uuid.UUID) -> bool:
    stmt = sa.select(
        sa.exists().where(
            GroupMembership.user_id == user_id,
            GroupMembership.removed_at.is_(None),
            GroupMembership.role_in_group.in_([str(r) for r in GROUP_OFFICER_ROLES]),
        )
    )
    return bool(session.execute(stmt).scalar())


def effective_role(session: Session, user: User) -> str | None:
    """The role the user acts with in the back office, or None when they may not sign in."""
    if user.role in STAFF_ROLES:
        return str(user.role)
    if user.role == Role.CUSTOMER and is_group_officer(session, user.id):
        return GROUP_OFFICER
    return None


def actor_for(user: User, role: str | None, row: ActiveSession | None, ip: str | None, ua: str | None) -> Actor:
    return Actor(user_id=user.id, email=user.email, role=role, session_id=row.id if row else None,
                 ip_address=ip, user_agent=ua)


# --- session rows -------------------------------------------------------------------------------
def new_session(session: Session, *, user: User, now: datetime, ip: str | None, ua: str | None,
                verified: bool) -> tuple[str, ActiveSession]:
    token = secrets.token_urlsafe(32)
    row = ActiveSession(
        user_id=user.id,
        token_hash=rules.hash_token(token),
        device=rules.describe_device(ua)[:255],
        ip_address=ip,
        user_agent=ua,
        two_factor_verified=verified,
        created_at=now,
        last_active_at=now,
        expires_at=now + (rules.absolute_lifetime() if verified else rules.PENDING_SESSION),
    )
    session.add(row)
    session.flush()
    return token, row


def complete(session: Session, *, user: User, role: str, row: ActiveSession, now: datetime,
             ip: str | None, ua: str | None, second_factor: str | None) -> SignInResult:
    """Turn a (new or pending) session into a full one with a fresh token; reset the lockout."""
    token = secrets.token_urlsafe(32)
    row.token_hash = rules.hash_token(token)
    row.two_factor_verified = True
    row.expires_at = row.created_at + rules.absolute_lifetime()
    row.last_active_at = now
    row.ip_address = ip
    row.user_agent = ua
    row.device = rules.describe_device(ua)[:255]
    user.failed_login_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    session.add_all([row, user])
    session.flush()
    actor = actor_for(user, role, row, ip, ua)
    audit.record(session, actor=actor, action="auth.sign_in", target_type="user", target_id=user.id,
                 description=f"{user.email} signed in",
                 details={"role": role, "second_factor": second_factor, "session_id": row.id,
                          "device": row.device})
    return SignInResult(step=SignInStep.SIGNED_IN, token=token, expires_at=row.expires_at, actor=actor)


def revoke_row(row: ActiveSession, *, now: datetime, by: uuid.UUID | None) -> None:
    row.revoked = True
    row.revoked_at = now
    row.revoked_by = by


def revoke_user_sessions(session: Session, *, user_id: uuid.UUID, revoked_by: uuid.UUID | None,
                         now: datetime | None = None) -> int:
    """End every open session of a user at once; returns how many were open."""
    result = session.execute(
        sa.update(ActiveSession)
        .where(ActiveSession.user_id == user_id, ActiveSession.revoked.is_(False))
        .values(revoked=True, revoked_at=now or rules.utcnow(), revoked_by=revoked_by)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def lock_user(session: Session, where: Any) -> User | None:
    stmt = select(User).where(where).with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def locked_session_and_user(session: Session, *, token: object, now: datetime) -> tuple[ActiveSession, User]:
    """The session row of ``token`` and its user, both locked (user first, as everywhere), still
    open and not expired; else ``NotAuthenticated``."""
    token_hash = rules.token_hash(token)
    user_id = session.execute(
        sa.select(ActiveSession.user_id).where(ActiveSession.token_hash == token_hash)
    ).scalar()
    if user_id is None:
        raise NotAuthenticated(rules.SESSION_EXPIRED)
    user = lock_user(session, User.id == user_id)
    row = session.exec(
        select(ActiveSession).where(ActiveSession.token_hash == token_hash)
        .with_for_update().execution_options(populate_existing=True)
    ).first()
    if user is None or row is None:
        raise NotAuthenticated(rules.SESSION_EXPIRED)
    if row.revoked:
        raise NotAuthenticated(rules.SESSION_ENDED)
    if row.expires_at <= now:
        raise NotAuthenticated(rules.SESSION_EXPIRED)
    if row.two_factor_verified and row.last_active_at + rules.idle_timeout() <= now:
        raise NotAuthenticated(rules.SESSION_EXPIRED)
    return row, user


def allowed_role(session: Session, user: User, row: ActiveSession) -> str:
    """The user's role for a session still in use, after the account checks."""
    if not user.is_active:
        raise NotAuthenticated(rules.DEACTIVATED)
    role = effective_role(session, user)
    if role is None:
        raise NotAuthenticated(rules.NOT_BACK_OFFICE)
    if user.password_changed_at is not None and user.password_changed_at > row.created_at:
        raise NotAuthenticated(rules.SESSION_ENDED)
    return role


# --- every request ------------------------------------------------------------------------------
def resolve_session(session: Session, *, token: object, ip_address: object = None,
                    user_agent: object = None) -> Actor:
    """The signed-in actor for ``token``, or ``NotAuthenticated``. Checks the session (open, not
    past its absolute or idle limit, second factor done) and the account (active, still allowed
    to sign in, two-factor set up when the role requires it) on every call, so a deactivation,
    demotion or revocation takes effect on the next request."""
    token_hash = rules.token_hash(token)
    now = rules.utcnow()
    found = session.execute(
        sa.select(ActiveSession, User).join(User, User.id == ActiveSession.user_id)
        .where(ActiveSession.token_hash == token_hash)
        .execution_options(populate_existing=True)
    ).first()
    if found is None:
        raise NotAuthenticated(rules.SESSION_EXPIRED)
    row, user = found
    if row.revoked:
        raise NotAuthenticated(rules.SESSION_ENDED)
    if row.expires_at <= now or row.last_active_at + rules.idle_timeout() <= now:
        raise NotAuthenticated(rules.SESSION_EXPIRED)
    if not row.two_factor_verified:
        raise NotAuthenticated(rules.TWO_FACTOR_PENDING)
    role = allowed_role(session, user, row)
    if rules.two_factor_required(role) and not rules.has_totp(user):
        raise NotAuthenticated(rules.TWO_FACTOR_NOW_REQUIRED)
    if now - row.last_active_at >= rules.TOUCH_EVERY:
        session.execute(
            sa.update(ActiveSession)
            .where(ActiveSession.id == row.id, ActiveSession.last_active_at < now)
            .values(last_active_at=now)
            .execution_options(synchronize_session=False)
        )
    return actor_for(user, role, row, rules.clean_ip(ip_address), rules.clean_user_agent(user_agent))


def sign_out(session: Session, *, token: object, ip_address: object = None, user_agent: object = None) -> bool:
    """End the session of ``token`` on the server at once. True if it was open (idempotent)."""
    try:
        token_hash = rules.token_hash(token)
    except NotAuthenticated:
        return False
    now = rules.utcnow()
    ended = session.execute(
        sa.update(ActiveSession)
        .where(ActiveSession.token_hash == token_hash, ActiveSession.revoked.is_(False))
        .values(revoked=True, revoked_at=now, revoked_by=ActiveSession.user_id)
        .returning(ActiveSession.id, ActiveSession.user_id)
        .execution_options(synchronize_session=False)
    ).first()
    if ended is None:
        return False
    session_id, user_id = ended
    user = session.get(User, user_id)
    assert user is not None
    role = effective_role(session, user)
    actor = Actor(user_id=user.id, email=user.email, role=role, session_id=session_id,
                  ip_address=rules.clean_ip(ip_address), user_agent=rules.clean_user_agent(user_agent))
    audit.record(session, actor=actor, action="auth.sign_out", target_type="session", target_id=session_id,
                 description=f"{user.email} signed out")
    return True
