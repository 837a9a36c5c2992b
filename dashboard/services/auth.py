"""Signing in to the back office, sessions, and TOTP two-factor sign-in.

Who may sign in: active staff (``STAFF_ROLES``), and customers who hold a current OWNER or
TREASURER membership in a group (they act as ``permissions.GROUP_OFFICER``).

Flow (every function takes keyword-only arguments and raises domain errors):

1. ``sign_in(email, password)`` -> ``SignInResult``. ``step`` is ``SIGNED_IN`` (a full session),
   ``TOTP_REQUIRED`` (a *pending* session: call ``verify_second_factor``) or
   ``TOTP_ENROLMENT_REQUIRED`` (an ADMIN without two-factor: call ``begin_totp_enrollment`` then
   ``confirm_totp_enrollment``). Both finishing calls return a ``SIGNED_IN`` result with a **new**
   token: the pending one stops working.
2. ``resolve_session(token)`` -> ``Actor`` on every request; ``sign_out(token)`` ends it.

Sessions: the browser keeps ``secrets.token_urlsafe(32)``; the database keeps only its SHA-256
(``active_sessions.token_hash``), so a leaked table does not give working tokens. A session ends
after ``session_idle_minutes`` without use or ``session_absolute_hours`` after sign-in, whichever
comes first.

Lockout (seed 004 transaction_pins pattern): ``MAX_FAILED_ATTEMPTS`` wrong passwords or codes lock
the account for ``LOCKOUT``; while locked, nothing is verified. The user row is locked
(``SELECT ... FOR UPDATE``) for the whole attempt, so concurrent attempts are counted one by one
and no more than ``MAX_FAILED_ATTEMPTS`` guesses are ever checked.

Transactions: a *refused* attempt commits its bookkeeping (counter, lock, audit entry) with
``session.commit()`` and then raises, so the record survives the caller's rollback. The service
sends no statement after that commit, which keeps it safe inside ``db.session_scope()``.
Successful calls do not commit: the caller's transaction does.

Time comes from ``utcnow()``; tests replace it with ``monkeypatch.setattr(auth, "utcnow", ...)``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlmodel import Session, select

from dashboard.config import get_settings
from dashboard.models import ActiveSession, GroupMembership, User
from dashboard.models.enums import GROUP_OFFICER_ROLES, STAFF_ROLES, Role, TwoFactorMethod
from dashboard.core.permissions import GROUP_OFFICER
from dashboard.audit import chain as audit
from dashboard.services import passwords, totp
from dashboard.core.actor import Actor
from dashboard.services.crypto import DecryptionError
from dashboard.core.errors import Conflict, InvalidInput, NotAuthenticated

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
PENDING_SESSION = timedelta(minutes=10)  # time to type a code, or to set up an authenticator app
TOUCH_EVERY = timedelta(minutes=1)  # last_active_at is written at most this often
MIN_PASSWORD_LENGTH = passwords.MIN_PASSWORD_LENGTH
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254
MAX_USER_AGENT_LENGTH = 512
MAX_TOKEN_LENGTH = 128
TWO_FACTOR_REQUIRED_ROLES = frozenset({Role.ADMIN})

BAD_CREDENTIALS = "Email or password is incorrect."
NOT_BACK_OFFICE = "This account cannot sign in to the back office."
DEACTIVATED = "This account has been deactivated. Ask an administrator to reactivate it."
SESSION_EXPIRED = "Your session has expired. Please sign in again."
SESSION_ENDED = "You have been signed out. Please sign in again."
TWO_FACTOR_PENDING = "Please finish signing in with your authenticator code."
TWO_FACTOR_NOW_REQUIRED = "Your account now needs two-step sign-in. Please sign in again to set it up."
WRONG_CURRENT_PASSWORD = "Your current password is not correct."
BAD_CODE = "The code is not correct. Enter the current code from your authenticator app."
CODE_REUSED = "This code has already been used. Wait for the next code."
TWO_FACTOR_UNREADABLE = "Two-step sign-in cannot be checked for this account. Ask an administrator to reset it."

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


def utcnow() -> datetime:
    """The services' clock (replace it in tests)."""
    return datetime.now(UTC)


# --- results ----------------------------------------------------------------------------------
class SignInStep(StrEnum):
    SIGNED_IN = "SIGNED_IN"
    TOTP_REQUIRED = "TOTP_REQUIRED"
    TOTP_ENROLMENT_REQUIRED = "TOTP_ENROLMENT_REQUIRED"


