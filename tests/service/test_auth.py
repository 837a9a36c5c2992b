"""Signing in, sessions, lockout and TOTP two-factor (dashboard.auth: signin, sessions, rules)."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from dashboard import models as m
from dashboard.core.permissions import GROUP_OFFICER
from dashboard.auth import crypto, passwords, rules, sessions, signin, totp
from dashboard.auth.rules import AccountLocked, SignInStep
from dashboard.core.errors import Conflict, InvalidInput, NotAuthenticated
from tests import factories

PASSWORD = "correct horse battery staple"
IP = "203.0.113.7"
UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


from tests.conftest import Clock  # noqa: E402  (the clock fixture is in tests/conftest.py)


@pytest.fixture(scope="module")
def password_hash() -> str:
    """A hash of PASSWORD made once, at low cost (verifying it takes a millisecond, not 0.3 s)."""
    return passwords._context.handler("bcrypt_sha256").using(rounds=4).hash(PASSWORD)


@pytest.fixture(autouse=True)
def no_rehash(monkeypatch: pytest.MonkeyPatch) -> None:
    # The low-cost test hash would otherwise be upgraded (a cost-12 hash) on every sign-in.
    monkeypatch.setattr(passwords, "needs_rehash", lambda _hash: False)


def make_user(db: Session, password_hash: str, role: str = "SUPPORT", **kw: object) -> m.User:
    return factories.user(db, role=role, password_hash=password_hash, **kw)


def enrol(db: Session, user: m.User) -> str:
    """Switch an authenticator on directly; returns the seed."""
    seed = totp.new_secret()
    user.two_factor_secret = totp.encrypt_secret(seed, user.id)
    user.two_factor_enabled = True
    user.two_factor_method = "AUTHENTICATOR"
    db.add(user)
    db.flush()
    return seed


def sign_in(db: Session, user: m.User, password: str = PASSWORD, **kw: object) -> rules.SignInResult:
    kw.setdefault("ip_address", IP)
    kw.setdefault("user_agent", UA)
    return signin.sign_in(db, email=user.email, password=password, **kw)


def entries(db: Session, action: str) -> list[m.ActivityLog]:
    return list(db.exec(select(m.ActivityLog).where(m.ActivityLog.action == action).order_by(m.ActivityLog.seq)))


def session_row(db: Session, token: str) -> m.ActiveSession:
    return db.exec(select(m.ActiveSession).where(m.ActiveSession.token_hash == rules.hash_token(token))).one()


# --- signing in ---------------------------------------------------------------------------------
def test_sign_in_stores_only_the_hash_of_the_token(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash)

    result = sign_in(db, user)

    assert result.step is SignInStep.SIGNED_IN and result.signed_in
    assert result.actor is not None and result.actor.user_id == user.id and result.actor.role == "SUPPORT"
    row = session_row(db, result.token)
    assert row.token_hash == hashlib.sha256(result.token.encode()).hexdigest()
    stored = db.execute(sa.text("SELECT row_to_json(s)::text FROM active_sessions s WHERE id = :i"), {"i": row.id}).scalar()
    assert result.token not in stored
    assert row.two_factor_verified and not row.revoked
    assert str(row.ip_address) == IP and row.user_agent == UA and row.device == "Chrome on Windows"
    assert row.expires_at == clock.now + timedelta(hours=24)
    assert result.actor.session_id == row.id
    assert user.last_login_at == clock.now


def test_signed_in_token_resolves_to_the_actor(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash, role="COMPLIANCE")
    result = sign_in(db, user)

    actor = sessions.resolve_session(db, token=result.token, ip_address="198.51.100.1", user_agent="curl/8")

    assert (actor.user_id, actor.email, actor.role) == (user.id, user.email, "COMPLIANCE")
    assert actor.session_id == result.actor.session_id
    assert actor.ip_address == "198.51.100.1" and actor.user_agent == "curl/8"
    again = sessions.resolve_session(db, token=result.token)
    assert again.correlation_id != actor.correlation_id


def test_email_is_matched_case_insensitively(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash)

    result = signin.sign_in(db, email="  " + user.email.upper() + " ", password=PASSWORD)

    assert result.signed_in


def test_unknown_email_and_wrong_password_give_the_same_message(
    db: Session, clock: Clock, password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(db, password_hash)
    checked: list[str | None] = []
    real_verify = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda p, h: checked.append(h) or real_verify(p, h))

    with pytest.raises(NotAuthenticated) as wrong:
        sign_in(db, user, password="not the password at all")
    with pytest.raises(NotAuthenticated) as unknown:
        signin.sign_in(db, email="nobody-here@example.com", password=PASSWORD)

    assert str(wrong.value) == str(unknown.value) == "Email or password is incorrect."
    assert type(wrong.value) is type(unknown.value)
    # The unknown email still cost one full password check, against the dummy hash.
    assert checked == [password_hash, signin._dummy_hash()]


def test_failed_and_successful_sign_ins_are_audited_with_ip_and_user_agent(
    db: Session, clock: Clock, password_hash: str
) -> None:
    user = make_user(db, password_hash)

    with pytest.raises(NotAuthenticated):
        sign_in(db, user, password="wrong password here")
    with pytest.raises(NotAuthenticated):
        signin.sign_in(db, email="ghost@example.com", password=PASSWORD, ip_address=IP, user_agent=UA)
    result = sign_in(db, user)

    failed = entries(db, "auth.sign_in_failed")
    assert [(e.details["reason"], e.target_id) for e in failed] == [
        ("wrong_password", str(user.id)),
        ("unknown_email", None),
    ]
    assert failed[1].details["email"] == "ghost@example.com"
    assert all(str(e.ip_address) == IP and e.user_agent == UA and e.actor_id is None for e in failed)
    [ok] = entries(db, "auth.sign_in")
    assert ok.actor_id == user.id and ok.actor_role == "SUPPORT" and ok.target_id == str(user.id)
    assert str(ok.ip_address) == IP and ok.user_agent == UA and ok.session_id == result.actor.session_id


def test_a_refused_sign_in_commits_its_bookkeeping(fresh_engine: sa.Engine, clock: Clock, password_hash: str) -> None:
    """The failure counter and the audit entry survive although the caller's transaction fails."""
    with Session(fresh_engine) as s, s.begin():
        user = factories.user(s, role="SUPPORT", password_hash=password_hash)
        email, user_id = user.email, user.id

    with pytest.raises(NotAuthenticated), Session(fresh_engine) as s, s.begin():  # as db.session_scope does
        signin.sign_in(s, email=email, password="wrong password here", ip_address=IP, user_agent=UA)

    with Session(fresh_engine) as s:
        assert s.get(m.User, user_id).failed_login_attempts == 1
        [entry] = s.exec(select(m.ActivityLog).where(m.ActivityLog.action == "auth.sign_in_failed")).all()
        assert str(entry.ip_address) == IP and entry.details["reason"] == "wrong_password"


