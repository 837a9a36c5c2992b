"""Signing in to the back office: the password step, the authenticator code, and setting one up.

Flow (every function takes keyword-only arguments and raises domain errors):

1. ``sign_in(email, password)`` -> ``SignInResult``. ``step`` is ``SIGNED_IN`` (a full session),
   ``TOTP_REQUIRED`` (a *pending* session: call ``verify_second_factor``) or
   ``TOTP_ENROLMENT_REQUIRED`` (an ADMIN without two-factor: call ``begin_totp_enrollment`` then
   ``confirm_totp_enrollment``). Both finishing calls return a ``SIGNED_IN`` result with a **new**
   token: the pending one stops working.
2. ``sessions.resolve_session(token)`` -> ``Actor`` on every request; ``sessions.sign_out(token)`` ends it.

No oracle on customer accounts (customers share ``users`` with staff): an unknown e-mail, a
customer (right or wrong password, with or without one), a plain group member and a deactivated
customer all get ``BAD_CREDENTIALS`` after one check against the dummy hash, and nothing is written
to their row (no lock taken either). Only back-office users (staff, current group officers) go on.
The web endpoint throttles attempts per address and per e-mail first (``throttle.admit``) and runs
this step in the bounded password pool (``passwords.in_hashing_pool``).

Lockout of back-office users (seed 004 transaction_pins pattern): ``MAX_FAILED_ATTEMPTS`` wrong
passwords or codes lock the account for ``LOCKOUT``; while locked, nothing is verified. The user row is locked
(``SELECT ... FOR UPDATE``) for the whole attempt, so concurrent attempts are counted one by one
and no more than ``MAX_FAILED_ATTEMPTS`` guesses are ever checked.

Transactions: a *refused* attempt commits its bookkeeping (counter, lock, audit entry) with
``session.commit()`` and then raises (``attempts.refuse``), so the record survives the caller's
rollback. Nothing is sent after that commit, which keeps it safe inside ``db.session_scope()``.
Successful calls do not commit: the caller's transaction does.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache

from sqlmodel import Session, select

from dashboard.auth import passwords, rules, throttle, totp
from dashboard.auth.attempts import audit_refusal, count_failure, refuse
from dashboard.auth.crypto import DecryptionError
from dashboard.auth.rules import AccountLocked, SignInResult, SignInStep, TotpEnrollment
from dashboard.auth.sessions import (
    actor_for,
    allowed_role,
    complete,
    effective_role,
    lock_user,
    locked_session_and_user,
    new_session,
    revoke_row,
)
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAuthenticated
from dashboard.models import ActiveSession, User
from dashboard.models.enums import STAFF_ROLES, TwoFactorMethod
from dashboard.audit import chain as audit


def _password_input(password: object) -> str:
    if not isinstance(password, str) or not password:
        raise InvalidInput("Enter your email and password.")
    if len(password) > passwords.MAX_PASSWORD_LENGTH:  # refused before hashing: no cost for the server
        raise InvalidInput(rules.BAD_CREDENTIALS)
    return password


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a random password, verified for unknown emails so they take as long as known ones."""
    return passwords.hash_password(secrets.token_urlsafe(24))


def _password_matches(secret: str, password_hash: str | None) -> bool:
    """One full check whatever the row holds: a missing or unreadable hash is checked against the
    dummy hash (and fails), so it takes as long as a real one."""
    usable = passwords.is_usable_hash(password_hash)
    matches = passwords.verify_password(secret, password_hash if usable else _dummy_hash())
    return usable and matches


def _back_office_role(session: Session, user: User | None) -> str | None:
    """The role a back-office user signs in with (staff, active or not: a deactivated officer is
    told so once the password is right), or None for everyone else: unknown e-mails, customers,
    plain group members, deactivated customers."""
    if user is None or (user.role not in STAFF_ROLES and not user.is_active):
        return None
    return effective_role(session, user)


def _maybe_rehash(user: User, password: str) -> None:
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)