@dataclass(frozen=True)
class SignInResult:
    """What a sign-in step gives the page. Keep ``token`` in the browser (it is the session);
    ``actor`` is set only when ``step`` is ``SIGNED_IN``."""

    step: SignInStep
    token: str
    expires_at: datetime
    actor: Actor | None = None

    @property
    def signed_in(self) -> bool:
        return self.step is SignInStep.SIGNED_IN


@dataclass(frozen=True)
class TotpEnrollment:
    """Show ``provisioning_uri`` as a QR code and ``secret`` for typing in by hand. Never store
    them in the browser's state beyond the set-up screen."""

    secret: str
    provisioning_uri: str
    issuer: str
    account_name: str


class AccountLocked(NotAuthenticated):
    def __init__(self, locked_until: datetime) -> None:
        self.locked_until = locked_until
        when = locked_until.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        super().__init__(f"Too many failed sign-in attempts. This account is locked until {when}.")


# --- input cleaning (shared with the staff services) --------------------------------------------
def normalise_email(email: object) -> str:
    """A lower-cased, trimmed email address of plausible shape, else ``InvalidInput``."""
    if not isinstance(email, str):
        raise InvalidInput("Enter a valid email address.")
    value = email.strip().lower()
    if not value or len(value) > MAX_EMAIL_LENGTH or "\x00" in value or not _EMAIL.fullmatch(value):
        raise InvalidInput("Enter a valid email address.")
    return value


def validate_new_password(password: object) -> str:
    if not isinstance(password, str):
        raise InvalidInput("Enter a password.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")
    if "\x00" in password:
        raise InvalidInput("The password contains a character that is not allowed.")
    if not password.strip():
        raise InvalidInput("The password cannot be only spaces.")
    return password


def clean_ip(value: object) -> str | None:
    """A valid IP address for the INET column, or None (the value comes from request headers)."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        return str(ipaddress.ip_address(value.strip().split("%", 1)[0]))
    except ValueError:
        return None


def clean_user_agent(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value[:MAX_USER_AGENT_LENGTH] or None


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iOS"), ("iPad", "iOS"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_device(user_agent: str | None) -> str:
    """A short label such as "Chrome on Windows" for the sessions list."""
    if not user_agent:
        return "Unknown device"
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or user_agent[:60]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_hash(token: object) -> str:
    if not isinstance(token, str) or not 16 <= len(token) <= MAX_TOKEN_LENGTH:
        raise NotAuthenticated(SESSION_EXPIRED)
    return hash_token(token)


def _password_input(password: object) -> str:
    if not isinstance(password, str) or not password:
        raise InvalidInput("Enter your email and password.")
    if len(password) > MAX_PASSWORD_LENGTH:  # refused before hashing: no cost for the server
        raise InvalidInput(BAD_CREDENTIALS)
    return password


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a random password, verified for unknown emails so they take as long as known ones."""
    return passwords.hash_password(secrets.token_urlsafe(24))


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


def has_totp(user: User) -> bool:
    """Authenticator-app two-factor is on (EMAIL/SMS methods of the customer apps do not count)."""
    return bool(user.two_factor_enabled and user.two_factor_method == TwoFactorMethod.AUTHENTICATOR
                and user.two_factor_secret)


def two_factor_required(role: str | None) -> bool:
    return role in TWO_FACTOR_REQUIRED_ROLES


# --- sessions -----------------------------------------------------------------------------------
def absolute_lifetime() -> timedelta:
    return timedelta(hours=get_settings().session_absolute_hours)


def idle_timeout() -> timedelta:
    return timedelta(minutes=get_settings().session_idle_minutes)


def _new_session(session: Session, *, user: User, now: datetime, ip: str | None, ua: str | None,
                 verified: bool) -> tuple[str, ActiveSession]:
    token = secrets.token_urlsafe(32)
    row = ActiveSession(
        user_id=user.id,
        token_hash=hash_token(token),
        device=describe_device(ua)[:255],
        ip_address=ip,
        user_agent=ua,
        two_factor_verified=verified,
        created_at=now,
        last_active_at=now,
        expires_at=now + (absolute_lifetime() if verified else PENDING_SESSION),
    )
    session.add(row)
    session.flush()
    return token, row