# --- lockout ------------------------------------------------------------------------------------
def test_five_failures_lock_the_account_for_fifteen_minutes(
    db: Session, clock: Clock, password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(db, password_hash)
    for attempt in range(1, 5):
        with pytest.raises(NotAuthenticated, match="Email or password is incorrect"):
            sign_in(db, user, password=f"wrong password {attempt}")
    assert user.failed_login_attempts == 4 and user.locked_until is None

    with pytest.raises(AccountLocked) as fifth:
        sign_in(db, user, password="wrong password 5")
    unlock = clock.now + timedelta(minutes=15)
    assert user.locked_until == unlock and fifth.value.locked_until == unlock

    # While locked, even the right password is refused, without being checked.
    clock.advance(minutes=14, seconds=59)
    checked: list[str] = []
    real_verify = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda p, h: checked.append(p) or True)
    with pytest.raises(AccountLocked) as locked:
        sign_in(db, user)
    assert checked == []
    assert unlock.strftime("%H:%M UTC") in str(locked.value) and "locked until" in str(locked.value)
    monkeypatch.setattr(passwords, "verify_password", real_verify)

    clock.advance(seconds=1)
    assert sign_in(db, user).signed_in
    assert user.failed_login_attempts == 0 and user.locked_until is None
    [lock_entry] = entries(db, "auth.locked")
    assert lock_entry.target_id == str(user.id) and str(lock_entry.ip_address) == IP
    assert [e.details["reason"] for e in entries(db, "auth.sign_in_failed")][-1] == "locked"


