"""Staff administration: accounts, roles, passwords, sessions (``Perm.STAFF_MANAGE``, ADMIN only).

Every function checks the actor twice: the permission of ``actor.role``, then the actor's own row
in this transaction (still active, still allowed), so a stale ``Actor`` cannot act. Changes are
serialised by a transaction-scoped advisory lock and the target row is locked ``FOR UPDATE``, so
the "last active ADMIN" count cannot be raced (two admins demoting each other at once). Every
change writes one audit entry with before/after, never a password hash or a TOTP seed.

Staff accounts are the users whose role is one of ``STAFF_ROLES``; customers (including group
officers) are not managed here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from dashboard.models import ActiveSession, User
from dashboard.models.enums import STAFF_ROLES, Platform, Role, TwoFactorMethod, label
from dashboard.core.permissions import Perm, has_permission
from dashboard.audit import chain as audit
from dashboard.services import auth, passwords, totp
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotAuthenticated, NotFound

STAFF_LOCK = 0x5354_4146_4631  # "STAFF1": serialises staff-account changes
MAX_NAME_LENGTH = 150
MAX_SEARCH_LENGTH = 100
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_SESSIONS_LISTED = 200
NOT_PERMITTED = "You do not have permission to manage staff accounts."
NO_SUCH_STAFF = "This staff account does not exist."
LAST_ADMIN = "At least one active administrator must remain."


@dataclass(frozen=True)
class StaffPage:
    """One page of the staff list. Pass ``next_after`` back as ``after`` for the next page."""

    rows: list[dict[str, Any]]
    next_after: str | None
    total: int


# --- checks -------------------------------------------------------------------------------------
def _require_manager(session: Session, actor: object) -> Actor:
    if not isinstance(actor, Actor):
        raise NotAuthenticated("Please sign in.")
    if not actor.can(Perm.STAFF_MANAGE) or actor.user_id is None:
        raise NotAllowed(NOT_PERMITTED)
    row = session.execute(
        sa.select(User.role, User.is_active).where(User.id == actor.user_id)
    ).first()
    if row is None or not row.is_active or not has_permission(row.role, Perm.STAFF_MANAGE):
        raise NotAllowed(NOT_PERMITTED)
    return actor


def _lock_changes(session: Session) -> None:
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": STAFF_LOCK})


def _uuid(value: object, what: str = "account") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str) and len(value) <= 64:
        try:
            return uuid.UUID(value.strip())
        except ValueError:
            pass
    raise InvalidInput(f"Unknown {what}.")


def clean_name(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"Enter a {what}.")
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidInput(f"Enter a {what}.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidInput(f"The {what} must have at most {MAX_NAME_LENGTH} characters.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
        raise InvalidInput(f"The {what} contains a character that is not allowed.")
    return cleaned


def _staff_role(value: object) -> str:
    if not isinstance(value, str) or value not in STAFF_ROLES:
        raise InvalidInput("Choose a staff role: " + ", ".join(sorted(str(r) for r in STAFF_ROLES)) + ".")
    return str(value)


def _lock_target(session: Session, user_id: object) -> User:
    target_id = _uuid(user_id)
    user = session.exec(
        select(User).where(User.id == target_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if user is None or user.role not in STAFF_ROLES:
        raise NotFound(NO_SUCH_STAFF)
    return user


def _active_admins(session: Session) -> int:
    return int(session.execute(
        sa.select(sa.func.count()).select_from(User).where(User.role == Role.ADMIN.value, User.is_active.is_(True))
    ).scalar_one())


def _guard_last_admin(session: Session, target: User) -> None:
    if target.role == Role.ADMIN and target.is_active and _active_admins(session) <= 1:
        raise Conflict(LAST_ADMIN)


def _view(user: User) -> dict[str, Any]:
    """What the audit log keeps about an account (no password hash, no TOTP seed)."""
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "is_active": user.is_active,
        "two_factor_enabled": auth.has_totp(user),
    }


def _when(value: datetime | None, empty: str = "") -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else empty


def _display(user: User, now: datetime) -> dict[str, Any]:
    locked = user.locked_until is not None and user.locked_until > now
    return {
        "id": str(user.id),
        "email": user.email,
        "name": f"{user.first_name} {user.last_name}",
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": str(user.role),
        "role_label": label(user.role),
        "is_active": bool(user.is_active),
        "status": "Deactivated" if not user.is_active else ("Locked" if locked else "Active"),
        "locked_until": _when(user.locked_until) if locked else "",
        "two_factor": "On" if auth.has_totp(user) else "Off",
        "last_login": _when(user.last_login_at, "Never"),
        "created": _when(user.created_at),
    }


def _record(session: Session, actor: Actor, action: str, user: User, description: str,
            before: dict[str, Any] | None, after: dict[str, Any] | None, **details: Any) -> None:
    audit.record(session, actor=actor, action=action, target_type="user", target_id=user.id,
                 description=description, before=before, after=after, details=details or None)


# --- reads --------------------------------------------------------------------------------------
def list_staff(session: Session, *, actor: Actor | None, search: object = None, role: object = None,
               include_inactive: object = False, after: object = None, limit: object = DEFAULT_LIMIT) -> StaffPage:
    """Staff accounts ordered by email, ``limit`` at a time (keyset: ``after`` = last email shown)."""
    _require_manager(session, actor)
    if search is not None and not isinstance(search, str):
        raise InvalidInput("Search must be text.")
    term = " ".join((search or "").split())
    if len(term) > MAX_SEARCH_LENGTH or "\x00" in term:
        raise InvalidInput(f"Search must have at most {MAX_SEARCH_LENGTH} characters.")
    role_filter = _staff_role(role) if role not in (None, "") else None
    if not isinstance(include_inactive, bool):
        raise InvalidInput("include_inactive must be true or false.")
    if after is not None and (not isinstance(after, str) or len(after) > auth.MAX_EMAIL_LENGTH):
        raise InvalidInput("Invalid page position.")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"Page size must be from 1 to {MAX_LIMIT}.")

    conditions: list[Any] = [User.role.in_([role_filter] if role_filter else [str(r) for r in STAFF_ROLES])]
    if not include_inactive:
        conditions.append(User.is_active.is_(True))
    if term:
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        full_name = sa.func.concat(User.first_name, " ", User.last_name)
        conditions.append(sa.or_(User.email.ilike(pattern, escape="\\"), full_name.ilike(pattern, escape="\\")))
    total = int(session.execute(sa.select(sa.func.count()).select_from(User).where(*conditions)).scalar_one())
    page_conditions = list(conditions)
    if after:
        page_conditions.append(User.email > after)
    users = session.exec(select(User).where(*page_conditions).order_by(User.email).limit(limit + 1)).all()
    more = len(users) > limit
    users = users[:limit]
    now = auth.utcnow()
    return StaffPage(rows=[_display(u, now) for u in users],
                     next_after=users[-1].email if more and users else None, total=total)


def list_sessions(session: Session, *, actor: Actor | None, user_id: object = None,
                  limit: object = MAX_SESSIONS_LISTED) -> list[dict[str, Any]]:
    """Open back-office sessions (not revoked, not expired, not idle), most recently used first;
    of one account when ``user_id`` is given."""
    _require_manager(session, actor)
    assert isinstance(actor, Actor)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_SESSIONS_LISTED:
        raise InvalidInput(f"Page size must be from 1 to {MAX_SESSIONS_LISTED}.")
    now = auth.utcnow()
    idle = auth.idle_timeout()
    conditions: list[Any] = [
        ActiveSession.revoked.is_(False),
        ActiveSession.expires_at > now,
        sa.or_(ActiveSession.two_factor_verified.is_(False), ActiveSession.last_active_at > now - idle),
    ]
    if user_id is not None:
        conditions.append(ActiveSession.user_id == _uuid(user_id))
    rows = session.execute(
        sa.select(ActiveSession, User).join(User, User.id == ActiveSession.user_id)
        .where(*conditions).order_by(ActiveSession.last_active_at.desc(), ActiveSession.id).limit(limit)
    ).all()
    return [
        {
            "id": str(s.id),
            "user_id": str(u.id),
            "email": u.email,
            "name": f"{u.first_name} {u.last_name}",
            "role": str(u.role),
            "device": s.device or auth.describe_device(s.user_agent),
            "ip_address": str(s.ip_address) if s.ip_address else "",
            "user_agent": (s.user_agent or "")[:200],
            "created": _when(s.created_at),
            "last_active": _when(s.last_active_at),
            "expires": _when(s.expires_at),
            "status": "Signed in" if s.two_factor_verified else "Awaiting second step",
            "is_current": actor.session_id == s.id,
        }
        for s, u in rows
    ]


# --- changes ------------------------------------------------------------------------------------
def _new_user(session: Session, *, email: str, first_name: str, last_name: str, role: str,
              password_hash: str, now: datetime) -> User:
    if session.execute(sa.select(sa.exists().where(User.email == email))).scalar():
        raise Conflict("An account with this email already exists.")
    user = User(email=email, first_name=first_name, last_name=last_name, role=role,
                platform=Platform.STAFF.value, account_type=None, password_hash=password_hash,
                password_changed_at=now, is_active=True, created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise Conflict("An account with this email already exists.") from None
    return user


def create_staff(session: Session, *, actor: Actor | None, email: object, first_name: object,
                 last_name: object, role: object, password: object) -> dict[str, Any]:
    """A new staff account (active, no two-factor yet: an ADMIN sets it up at first sign-in)."""
    _require_manager(session, actor)
    assert isinstance(actor, Actor)
    address = auth.normalise_email(email)
    first, last = clean_name(first_name, "first name"), clean_name(last_name, "last name")
    new_role = _staff_role(role)
    password_hash = passwords.hash_password(auth.validate_new_password(password))  # slow: before the lock
    _lock_changes(session)
    _require_manager(session, actor)
    now = auth.utcnow()
    user = _new_user(session, email=address, first_name=first, last_name=last, role=new_role,
                     password_hash=password_hash, now=now)
    _record(session, actor, "staff.created", user, f"Created staff account {address} ({new_role})",
            None, _view(user))
    return _display(user, now)


def change_role(session: Session, *, actor: Actor | None, user_id: object, role: object) -> dict[str, Any]:
    _require_manager(session, actor)
    assert isinstance(actor, Actor)
    new_role = _staff_role(role)
    _lock_changes(session)
    _require_manager(session, actor)
    target = _lock_target(session, user_id)
    now = auth.utcnow()
    if target.role == new_role:
        return _display(target, now)
    if target.id == actor.user_id:
        raise NotAllowed("You cannot change your own role.")
    if new_role != Role.ADMIN:
        _guard_last_admin(session, target)
    before = _view(target)
    target.role = new_role
    target.updated_at = now
    session.add(target)
    session.flush()
    _record(session, actor, "staff.role_changed", target,
            f"Changed the role of {target.email} from {before['role']} to {new_role}", before, _view(target))
    return _display(target, now)


def deactivate(session: Session, *, actor: Actor | None, user_id: object) -> dict[str, Any]:
    """Switch an account off and end all of its sessions at once."""
    _require_manager(session, actor)
    assert isinstance(actor, Actor)
    _lock_changes(session)
    _require_manager(session, actor)
    target = _lock_target(session, user_id)
    if target.id == actor.user_id:
        raise NotAllowed("You cannot deactivate your own account.")
    if not target.is_active:
        raise Conflict("This account is already deactivated.")
    _guard_last_admin(session, target)
    now = auth.utcnow()
    before = _view(target)
    target.is_active = False
    target.updated_at = now
    session.add(target)
    session.flush()
    ended = auth.revoke_user_sessions(session, user_id=target.id, revoked_by=actor.user_id, now=now)
    _record(session, actor, "staff.deactivated", target, f"Deactivated {target.email}", before, _view(target),
            sessions_revoked=ended)
    return _display(target, now)


def reactivate(session: Session, *, actor: Actor | None, user_id: object) -> dict[str, Any]:
    _require_manager(session, actor)
    assert isinstance(actor, Actor)
    _lock_changes(session)
    _require_manager(session, actor)
    target = _lock_target(session, user_id)
    if target.is_active:
        raise Conflict("This account is already active.")
    now = auth.utcnow()
    before = _view(target)
    target.is_active = True
    target.updated_at = now
    session.add(target)
    session.flush()
    _record(session, actor, "staff.reactivated", target, f"Reactivated {target.email}", before, _view(target))
    return _display(target, now)


def reset_password(session: Session, *, actor: Actor | None, user_id: object, new_password: object) -> dict[str, Any]:
    """Set a new password, clear the lockout and end all of the account's sessions."""
    _require_manager(session, actor)
    assert isinstance(actor, Actor)
    password_hash = passwords.hash_password(auth.validate_new_password(new_password))  # slow: before the lock
    _lock_changes(session)
    _require_manager(session, actor)
    target = _lock_target(session, user_id)
    now = auth.utcnow()
    before = {"failed_login_attempts": target.failed_login_attempts, "locked_until": target.locked_until,
              "password_changed_at": target.password_changed_at}
    target.password_hash = password_hash
    target.password_changed_at = now
    target.failed_login_attempts = 0
    target.locked_until = None
    target.updated_at = now
    session.add(target)
    session.flush()
    ended = auth.revoke_user_sessions(session, user_id=target.id, revoked_by=actor.user_id, now=now)
    _record(session, actor, "staff.password_reset", target, f"Reset the password of {target.email}", before,
            {"failed_login_attempts": 0, "locked_until": None, "password_changed_at": now},
            sessions_revoked=ended)
    return _display(target, now)


