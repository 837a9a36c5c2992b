"""A refused sign-in attempt: counted toward the lockout, audited, and committed before the refusal.

The caller holds the user row locked (``SELECT ... FOR UPDATE``), so concurrent attempts are counted
one by one. ``refuse`` commits the bookkeeping and raises: nothing may run after it.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from sqlmodel import Session

from dashboard.auth import rules
from dashboard.auth.rules import AccountLocked
from dashboard.auth.sessions import revoke_row
from dashboard.core.actor import Actor
from dashboard.core.errors import NotAuthenticated
from dashboard.models import ActiveSession, User
from dashboard.audit import chain as audit

_MESSAGES = {
    "totp_reused": rules.CODE_REUSED,
    "wrong_code": rules.BAD_CODE,
    "wrong_current_password": rules.WRONG_CURRENT_PASSWORD,
}


def refuse(session: Session, error: Exception) -> NoReturn:
    """Commit the bookkeeping of a refused attempt, then raise. Nothing may run after this."""
    session.commit()
    raise error


def count_failure(session: Session, *, user: User, now: datetime, actor: Actor, action: str,
                  reason: str, email: str, pending: ActiveSession | None = None) -> Exception:
    """Count one failed attempt on a locked user row; audit it (and the lock, if it locks).
    Returns the error to raise after ``refuse``."""
    attempts = user.failed_login_attempts or 0
    if user.locked_until is not None and user.locked_until <= now:
        attempts = 0  # the previous lock has run out: start counting afresh
        user.locked_until = None
    attempts += 1
    user.failed_login_attempts = attempts
    locked = attempts >= rules.MAX_FAILED_ATTEMPTS
    if locked:
        user.locked_until = now + rules.LOCKOUT
        if pending is not None:
            revoke_row(pending, now=now, by=None)
    session.add(user)
    session.flush()
    details = {"email": email, "reason": reason, "failed_attempts": attempts}
    audit.record(session, actor=actor, action=action, target_type="user", target_id=user.id,
                 description=f"Failed sign-in for {email} ({reason.replace('_', ' ')})", details=details)
    if locked:
        audit.record(session, actor=actor, action="auth.locked", target_type="user", target_id=user.id,
                     description=f"Account {email} locked after {attempts} failed attempts",
                     after={"locked_until": user.locked_until, "failed_login_attempts": attempts},
                     details={"email": email, "lockout_minutes": int(rules.LOCKOUT.total_seconds() // 60)})
        return AccountLocked(user.locked_until)
    return NotAuthenticated(_MESSAGES.get(reason, rules.BAD_CREDENTIALS))


def audit_refusal(session: Session, *, actor: Actor, user: User | None, email: str, reason: str,
                  action: str = "auth.sign_in_failed") -> None:
    audit.record(session, actor=actor, action=action, target_type="user",
                 target_id=user.id if user else None,
                 description=f"Sign-in refused for {email} ({reason.replace('_', ' ')})",
                 details={"email": email, "reason": reason})