def test_a_successful_sign_in_resets_the_failure_count(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash)
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            sign_in(db, user, password="wrong password here")

    sign_in(db, user)
    for _ in range(4):
        with pytest.raises(NotAuthenticated, match="incorrect"):
            sign_in(db, user, password="wrong password here")

    assert user.failed_login_attempts == 4 and user.locked_until is None


def test_counting_starts_afresh_after_a_lock_runs_out(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash, failed_login_attempts=5, locked_until=clock.now - timedelta(seconds=1))

    with pytest.raises(NotAuthenticated, match="incorrect"):
        sign_in(db, user, password="wrong password here")

    assert user.failed_login_attempts == 1 and user.locked_until is None


def test_concurrent_wrong_attempts_are_all_counted(fresh_engine: sa.Engine, clock: Clock, password_hash: str) -> None:
    with Session(fresh_engine) as s, s.begin():
        user = factories.user(s, role="SUPPORT", password_hash=password_hash)
        email, user_id = user.email, user.id
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            with Session(fresh_engine) as s, s.begin():
                signin.sign_in(s, email=email, password=f"wrong password {n}")
        except AccountLocked:
            outcomes.append("locked")
        except NotAuthenticated:
            outcomes.append("wrong")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Exactly five guesses were checked; the fifth locked the account and the rest were refused.
    assert sorted(outcomes) == ["locked"] * 4 + ["wrong"] * 4
    with Session(fresh_engine) as s:
        stored = s.get(m.User, user_id)
        assert stored.failed_login_attempts == 5 and stored.locked_until == clock.now + timedelta(minutes=15)
        reasons = s.exec(select(m.ActivityLog.details).where(m.ActivityLog.action == "auth.sign_in_failed")).all()
        assert sorted(d["reason"] for d in reasons) == ["locked"] * 3 + ["wrong_password"] * 5


# --- who may sign in ----------------------------------------------------------------------------
def test_customers_cannot_sign_in(db: Session, clock: Clock, password_hash: str) -> None:
    customer = make_user(db, password_hash, role="CUSTOMER")

    # The same answer as an unknown e-mail (issue 12: the sign-in page is no oracle on customers).
    with pytest.raises(NotAuthenticated, match="Email or password is incorrect."):
        sign_in(db, customer)

    [entry] = entries(db, "auth.sign_in_failed")
    assert entry.details["reason"] == "not_back_office"
    assert db.exec(select(m.ActiveSession).where(m.ActiveSession.user_id == customer.id)).first() is None


@pytest.mark.parametrize("group_role", ["OWNER", "TREASURER"])
def test_group_officers_sign_in_as_group_officer(db: Session, clock: Clock, password_hash: str, group_role: str) -> None:
    officer = make_user(db, password_hash, role="CUSTOMER")
    factories.membership(db, factories.group(db), officer, role=group_role)

    result = sign_in(db, officer)

    assert result.signed_in and result.actor.role == GROUP_OFFICER
    assert sessions.resolve_session(db, token=result.token).role == GROUP_OFFICER


def test_plain_members_and_removed_officers_cannot_sign_in(db: Session, clock: Clock, password_hash: str) -> None:
    member = make_user(db, password_hash, role="CUSTOMER")
    factories.membership(db, factories.group(db), member, role="MEMBER")
    former = make_user(db, password_hash, role="CUSTOMER")
    factories.membership(db, factories.group(db), former, role="TREASURER", removed_at=clock.now - timedelta(days=1))

    for user in (member, former):
        with pytest.raises(NotAuthenticated, match="Email or password is incorrect"):
            sign_in(db, user)


def test_an_officer_removed_from_the_group_loses_the_session(db: Session, clock: Clock, password_hash: str) -> None:
    officer = make_user(db, password_hash, role="CUSTOMER")
    membership = factories.membership(db, factories.group(db), officer, role="OWNER")
    result = sign_in(db, officer)

    membership.removed_at = clock.now
    db.add(membership)
    db.flush()

    with pytest.raises(NotAuthenticated):
        sessions.resolve_session(db, token=result.token)


def test_inactive_accounts_cannot_sign_in(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash, is_active=False)

    with pytest.raises(NotAuthenticated, match="deactivated"):
        sign_in(db, user)
    # A wrong password for a deactivated account gets the same answer as for any account.
    with pytest.raises(NotAuthenticated, match="Email or password is incorrect"):
        sign_in(db, user, password="wrong password here")