# --- the password step ----------------------------------------------------------------------------
def sign_in(session: Session, *, email: object, password: object, ip_address: object = None,
            user_agent: object = None) -> SignInResult:
    """First step of signing in. Refusals raise ``NotAuthenticated`` (``AccountLocked`` while
    locked) after committing their audit entry; ``InvalidInput`` for malformed input."""
    address = rules.normalise_email(email)
    secret = _password_input(password)
    ip, ua = rules.clean_ip(ip_address), rules.clean_user_agent(user_agent)
    anonymous = Actor(user_id=None, email=None, role=None, ip_address=ip, user_agent=ua)
    now = rules.utcnow()

    found = session.exec(select(User).where(User.email == address)).first()
    role = _back_office_role(session, found)
    if found is None or role is None:
        # Unknown e-mail, customer (with or without a password, right or wrong), deactivated customer:
        # one answer, one check against the dummy hash, nothing written to the row.
        passwords.verify_password(secret, _dummy_hash())
        throttle.note_failure(session, actor=anonymous, email=address, user_id=found.id if found else None,
                              reason="unknown_email" if found is None else "not_back_office")
        refuse(session, NotAuthenticated(rules.BAD_CREDENTIALS))

    user = lock_user(session, User.id == found.id)  # a back-office user: lockout counted on the row
    assert user is not None
    if user.locked_until is not None and user.locked_until > now:
        audit_refusal(session, actor=anonymous, user=user, email=address, reason="locked")
        refuse(session, AccountLocked(user.locked_until))

    if not _password_matches(secret, user.password_hash):
        error = count_failure(session, user=user, now=now, actor=anonymous, action="auth.sign_in_failed",
                              reason="wrong_password", email=address)
        refuse(session, error)

    if not user.is_active:
        audit_refusal(session, actor=anonymous, user=user, email=address, reason="inactive")
        refuse(session, NotAuthenticated(rules.DEACTIVATED))

    _maybe_rehash(user, secret)
    if rules.has_totp(user) or rules.two_factor_required(role):
        step = SignInStep.TOTP_REQUIRED if rules.has_totp(user) else SignInStep.TOTP_ENROLMENT_REQUIRED
        token, row = new_session(session, user=user, now=now, ip=ip, ua=ua, verified=False)
        session.add(user)
        audit.record(session, actor=actor_for(user, role, row, ip, ua), action="auth.sign_in_pending",
                     target_type="user", target_id=user.id,
                     description=f"{user.email}: password accepted, second factor needed",
                     details={"role": role, "next_step": str(step), "session_id": row.id})
        return SignInResult(step=step, token=token, expires_at=row.expires_at)

    token, row = new_session(session, user=user, now=now, ip=ip, ua=ua, verified=False)
    return complete(session, user=user, role=role, row=row, now=now, ip=ip, ua=ua, second_factor=None)


# --- the authenticator code -----------------------------------------------------------------------
def _check_code(*, user: User, code: str, now: datetime) -> tuple[int | None, str | None]:
    """(accepted time step, None) or (None, failure reason). Reading the seed may raise
    ``NotAuthenticated`` when it cannot be decrypted."""
    assert user.two_factor_secret is not None
    try:
        seed = totp.decrypt_secret(user.two_factor_secret, user.id)
    except DecryptionError:
        raise NotAuthenticated(rules.TWO_FACTOR_UNREADABLE) from None
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


def _refuse_if_locked(session: Session, *, user: User, row: ActiveSession, actor: Actor, now: datetime,
                      end_pending: bool) -> None:
    """A locked account verifies no code: the refusal is audited (and a pending session ended)."""
    if user.locked_until is not None and user.locked_until > now:
        if end_pending:
            revoke_row(row, now=now, by=None)
        audit_refusal(session, actor=actor, user=user, email=user.email, reason="locked", action="auth.totp_failed")
        refuse(session, AccountLocked(user.locked_until))