def revoke_user_sessions(session: Session, *, user_id: uuid.UUID, revoked_by: uuid.UUID | None,
                         now: datetime | None = None) -> int:
    """End every open session of a user at once; returns how many were open."""
    result = session.execute(
        sa.update(ActiveSession)
        .where(ActiveSession.user_id == user_id, ActiveSession.revoked.is_(False))
        .values(revoked=True, revoked_at=now or utcnow(), revoked_by=revoked_by)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def _lock_user(session: Session, where: Any) -> User | None:
    stmt = select(User).where(where).with_for_update().execution_options(populate_existing=True)
    return session.exec(stmt).first()


def _actor_for(user: User, role: str | None, row: ActiveSession | None, ip: str | None, ua: str | None) -> Actor:
    return Actor(user_id=user.id, email=user.email, role=role, session_id=row.id if row else None,
                 ip_address=ip, user_agent=ua)


def _anonymous(ip: str | None, ua: str | None) -> Actor:
    return Actor(user_id=None, email=None, role=None, ip_address=ip, user_agent=ua)


def _refuse(session: Session, error: Exception) -> NoReturn:
    """Commit the bookkeeping of a refused attempt, then raise. Nothing may run after this."""
    session.commit()
    raise error


def _count_failure(session: Session, *, user: User, now: datetime, actor: Actor, action: str,
                   reason: str, email: str, pending: ActiveSession | None = None) -> Exception:
    """Count one failed attempt on a locked user row; audit it (and the lock, if it locks).
    Returns the error to raise after ``_refuse``."""
    attempts = user.failed_login_attempts or 0
    if user.locked_until is not None and user.locked_until <= now:
        attempts = 0  # the previous lock has run out: start counting afresh
        user.locked_until = None
    attempts += 1
    user.failed_login_attempts = attempts
    locked = attempts >= MAX_FAILED_ATTEMPTS
    if locked:
        user.locked_until = now + LOCKOUT
        if pending is not None:
            _revoke_row(pending, now=now, by=None)
    session.add(user)
    session.flush()
    details = {"email": email, "reason": reason, "failed_attempts": attempts}
    audit.record(session, actor=actor, action=action, target_type="user", target_id=user.id,
                 description=f"Failed sign-in for {email} ({reason.replace('_', ' ')})", details=details)
    if locked:
        audit.record(session, actor=actor, action="auth.locked", target_type="user", target_id=user.id,
                     description=f"Account {email} locked after {attempts} failed attempts",
                     after={"locked_until": user.locked_until, "failed_login_attempts": attempts},
                     details={"email": email, "lockout_minutes": int(LOCKOUT.total_seconds() // 60)})
        return AccountLocked(user.locked_until)
    if reason == "totp_reused":
        return NotAuthenticated(CODE_REUSED)
    if reason == "wrong_code":
        return NotAuthenticated(BAD_CODE)
    if reason == "wrong_current_password":
        return NotAuthenticated(WRONG_CURRENT_PASSWORD)
    return NotAuthenticated(BAD_CREDENTIALS)


def _audit_refusal(session: Session, *, actor: Actor, user: User | None, email: str, reason: str,
                   action: str = "auth.sign_in_failed") -> None:
    audit.record(session, actor=actor, action=action, target_type="user",
                 target_id=user.id if user else None,
                 description=f"Sign-in refused for {email} ({reason.replace('_', ' ')})",
                 details={"email": email, "reason": reason})


def _revoke_row(row: ActiveSession, *, now: datetime, by: uuid.UUID | None) -> None:
    row.revoked = True
    row.revoked_at = now
    row.revoked_by = by


def _maybe_rehash(user: User, password: str) -> None:
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)


def _complete(session: Session, *, user: User, role: str, row: ActiveSession, now: datetime,
              ip: str | None, ua: str | None, second_factor: str | None) -> SignInResult:
    """Turn a (new or pending) session into a full one with a fresh token; reset the lockout."""
    token = secrets.token_urlsafe(32)
    row.token_hash = hash_token(token)
    row.two_factor_verified = True
    row.expires_at = row.created_at + absolute_lifetime()
    row.last_active_at = now
    row.ip_address = ip
    row.user_agent = ua
    row.device = describe_device(ua)[:255]
    user.failed_login_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    session.add_all([row, user])
    session.flush()
    actor = _actor_for(user, role, row, ip, ua)
    audit.record(session, actor=actor, action="auth.sign_in", target_type="user", target_id=user.id,
                 description=f"{user.email} signed in",
                 details={"role": role, "second_factor": second_factor, "session_id": row.id,
                          "device": row.device})
    return SignInResult(step=SignInStep.SIGNED_IN, token=token, expires_at=row.expires_at, actor=actor)


# --- sign-in ------------------------------------------------------------------------------------
def sign_in(session: Session, *, email: object, password: object, ip_address: object = None,
            user_agent: object = None) -> SignInResult:
    """First step of signing in. Refusals raise ``NotAuthenticated`` (``AccountLocked`` while
    locked) after committing their audit entry; ``InvalidInput`` for malformed input."""
    address = normalise_email(email)
    secret = _password_input(password)
    ip, ua = clean_ip(ip_address), clean_user_agent(user_agent)
    anonymous = _anonymous(ip, ua)
    now = utcnow()

    user = _lock_user(session, User.email == address)
    if user is None:
        passwords.verify_password(secret, _dummy_hash())
        _audit_refusal(session, actor=anonymous, user=None, email=address, reason="unknown_email")
        _refuse(session, NotAuthenticated(BAD_CREDENTIALS))

    if user.locked_until is not None and user.locked_until > now:
        _audit_refusal(session, actor=anonymous, user=user, email=address, reason="locked")
        _refuse(session, AccountLocked(user.locked_until))

    if not passwords.verify_password(secret, user.password_hash):
        error = _count_failure(session, user=user, now=now, actor=anonymous, action="auth.sign_in_failed",
                               reason="wrong_password", email=address)
        _refuse(session, error)

    if not user.is_active:
        _audit_refusal(session, actor=anonymous, user=user, email=address, reason="inactive")
        _refuse(session, NotAuthenticated(DEACTIVATED))
    role = effective_role(session, user)
    if role is None:
        _audit_refusal(session, actor=anonymous, user=user, email=address, reason="not_back_office")
        _refuse(session, NotAuthenticated(NOT_BACK_OFFICE))

    _maybe_rehash(user, secret)
    if has_totp(user) or two_factor_required(role):
        step = SignInStep.TOTP_REQUIRED if has_totp(user) else SignInStep.TOTP_ENROLMENT_REQUIRED
        token, row = _new_session(session, user=user, now=now, ip=ip, ua=ua, verified=False)
        session.add(user)
        audit.record(session, actor=_actor_for(user, role, row, ip, ua), action="auth.sign_in_pending",
                     target_type="user", target_id=user.id,
                     description=f"{user.email}: password accepted, second factor needed",
                     details={"role": role, "next_step": str(step), "session_id": row.id})
        return SignInResult(step=step, token=token, expires_at=row.expires_at)

    token, row = _new_session(session, user=user, now=now, ip=ip, ua=ua, verified=False)
    return _complete(session, user=user, role=role, row=row, now=now, ip=ip, ua=ua, second_factor=None)


def _locked_session_and_user(session: Session, *, token: object, now: datetime) -> tuple[ActiveSession, User]:
    """The session row of ``token`` and its user, both locked (user first, as everywhere), still
    open and not expired; else ``NotAuthenticated``."""
    token_hash = _token_hash(token)
    user_id = session.execute(
        sa.select(ActiveSession.user_id).where(ActiveSession.token_hash == token_hash)
    ).scalar()
    if user_id is None:
        raise NotAuthenticated(SESSION_EXPIRED)
    user = _lock_user(session, User.id == user_id)
    row = session.exec(
        select(ActiveSession).where(ActiveSession.token_hash == token_hash)
        .with_for_update().execution_options(populate_existing=True)
    ).first()
    if user is None or row is None:
        raise NotAuthenticated(SESSION_EXPIRED)
    if row.revoked:
        raise NotAuthenticated(SESSION_ENDED)
    if row.expires_at <= now:
        raise NotAuthenticated(SESSION_EXPIRED)
    if row.two_factor_verified and row.last_active_at + idle_timeout() <= now:
        raise NotAuthenticated(SESSION_EXPIRED)
    return row, user


def _allowed_role(session: Session, user: User, row: ActiveSession, now: datetime) -> str:
    """The user's role for a session still in use, after the account checks."""
    if not user.is_active:
        raise NotAuthenticated(DEACTIVATED)
    role = effective_role(session, user)
    if role is None:
        raise NotAuthenticated(NOT_BACK_OFFICE)
    if user.password_changed_at is not None and user.password_changed_at > row.created_at:
        raise NotAuthenticated(SESSION_ENDED)
    return role


def _check_code(*, user: User, code: str, now: datetime) -> tuple[int | None, str | None]:
    """(accepted time step, None) or (None, failure reason). Reading the seed may raise
    ``NotAuthenticated`` when it cannot be decrypted."""
    assert user.two_factor_secret is not None
    try:
        seed = totp.decrypt_secret(user.two_factor_secret, user.id)
    except DecryptionError:
        raise NotAuthenticated(TWO_FACTOR_UNREADABLE) from None
    step = totp.matching_step(seed, code, now)
    if step is None:
        return None, "wrong_code"
    last = (user.preferences or {}).get(totp.LAST_STEP_KEY)
    if isinstance(last, int) and step <= last:
        return None, "totp_reused"
    return step, None


def _remember_step(user: User, step: int) -> None:
    # A new dict (not an in-place change) so the JSONB column is written.
    user.preferences = {**(user.preferences or {}), totp.LAST_STEP_KEY: step}


def verify_second_factor(session: Session, *, token: object, code: object, ip_address: object = None,
                         user_agent: object = None) -> SignInResult:
    """Second step for an account with an authenticator: a correct, unused code turns the pending
    session into a full one (with a new token). Wrong codes count toward the lockout."""
    digits = totp.normalise_code(code)
    ip, ua = clean_ip(ip_address), clean_user_agent(user_agent)
    now = utcnow()
    row, user = _locked_session_and_user(session, token=token, now=now)
    if row.two_factor_verified:
        raise Conflict("This session is already signed in.")
    role = _allowed_role(session, user, row, now)
    if not has_totp(user):
        raise Conflict("Two-step sign-in is not set up for this account.")
    actor = _actor_for(user, role, row, ip, ua)
    if user.locked_until is not None and user.locked_until > now:
        _revoke_row(row, now=now, by=None)
        _audit_refusal(session, actor=actor, user=user, email=user.email, reason="locked",
                       action="auth.totp_failed")
        _refuse(session, AccountLocked(user.locked_until))
    try:
        step, failure = _check_code(user=user, code=digits, now=now)
    except NotAuthenticated as error:
        _audit_refusal(session, actor=actor, user=user, email=user.email, reason="totp_unreadable",
                       action="auth.totp_failed")
        _refuse(session, error)
    if failure is not None:
        error = _count_failure(session, user=user, now=now, actor=actor, action="auth.totp_failed",
                               reason=failure, email=user.email, pending=row)
        _refuse(session, error)
    assert step is not None
    _remember_step(user, step)
    return _complete(session, user=user, role=role, row=row, now=now, ip=ip, ua=ua, second_factor="totp")


def begin_totp_enrollment(session: Session, *, token: object, password: object = None, ip_address: object = None,
                          user_agent: object = None) -> TotpEnrollment:
    """Start setting up an authenticator app, from a pending session (an ADMIN's first sign-in) or
    a signed-in session (any role, optional; then the current ``password`` is asked again, so a
    borrowed browser cannot tie the account to someone else's phone). The new seed is stored
    encrypted and is not used for sign-in until ``confirm_totp_enrollment`` accepts a code from
    it. Calling again replaces it."""
    ip, ua = clean_ip(ip_address), clean_user_agent(user_agent)
    now = utcnow()
    row, user = _locked_session_and_user(session, token=token, now=now)
    role = _allowed_role(session, user, row, now)
    if has_totp(user):
        raise Conflict("Two-step sign-in is already set up for this account.")
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(user.locked_until)
    if row.two_factor_verified:
        if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD_LENGTH:
            raise InvalidInput("Enter your current password to set up two-step sign-in.")
        if not passwords.verify_password(password, user.password_hash):
            error = _count_failure(session, user=user, now=now, actor=_actor_for(user, role, row, ip, ua),
                                   action="auth.reauth_failed", reason="wrong_current_password", email=user.email)
            _refuse(session, error)
    seed = totp.new_secret()
    user.two_factor_secret = totp.encrypt_secret(seed, user.id)
    session.add(user)
    session.flush()
    audit.record(session, actor=_actor_for(user, role, row, ip, ua), action="auth.totp_enrollment_started",
                 target_type="user", target_id=user.id,
                 description=f"{user.email} started setting up an authenticator app",
                 details={"during_sign_in": not row.two_factor_verified})
    return TotpEnrollment(secret=seed, provisioning_uri=totp.provisioning_uri(seed, user.email),
                          issuer=totp.ISSUER, account_name=user.email)


def confirm_totp_enrollment(session: Session, *, token: object, code: object, ip_address: object = None,
                            user_agent: object = None) -> SignInResult:
    """Switch two-step sign-in on once a code from the new seed is correct. From a pending session
    this also completes the sign-in (new token); from a signed-in session the token stays."""
    digits = totp.normalise_code(code)
    ip, ua = clean_ip(ip_address), clean_user_agent(user_agent)
    now = utcnow()
    row, user = _locked_session_and_user(session, token=token, now=now)
    role = _allowed_role(session, user, row, now)
    if has_totp(user):
        raise Conflict("Two-step sign-in is already set up for this account.")
    if not user.two_factor_secret:
        raise Conflict("Start the authenticator set-up again.")
    actor = _actor_for(user, role, row, ip, ua)
    if user.locked_until is not None and user.locked_until > now:
        if not row.two_factor_verified:
            _revoke_row(row, now=now, by=None)
        _audit_refusal(session, actor=actor, user=user, email=user.email, reason="locked",
                       action="auth.totp_failed")
        _refuse(session, AccountLocked(user.locked_until))
    try:
        step, failure = _check_code(user=user, code=digits, now=now)
    except NotAuthenticated:
        # A seed written with another secret key: start over rather than lock the user out.
        raise Conflict("Start the authenticator set-up again.") from None
    if failure is not None:
        error = _count_failure(session, user=user, now=now, actor=actor, action="auth.totp_failed",
                               reason=failure, email=user.email,
                               pending=None if row.two_factor_verified else row)
        _refuse(session, error)
    assert step is not None
    before = {"two_factor_enabled": user.two_factor_enabled, "two_factor_method": user.two_factor_method}
    user.two_factor_enabled = True
    user.two_factor_method = TwoFactorMethod.AUTHENTICATOR.value
    user.updated_at = now
    _remember_step(user, step)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="auth.totp_enrolled", target_type="user", target_id=user.id,
                 description=f"{user.email} set up an authenticator app",
                 before=before,
                 after={"two_factor_enabled": True, "two_factor_method": user.two_factor_method})
    if not row.two_factor_verified:
        return _complete(session, user=user, role=role, row=row, now=now, ip=ip, ua=ua, second_factor="totp")
    return SignInResult(step=SignInStep.SIGNED_IN, token=str(token), expires_at=row.expires_at, actor=actor)


# --- every request ------------------------------------------------------------------------------
def resolve_session(session: Session, *, token: object, ip_address: object = None,
                    user_agent: object = None) -> Actor:
    """The signed-in actor for ``token``, or ``NotAuthenticated``. Checks the session (open, not
    past its absolute or idle limit, second factor done) and the account (active, still allowed
    to sign in, two-factor set up when the role requires it) on every call, so a deactivation,
    demotion or revocation takes effect on the next request."""
    token_hash = _token_hash(token)
    now = utcnow()
    found = session.execute(
        sa.select(ActiveSession, User).join(User, User.id == ActiveSession.user_id)
        .where(ActiveSession.token_hash == token_hash)
        .execution_options(populate_existing=True)
    ).first()
    if found is None:
        raise NotAuthenticated(SESSION_EXPIRED)
    row, user = found
    if row.revoked:
        raise NotAuthenticated(SESSION_ENDED)
    if row.expires_at <= now or row.last_active_at + idle_timeout() <= now:
        raise NotAuthenticated(SESSION_EXPIRED)
    if not row.two_factor_verified:
        raise NotAuthenticated(TWO_FACTOR_PENDING)
    role = _allowed_role(session, user, row, now)
    if two_factor_required(role) and not has_totp(user):
        raise NotAuthenticated(TWO_FACTOR_NOW_REQUIRED)
    if now - row.last_active_at >= TOUCH_EVERY:
        session.execute(
            sa.update(ActiveSession)
            .where(ActiveSession.id == row.id, ActiveSession.last_active_at < now)
            .values(last_active_at=now)
            .execution_options(synchronize_session=False)
        )
    return _actor_for(user, role, row, clean_ip(ip_address), clean_user_agent(user_agent))


def sign_out(session: Session, *, token: object, ip_address: object = None, user_agent: object = None) -> bool:
    """End the session of ``token`` on the server at once. True if it was open (idempotent)."""
    try:
        token_hash = _token_hash(token)
    except NotAuthenticated:
        return False
    now = utcnow()
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
                  ip_address=clean_ip(ip_address), user_agent=clean_user_agent(user_agent))
    audit.record(session, actor=actor, action="auth.sign_out", target_type="session", target_id=session_id,
                 description=f"{user.email} signed out")
    return True