def test_a_deactivated_or_demoted_user_loses_the_session_at_once(db: Session, clock: Clock, password_hash: str) -> None:
    first = make_user(db, password_hash)
    second = make_user(db, password_hash)
    one, two = sign_in(db, first), sign_in(db, second)

    first.is_active = False
    second.role = "CUSTOMER"
    db.add_all([first, second])
    db.flush()

    with pytest.raises(NotAuthenticated, match="deactivated"):
        sessions.resolve_session(db, token=one.token)
    with pytest.raises(NotAuthenticated, match="cannot sign in"):
        sessions.resolve_session(db, token=two.token)


def test_a_password_change_ends_older_sessions(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash)
    result = sign_in(db, user)

    user.password_changed_at = clock.advance(minutes=1)
    db.add(user)
    db.flush()

    with pytest.raises(NotAuthenticated):
        sessions.resolve_session(db, token=result.token)


def test_an_old_bcrypt_hash_is_upgraded_at_sign_in(db: Session, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # real needs_rehash for this test (one real cost-12 hash below)
    monkeypatch.setattr(rules, "utcnow", clock)
    legacy = passwords._context.handler("bcrypt").using(rounds=4).hash(PASSWORD)
    user = make_user(db, legacy)

    sign_in(db, user)

    assert user.password_hash.startswith("$bcrypt-sha256$") and "r=12" in user.password_hash
    assert passwords.verify_password(PASSWORD, user.password_hash)


# --- sessions -----------------------------------------------------------------------------------
def test_a_session_expires_after_thirty_idle_minutes(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash)
    token = sign_in(db, user).token

    clock.advance(minutes=29)
    sessions.resolve_session(db, token=token)  # use keeps it alive
    clock.advance(minutes=29)
    sessions.resolve_session(db, token=token)
    clock.advance(minutes=30)

    with pytest.raises(NotAuthenticated, match="Your session has expired. Please sign in again."):
        sessions.resolve_session(db, token=token)


def test_last_active_is_written_at_most_once_a_minute(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash)
    token = sign_in(db, user).token
    started = clock.now

    clock.advance(seconds=50)
    sessions.resolve_session(db, token=token)
    stored = lambda: db.execute(  # noqa: E731
        sa.text("SELECT last_active_at FROM active_sessions WHERE token_hash = :h"), {"h": rules.hash_token(token)}
    ).scalar_one()
    assert stored() == started

    clock.advance(seconds=20)
    sessions.resolve_session(db, token=token)
    assert stored() == clock.now


def test_a_session_ends_24_hours_after_sign_in_however_active(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash)
    token = sign_in(db, user).token

    for _ in range(24 * 3 - 1):
        clock.advance(minutes=20)
        sessions.resolve_session(db, token=token)
    clock.advance(minutes=20)

    with pytest.raises(NotAuthenticated, match="expired"):
        sessions.resolve_session(db, token=token)


def test_sign_out_ends_the_session_at_once(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash)
    token = sign_in(db, user).token
    other = sign_in(db, user).token

    assert sessions.sign_out(db, token=token, ip_address=IP, user_agent=UA) is True

    with pytest.raises(NotAuthenticated, match="signed out"):
        sessions.resolve_session(db, token=token)
    assert sessions.resolve_session(db, token=other).user_id == user.id  # other devices stay signed in
    assert sessions.sign_out(db, token=token) is False
    assert sessions.sign_out(db, token={"not": "a token"}) is False
    row = session_row(db, token)
    assert row.revoked and row.revoked_at == clock.now and row.revoked_by == user.id
    [entry] = entries(db, "auth.sign_out")
    assert entry.actor_id == user.id and entry.target_id == str(row.id) and str(entry.ip_address) == IP


def test_sessions_live_in_the_database(db: Session, clock: Clock, password_hash: str) -> None:
    """Nothing but the token is needed: a new process (here, a new session object) resolves it."""
    user = make_user(db, password_hash)
    token = sign_in(db, user).token
    db.expunge_all()

    assert sessions.resolve_session(db, token=token).user_id == user.id


@pytest.mark.parametrize("token", [None, "", "short", "x" * 500, 12345, {"token": "x"}, ["a"], "A" * 43])
def test_resolve_refuses_anything_but_a_live_token(db: Session, clock: Clock, token: object) -> None:
    with pytest.raises(NotAuthenticated):
        sessions.resolve_session(db, token=token)


# --- two-factor ---------------------------------------------------------------------------------
def test_an_admin_without_two_factor_must_set_it_up_at_sign_in(db: Session, clock: Clock, password_hash: str) -> None:
    admin = make_user(db, password_hash, role="ADMIN")

    pending = sign_in(db, admin)

    assert pending.step is SignInStep.TOTP_ENROLMENT_REQUIRED and pending.actor is None
    assert pending.expires_at == clock.now + timedelta(minutes=10)
    assert not session_row(db, pending.token).two_factor_verified
    with pytest.raises(NotAuthenticated, match="authenticator"):
        sessions.resolve_session(db, token=pending.token)
    assert admin.failed_login_attempts == 0 and admin.last_login_at is None
    [entry] = entries(db, "auth.sign_in_pending")
    assert entry.details["next_step"] == "TOTP_ENROLMENT_REQUIRED"

    setup = signin.begin_totp_enrollment(db, token=pending.token, ip_address=IP, user_agent=UA)

    assert setup.provisioning_uri.startswith("otpauth://totp/") and setup.secret in setup.provisioning_uri
    assert setup.account_name == admin.email
    assert admin.two_factor_secret.startswith("v1.") and setup.secret not in admin.two_factor_secret
    assert totp.decrypt_secret(admin.two_factor_secret, admin.id) == setup.secret
    assert not admin.two_factor_enabled and not rules.has_totp(admin)

    with pytest.raises(NotAuthenticated, match="not correct"):
        signin.confirm_totp_enrollment(db, token=pending.token, code=_wrong(setup.secret, clock.now))
    assert admin.failed_login_attempts == 1 and not admin.two_factor_enabled

    done = signin.confirm_totp_enrollment(db, token=pending.token, code=totp.code_at(setup.secret, clock.now),
                                        ip_address=IP, user_agent=UA)

    assert done.signed_in and done.token != pending.token and done.actor.role == "ADMIN"
    assert admin.two_factor_enabled and admin.two_factor_method == "AUTHENTICATOR"
    assert admin.failed_login_attempts == 0 and admin.last_login_at == clock.now
    assert sessions.resolve_session(db, token=done.token).user_id == admin.id
    with pytest.raises(NotAuthenticated):
        sessions.resolve_session(db, token=pending.token)  # the pending token was replaced
    assert session_row(db, done.token).expires_at == clock.now + timedelta(hours=24)
    [enrolled] = entries(db, "auth.totp_enrolled")
    assert enrolled.actor_id == admin.id and enrolled.after == {"two_factor_enabled": True,
                                                                "two_factor_method": "AUTHENTICATOR"}
    _assert_audit_has_no_secrets(db, setup.secret, admin.two_factor_secret)


def _wrong(seed: str, at: datetime) -> str:
    valid = {totp.code_at(seed, at + timedelta(seconds=30 * k)) for k in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(1000000)) if c not in valid)