def reset_two_factor(session: Session, *, actor: Actor | None, user_id: object) -> dict[str, Any]:
    """Switch off a colleague's authenticator (lost phone): their sessions end, and an ADMIN must
    set up a new one at the next sign-in. Not for one's own account."""
    _require_manager(session, actor)
    assert isinstance(actor, Actor)
    _lock_changes(session)
    _require_manager(session, actor)
    target = _lock_target(session, user_id)
    if target.id == actor.user_id:
        raise NotAllowed("Ask another administrator to reset your two-step sign-in.")
    if not auth.has_totp(target) and not target.two_factor_secret:
        raise Conflict("Two-step sign-in is not set up for this account.")
    now = auth.utcnow()
    before = _view(target)
    target.two_factor_enabled = False
    target.two_factor_method = TwoFactorMethod.NONE.value
    target.two_factor_secret = None
    target.preferences = {k: v for k, v in (target.preferences or {}).items() if k != totp.LAST_STEP_KEY}
    target.updated_at = now
    session.add(target)
    session.flush()
    ended = auth.revoke_user_sessions(session, user_id=target.id, revoked_by=actor.user_id, now=now)
    _record(session, actor, "staff.two_factor_reset", target, f"Reset two-step sign-in of {target.email}",
            before, _view(target), sessions_revoked=ended)
    return _display(target, now)


def revoke_session(session: Session, *, actor: Actor | None, session_id: object) -> None:
    """End one back-office session at once (any account's, including the actor's own)."""
    _require_manager(session, actor)
    assert isinstance(actor, Actor)
    sid = _uuid(session_id, "session")
    now = auth.utcnow()
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


# --- first account (CLI) ------------------------------------------------------------------------
def create_admin(session: Session, *, email: object, first_name: object, last_name: object,
                 password: object) -> User:
    """An ADMIN account made from the command line (the first one, or a recovery account);
    audited as the system. Two-factor is set up at its first sign-in."""
    address = auth.normalise_email(email)
    first, last = clean_name(first_name, "first name"), clean_name(last_name, "last name")
    password_hash = passwords.hash_password(auth.validate_new_password(password))
    _lock_changes(session)
    now = auth.utcnow()
    user = _new_user(session, email=address, first_name=first, last_name=last, role=Role.ADMIN.value,
                     password_hash=password_hash, now=now)
    audit.record(session, actor=Actor.system("cli:create-admin"), action="staff.created", target_type="user",
                 target_id=user.id, description=f"Created administrator {address} from the command line",
                 after=_view(user), details={"source": "cli"})
    return user