def verify_second_factor(session: Session, *, token: object, code: object, ip_address: object = None,
                         user_agent: object = None) -> SignInResult:
    """Second step for an account with an authenticator: a correct, unused code turns the pending
    session into a full one (with a new token). Wrong codes count toward the lockout."""
    digits = totp.normalise_code(code)
    ip, ua = rules.clean_ip(ip_address), rules.clean_user_agent(user_agent)
    now = rules.utcnow()
    row, user = locked_session_and_user(session, token=token, now=now)
    if row.two_factor_verified:
        raise Conflict("This session is already signed in.")
    role = allowed_role(session, user, row)
    if not rules.has_totp(user):
        raise Conflict("Two-step sign-in is not set up for this account.")
    actor = actor_for(user, role, row, ip, ua)
    _refuse_if_locked(session, user=user, row=row, actor=actor, now=now, end_pending=True)
    try:
        step, failure = _check_code(user=user, code=digits, now=now)
    except NotAuthenticated as error:
        audit_refusal(session, actor=actor, user=user, email=user.email, reason="totp_unreadable",
                      action="auth.totp_failed")
        refuse(session, error)
    if failure is not None:
        error = count_failure(session, user=user, now=now, actor=actor, action="auth.totp_failed",
                              reason=failure, email=user.email, pending=row)
        refuse(session, error)
    assert step is not None
    _remember_step(user, step)
    return complete(session, user=user, role=role, row=row, now=now, ip=ip, ua=ua, second_factor="totp")


# --- setting up an authenticator ------------------------------------------------------------------
def _setting_up(session: Session, *, token: object, ip_address: object,
                user_agent: object) -> tuple[ActiveSession, User, str, datetime, str | None, str | None]:
    """The session (and account, both locked) of someone setting up an authenticator, while none is
    set up yet: (session row, user, role, now, ip, user agent)."""
    ip, ua = rules.clean_ip(ip_address), rules.clean_user_agent(user_agent)
    now = rules.utcnow()
    row, user = locked_session_and_user(session, token=token, now=now)
    role = allowed_role(session, user, row)
    if rules.has_totp(user):
        raise Conflict("Two-step sign-in is already set up for this account.")
    return row, user, role, now, ip, ua


def begin_totp_enrollment(session: Session, *, token: object, password: object = None, ip_address: object = None,
                          user_agent: object = None) -> TotpEnrollment:
    """Start setting up an authenticator app, from a pending session (an ADMIN's first sign-in) or
    a signed-in session (any role, optional; then the current ``password`` is asked again, so a
    borrowed browser cannot tie the account to someone else's phone). The new seed is stored
    encrypted and is not used for sign-in until ``confirm_totp_enrollment`` accepts a code from
    it. Calling again replaces it."""
    row, user, role, now, ip, ua = _setting_up(session, token=token, ip_address=ip_address, user_agent=user_agent)
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(user.locked_until)
    if row.two_factor_verified:
        if not isinstance(password, str) or not password or len(password) > passwords.MAX_PASSWORD_LENGTH:
            raise InvalidInput("Enter your current password to set up two-step sign-in.")
        if not passwords.verify_password(password, user.password_hash):
            error = count_failure(session, user=user, now=now, actor=actor_for(user, role, row, ip, ua),
                                  action="auth.reauth_failed", reason="wrong_current_password", email=user.email)
            refuse(session, error)
    seed = totp.new_secret()
    user.two_factor_secret = totp.encrypt_secret(seed, user.id)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor_for(user, role, row, ip, ua), action="auth.totp_enrollment_started",
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
    row, user, role, now, ip, ua = _setting_up(session, token=token, ip_address=ip_address, user_agent=user_agent)
    if not user.two_factor_secret:
        raise Conflict("Start the authenticator set-up again.")
    actor = actor_for(user, role, row, ip, ua)
    _refuse_if_locked(session, user=user, row=row, actor=actor, now=now, end_pending=not row.two_factor_verified)
    try:
        step, failure = _check_code(user=user, code=digits, now=now)
    except NotAuthenticated:
        # A seed written with another secret key: start over rather than lock the user out.
        raise Conflict("Start the authenticator set-up again.") from None
    if failure is not None:
        error = count_failure(session, user=user, now=now, actor=actor, action="auth.totp_failed",
                              reason=failure, email=user.email,
                              pending=None if row.two_factor_verified else row)
        refuse(session, error)
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
        return complete(session, user=user, role=role, row=row, now=now, ip=ip, ua=ua, second_factor="totp")
    return SignInResult(step=SignInStep.SIGNED_IN, token=str(token), expires_at=row.expires_at, actor=actor)