def _assert_audit_has_no_secrets(db: Session, *secrets: str) -> None:
    dumped = json.dumps([[e.before, e.after, e.details, e.description] for e in db.exec(select(m.ActivityLog))],
                        default=str)
    for secret in secrets:
        assert secret not in dumped
    assert "$bcrypt" not in dumped


def test_an_enrolled_account_signs_in_with_a_code(db: Session, clock: Clock, password_hash: str) -> None:
    admin = make_user(db, password_hash, role="ADMIN")
    seed = enrol(db, admin)

    pending = sign_in(db, admin)
    assert pending.step is SignInStep.TOTP_REQUIRED
    with pytest.raises(Conflict):
        signin.begin_totp_enrollment(db, token=pending.token)  # cannot replace a working authenticator

    done = signin.verify_second_factor(db, token=pending.token, code=totp.code_at(seed, clock.now),
                                     ip_address=IP, user_agent=UA)

    assert done.signed_in and done.actor.role == "ADMIN"
    assert sessions.resolve_session(db, token=done.token).session_id == done.actor.session_id
    [entry] = entries(db, "auth.sign_in")
    assert entry.details["second_factor"] == "totp" and str(entry.ip_address) == IP
    with pytest.raises(NotAuthenticated):
        signin.verify_second_factor(db, token=pending.token, code=totp.code_at(seed, clock.now))


def test_codes_from_the_neighbouring_step_are_accepted_but_not_older(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash, role="TREASURER")
    seed = enrol(db, user)

    with pytest.raises(NotAuthenticated, match="not correct"):
        signin.verify_second_factor(db, token=sign_in(db, user).token,
                                  code=totp.code_at(seed, clock.now - timedelta(seconds=60)))
    done = signin.verify_second_factor(db, token=sign_in(db, user).token,
                                     code=totp.code_at(seed, clock.now - timedelta(seconds=30)))

    assert done.signed_in


def test_a_code_cannot_be_used_twice(db: Session, clock: Clock, password_hash: str) -> None:
    admin = make_user(db, password_hash, role="ADMIN")
    seed = enrol(db, admin)
    code = totp.code_at(seed, clock.now)
    signin.verify_second_factor(db, token=sign_in(db, admin).token, code=code)

    clock.advance(seconds=10)
    second = sign_in(db, admin)
    with pytest.raises(NotAuthenticated, match="already been used"):
        signin.verify_second_factor(db, token=second.token, code=code)
    assert admin.failed_login_attempts == 1

    clock.advance(seconds=30)
    assert signin.verify_second_factor(db, token=second.token, code=totp.code_at(seed, clock.now)).signed_in


def test_wrong_codes_count_toward_the_lockout(db: Session, clock: Clock, password_hash: str) -> None:
    admin = make_user(db, password_hash, role="ADMIN")
    seed = enrol(db, admin)
    pending = sign_in(db, admin)
    for _ in range(4):
        with pytest.raises(NotAuthenticated, match="not correct"):
            signin.verify_second_factor(db, token=pending.token, code=_wrong(seed, clock.now), ip_address=IP)

    with pytest.raises(AccountLocked):
        signin.verify_second_factor(db, token=pending.token, code=_wrong(seed, clock.now))

    assert session_row(db, pending.token).revoked
    with pytest.raises(NotAuthenticated):  # the right code no longer helps on that session
        signin.verify_second_factor(db, token=pending.token, code=totp.code_at(seed, clock.now))
    with pytest.raises(AccountLocked):
        sign_in(db, admin)
    failed = entries(db, "auth.totp_failed")
    assert len(failed) == 5 and str(failed[0].ip_address) == IP and failed[0].actor_id == admin.id
    assert len(entries(db, "auth.locked")) == 1


def test_a_password_alone_does_not_reset_the_code_counter(db: Session, clock: Clock, password_hash: str) -> None:
    """Otherwise the password holder could guess codes for ever, four at a time."""
    admin = make_user(db, password_hash, role="ADMIN")
    seed = enrol(db, admin)
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            signin.verify_second_factor(db, token=sign_in(db, admin).token, code=_wrong(seed, clock.now))

    pending = sign_in(db, admin)
    with pytest.raises(AccountLocked):
        signin.verify_second_factor(db, token=pending.token, code=_wrong(seed, clock.now))


def test_a_pending_session_expires_after_ten_minutes(db: Session, clock: Clock, password_hash: str) -> None:
    admin = make_user(db, password_hash, role="ADMIN")
    seed = enrol(db, admin)
    pending = sign_in(db, admin)

    clock.advance(minutes=10)

    with pytest.raises(NotAuthenticated, match="expired"):
        signin.verify_second_factor(db, token=pending.token, code=totp.code_at(seed, clock.now))


def test_other_roles_may_switch_two_factor_on(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash, role="MANAGER")
    signed_in = sign_in(db, user)
    assert signed_in.signed_in

    with pytest.raises(InvalidInput, match="current password"):
        signin.begin_totp_enrollment(db, token=signed_in.token)
    with pytest.raises(NotAuthenticated, match="current password is not correct"):
        signin.begin_totp_enrollment(db, token=signed_in.token, password="not my password")
    assert user.failed_login_attempts == 1 and user.two_factor_secret is None
    [reauth] = entries(db, "auth.reauth_failed")
    assert reauth.actor_id == user.id

    setup = signin.begin_totp_enrollment(db, token=signed_in.token, password=PASSWORD)
    done = signin.confirm_totp_enrollment(db, token=signed_in.token, code=totp.code_at(setup.secret, clock.now))

    assert done.signed_in and done.token == signed_in.token and done.actor.role == "MANAGER"
    assert rules.has_totp(user) and user.failed_login_attempts == 1  # only a full sign-in resets it
    clock.advance(seconds=30)
    assert sign_in(db, user).step is SignInStep.TOTP_REQUIRED
    [started] = entries(db, "auth.totp_enrollment_started")
    assert started.details == {"during_sign_in": False}


def test_a_role_needing_two_factor_is_enforced_on_existing_sessions(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash, role="SUPPORT")
    token = sign_in(db, user).token

    user.role = "ADMIN"
    db.add(user)
    db.flush()

    with pytest.raises(NotAuthenticated, match="two-step sign-in"):
        sessions.resolve_session(db, token=token)


def test_email_or_sms_two_factor_of_the_customer_apps_is_not_asked_for(db: Session, clock: Clock, password_hash: str) -> None:
    officer = make_user(db, password_hash, role="CUSTOMER", two_factor_enabled=True, two_factor_method="SMS")
    factories.membership(db, factories.group(db), officer, role="OWNER")

    assert sign_in(db, officer).signed_in


def test_a_seed_encrypted_for_another_user_does_not_decrypt(db: Session) -> None:
    first, second = factories.user(db), factories.user(db)
    stored = totp.encrypt_secret(totp.new_secret(), first.id)

    with pytest.raises(crypto.DecryptionError):
        totp.decrypt_secret(stored, second.id)
    with pytest.raises(crypto.DecryptionError):
        totp.decrypt_secret("v1.garbage!!", first.id)


def test_an_unreadable_seed_is_refused_with_a_clear_message(db: Session, clock: Clock, password_hash: str) -> None:
    admin = make_user(db, password_hash, role="ADMIN")
    enrol(db, admin)
    admin.two_factor_secret = totp.encrypt_secret(totp.new_secret(), factories.user(db).id)
    db.add(admin)
    db.flush()

    with pytest.raises(NotAuthenticated, match="Ask an administrator"):
        signin.verify_second_factor(db, token=sign_in(db, admin).token, code="123456")


# --- untrusted input ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("email", "password"),
    [
        ({"$ne": None}, PASSWORD),
        (["a@b.co"], PASSWORD),
        (None, PASSWORD),
        ("not-an-email", PASSWORD),
        ("a" * 250 + "@example.com", PASSWORD),
        ("ok@example.com", {"password": 1}),
        ("ok@example.com", None),
        ("ok@example.com", ""),
        ("ok@example.com", "x" * 257),
        ("nul\x00@example.com", PASSWORD),
    ],
)
def test_malformed_sign_in_input_is_refused(db: Session, clock: Clock, email: object, password: object) -> None:
    with pytest.raises(InvalidInput):
        signin.sign_in(db, email=email, password=password)


@pytest.mark.parametrize("code", [None, 123456, {"code": "123456"}, "12345", "1234567", "12a456", "x" * 100])
def test_malformed_codes_are_refused_without_counting(db: Session, clock: Clock, password_hash: str, code: object) -> None:
    admin = make_user(db, password_hash, role="ADMIN")
    enrol(db, admin)
    pending = sign_in(db, admin)

    with pytest.raises(InvalidInput, match="6-digit code"):
        signin.verify_second_factor(db, token=pending.token, code=code)
    assert admin.failed_login_attempts == 0


def test_codes_may_be_typed_with_spaces(db: Session, clock: Clock, password_hash: str) -> None:
    admin = make_user(db, password_hash, role="ADMIN")
    seed = enrol(db, admin)
    code = totp.code_at(seed, clock.now)

    assert signin.verify_second_factor(db, token=sign_in(db, admin).token, code=f" {code[:3]} {code[3:]} ").signed_in


def test_bad_ip_addresses_and_long_user_agents_are_cleaned(db: Session, clock: Clock, password_hash: str) -> None:
    user = make_user(db, password_hash)

    result = sign_in(db, user, ip_address="not-an-ip; DROP TABLE users", user_agent="U" * 5000)
    row = session_row(db, result.token)
    assert row.ip_address is None and len(row.user_agent) == 512

    result = sign_in(db, user, ip_address={"ip": 1}, user_agent=["x"])
    row = session_row(db, result.token)
    assert row.ip_address is None and row.user_agent is None and row.device == "Unknown device"

    result = sign_in(db, user, ip_address="fe80::1%eth0")
    assert str(session_row(db, result.token).ip_address) == "fe80::1"

