"""Staff administration (dashboard.staff: queries, actions, accounts) and the create-admin command."""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from dashboard.cli import staff as staff_cli
from dashboard import models as m
from dashboard.core.permissions import GROUP_OFFICER
from dashboard.auth import passwords, rules, sessions, signin, totp
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed, NotAuthenticated, NotFound
from dashboard.staff import accounts, actions, queries
from tests import factories
from tests.locks import race

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase"
IP = "192.0.2.10"


from tests.conftest import Clock  # noqa: E402  (the clock fixture is in tests/conftest.py)


_FAST = passwords._context.handler("bcrypt_sha256").using(rounds=4)


@pytest.fixture(scope="module")
def password_hash() -> str:
    return _FAST.hash(PASSWORD)


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """New hashes at cost 4 (the services' code path is the same; cost 12 takes 0.3 s each)."""
    monkeypatch.setattr(passwords, "hash_password", _FAST.hash)
    monkeypatch.setattr(passwords, "needs_rehash", lambda _hash: False)


def make_user(db: Session, password_hash: str, role: str = "SUPPORT", **kw: Any) -> m.User:
    return factories.user(db, role=role, password_hash=password_hash, **kw)


def actor_of(user: m.User, role: str | None = None) -> Actor:
    return Actor(user_id=user.id, email=user.email, role=role or user.role, ip_address=IP, user_agent="pytest")


@pytest.fixture
def admin(db: Session, password_hash: str) -> m.User:
    return make_user(db, password_hash, role="ADMIN")


@pytest.fixture
def boss(admin: m.User) -> Actor:
    return actor_of(admin)


def audit_entries(db: Session, action: str | None = None) -> list[m.ActivityLog]:
    stmt = select(m.ActivityLog).order_by(m.ActivityLog.seq)
    if action:
        stmt = stmt.where(m.ActivityLog.action == action)
    return list(db.exec(stmt))


def assert_no_secrets_in_audit(db: Session) -> None:
    dumped = json.dumps([[e.before, e.after, e.details, e.description] for e in audit_entries(db)], default=str)
    assert "$bcrypt" not in dumped and "password_hash" not in dumped and "two_factor_secret" not in dumped
    assert PASSWORD not in dumped and NEW_PASSWORD not in dumped


def signed_in_token(db: Session, user: m.User) -> str:
    return signin.sign_in(db, email=user.email, password=PASSWORD, ip_address=IP, user_agent="Firefox/125.0 (X11; Linux)").token


# --- permission matrix --------------------------------------------------------------------------
def _operations(target: m.User, session_id: uuid.UUID) -> dict[str, Callable[[Session, Any], object]]:
    return {
        "list_staff": lambda db, a: queries.list_staff(db, actor=a),
        "list_sessions": lambda db, a: queries.list_sessions(db, actor=a),
        "create_staff": lambda db, a: actions.create_staff(db, actor=a, email="new.person@example.com", first_name="New",
                                                         last_name="Person", role="SUPPORT", password=PASSWORD),
        "change_role": lambda db, a: actions.change_role(db, actor=a, user_id=target.id, role="MANAGER"),
        "deactivate": lambda db, a: actions.deactivate(db, actor=a, user_id=target.id),
        "reactivate": lambda db, a: actions.reactivate(db, actor=a, user_id=target.id),
        "reset_password": lambda db, a: actions.reset_password(db, actor=a, user_id=target.id, new_password=NEW_PASSWORD),
        "reset_two_factor": lambda db, a: actions.reset_two_factor(db, actor=a, user_id=target.id),
        "revoke_session": lambda db, a: actions.revoke_session(db, actor=a, session_id=session_id),
    }


OPERATIONS = [
    "list_staff", "list_sessions", "create_staff", "change_role", "deactivate", "reactivate",
    "reset_password", "reset_two_factor", "revoke_session",
]
OTHER_ROLES = ["COMPLIANCE", "TREASURER", "MANAGER", "SUPPORT", "CUSTOMER", GROUP_OFFICER]


def _actor_with_role(db: Session, password_hash: str, role: str) -> Actor:
    if role == GROUP_OFFICER:
        officer = make_user(db, password_hash, role="CUSTOMER")
        factories.membership(db, factories.group(db), officer, role="OWNER")
        return actor_of(officer, GROUP_OFFICER)
    return actor_of(make_user(db, password_hash, role=role))


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("role", OTHER_ROLES + ["none", "system", "forged-admin", "deactivated-admin"])
def test_only_an_active_admin_may_manage_staff(
    db: Session, clock: Clock, password_hash: str, admin: m.User, operation: str, role: str
) -> None:
    target = make_user(db, password_hash, role="SUPPORT")
    session_id = sessions.resolve_session(db, token=signed_in_token(db, target)).session_id
    if role == "none":
        actor: Any = None
    elif role == "system":
        actor = Actor.system()
    elif role == "forged-admin":  # claims ADMIN, but the database says SUPPORT
        actor = actor_of(make_user(db, password_hash, role="SUPPORT"), "ADMIN")
    elif role == "deactivated-admin":
        actor = actor_of(make_user(db, password_hash, role="ADMIN", is_active=False))
    else:
        actor = _actor_with_role(db, password_hash, role)
    before = (len(audit_entries(db)), db.execute(sa.text("SELECT count(*) FROM users")).scalar())

    with pytest.raises(NotAuthenticated if role == "none" else NotAllowed):  # refused before any work
        _operations(target, session_id)[operation](db, actor)

    assert (len(audit_entries(db)), db.execute(sa.text("SELECT count(*) FROM users")).scalar()) == before
    db.refresh(target)
    assert target.role == "SUPPORT" and target.is_active
    assert sessions.resolve_session(db, token=signed_in_token(db, target)).user_id == target.id


def test_a_non_actor_object_is_not_signed_in(db: Session, admin: m.User) -> None:
    for fake in ({"user_id": str(admin.id), "role": "ADMIN"}, "ADMIN", admin):
        with pytest.raises(NotAuthenticated):
            queries.list_staff(db, actor=fake)


# --- listing ------------------------------------------------------------------------------------
def test_list_staff_shows_staff_only_as_display_rows(db: Session, clock: Clock, password_hash: str, boss: Actor) -> None:
    make_user(db, password_hash, role="CUSTOMER", email="customer@example.com")
    kofi = make_user(db, password_hash, role="COMPLIANCE", email="kofi@example.com", first_name="Kofi",
                     last_name="Mensah", last_login_at=clock.now)
    make_user(db, password_hash, role="SUPPORT", email="gone@example.com", is_active=False)

    page = queries.list_staff(db, actor=boss)

    emails = [row["email"] for row in page.rows]
    assert "customer@example.com" not in emails and "gone@example.com" not in emails
    assert emails == sorted(emails) and page.extra["total"] == len(emails) == 2 and page.next_cursor is None
    row = next(r for r in page.rows if r["email"] == "kofi@example.com")
    assert row == {
        "id": str(kofi.id), "email": "kofi@example.com", "name": "Kofi Mensah", "first_name": "Kofi",
        "last_name": "Mensah", "role": "COMPLIANCE", "role_label": "Compliance", "is_active": True,
        "status": "Active", "locked_until": "", "two_factor": "Off",
        "last_login": clock.now.strftime("%Y-%m-%d %H:%M UTC"), "created": row["created"],
    }
    assert all(isinstance(v, (str, bool)) for r in page.rows for v in r.values())

    with_inactive = queries.list_staff(db, actor=boss, include_inactive=True)
    assert "gone@example.com" in [r["email"] for r in with_inactive.rows]
    assert next(r for r in with_inactive.rows if r["email"] == "gone@example.com")["status"] == "Deactivated"


def test_list_staff_filters_searches_and_pages(db: Session, clock: Clock, password_hash: str, boss: Actor) -> None:
    for n in range(5):
        make_user(db, password_hash, role="TREASURER", email=f"t{n}@bank.example", first_name="Tess", last_name=f"Ng{n}")
    make_user(db, password_hash, role="MANAGER", email="m@bank.example", first_name="Max", last_name="100%_sure")
    make_user(db, password_hash, role="SUPPORT", email="locked@bank.example", failed_login_attempts=5,
              locked_until=clock.now + timedelta(minutes=3))

    seen: list[str] = []
    after = None
    while True:
        page = queries.list_staff(db, actor=boss, role="TREASURER", limit=2, after=after)
        assert page.extra["total"] == 5 and len(page.rows) <= 2
        seen += [r["email"] for r in page.rows]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == [f"t{n}@bank.example" for n in range(5)]

    assert [r["email"] for r in queries.list_staff(db, actor=boss, search="tess ng3").rows] == ["t3@bank.example"]
    assert [r["email"] for r in queries.list_staff(db, actor=boss, search="M@BANK").rows] == ["m@bank.example"]
    assert [r["email"] for r in queries.list_staff(db, actor=boss, search="%_").rows] == ["m@bank.example"]
    locked = queries.list_staff(db, actor=boss, search="locked@").rows[0]
    assert locked["status"] == "Locked" and locked["locked_until"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0}, {"limit": 101}, {"limit": True}, {"limit": "10"}, {"limit": 2.5},
        {"include_inactive": "yes"}, {"include_inactive": 1},
        {"role": "CUSTOMER"}, {"role": "ROOT"}, {"role": {"$in": ["ADMIN"]}},
        {"search": {"q": 1}}, {"search": "x" * 101}, {"search": ["a"]},
        {"after": 5}, {"after": "x" * 300},
    ],
)
def test_list_staff_refuses_bad_arguments(db: Session, boss: Actor, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        queries.list_staff(db, actor=boss, **kwargs)


def test_list_sessions_shows_open_sessions_only(db: Session, clock: Clock, password_hash: str, admin: m.User) -> None:
    boss_result = signin.sign_in(db, email=admin.email, password=PASSWORD)  # pending: ADMIN without 2FA
    support = make_user(db, password_hash, role="SUPPORT")
    live = signed_in_token(db, support)
    ended = signed_in_token(db, support)
    sessions.sign_out(db, token=ended)
    other = make_user(db, password_hash, role="MANAGER")
    signed_in_token(db, other)
    live_actor = sessions.resolve_session(db, token=live)
    boss = Actor(user_id=admin.id, email=admin.email, role="ADMIN", session_id=live_actor.session_id)

    rows = queries.list_sessions(db, actor=boss, user_id=support.id).rows

    assert [r["id"] for r in rows] == [str(live_actor.session_id)]
    [row] = rows
    assert row["device"] == "Firefox on Linux" and row["ip_address"] == IP and row["email"] == support.email
    assert row["status"] == "Signed in" and row["is_current"] is True
    assert row["created"] == clock.now.strftime("%Y-%m-%d %H:%M UTC")
    everyone = queries.list_sessions(db, actor=boss).rows
    assert {r["email"] for r in everyone} == {support.email, other.email, admin.email}
    assert next(r for r in everyone if r["email"] == admin.email)["status"] == "Awaiting second step"
    assert boss_result.token not in json.dumps(everyone)

    clock.advance(minutes=31)  # idle: no longer open
    assert queries.list_sessions(db, actor=boss).rows == []
    with pytest.raises(InvalidInput):
        queries.list_sessions(db, actor=boss, user_id={"id": 1})


def test_list_sessions_pages_by_last_use(db: Session, clock: Clock, password_hash: str, boss: Actor) -> None:
    user = make_user(db, password_hash, role="SUPPORT")
    tokens = []
    for _ in range(5):
        tokens.append(signed_in_token(db, user))
        clock.advance(minutes=2)
    sessions.resolve_session(db, token=tokens[0])  # the first one is now the most recently used

    seen: list[str] = []
    after = None
    while True:
        page = queries.list_sessions(db, actor=boss, user_id=user.id, limit=2, after=after)
        assert page.extra["total"] == 5 and len(page.rows) <= 2
        seen += [r["id"] for r in page.rows]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    by_token = [str(sessions.resolve_session(db, token=t).session_id) for t in tokens]
    assert seen == [by_token[0], *reversed(by_token[1:])]
    for bad in ("x" * 300, "not|a-cursor", 5):
        with pytest.raises(InvalidInput):
            queries.list_sessions(db, actor=boss, after=bad)


def test_list_staff_pages_past_an_email_with_a_separator(db: Session, password_hash: str, boss: Actor) -> None:
    for email in ("a|1@pipe.example", "a|2@pipe.example", "b@pipe.example"):
        make_user(db, password_hash, role="SUPPORT", email=email)

    first = queries.list_staff(db, actor=boss, search="pipe.example", limit=1)
    second = queries.list_staff(db, actor=boss, search="pipe.example", limit=2, after=first.next_cursor)

    assert [r["email"] for r in first.rows + second.rows] == ["a|1@pipe.example", "a|2@pipe.example", "b@pipe.example"]
    assert second.next_cursor is None


# --- creating accounts --------------------------------------------------------------------------
def test_create_staff_makes_an_account_that_can_sign_in(db: Session, clock: Clock, boss: Actor) -> None:
    row = actions.create_staff(db, actor=boss, email="  New.Officer@Example.COM ", first_name=" Nia ",
                             last_name="Okoro", role="TREASURER", password=PASSWORD)

    assert row["email"] == "new.officer@example.com" and row["role"] == "TREASURER" and row["name"] == "Nia Okoro"
    user = db.exec(select(m.User).where(m.User.email == "new.officer@example.com")).one()
    assert user.platform == "STAFF" and user.account_type is None and user.is_active
    assert user.password_hash != PASSWORD and passwords.verify_password(PASSWORD, user.password_hash)
    assert signin.sign_in(db, email="new.officer@example.com", password=PASSWORD).signed_in
    [entry] = audit_entries(db, "staff.created")
    assert entry.actor_id == boss.user_id and entry.target_id == str(user.id) and entry.before is None
    assert entry.after == {"email": "new.officer@example.com", "first_name": "Nia", "last_name": "Okoro",
                           "role": "TREASURER", "is_active": True, "two_factor_enabled": False}
    assert str(entry.ip_address) == IP
    assert_no_secrets_in_audit(db)


def test_create_staff_refuses_a_taken_email(db: Session, password_hash: str, boss: Actor) -> None:
    make_user(db, password_hash, role="CUSTOMER", email="taken@example.com")

    with pytest.raises(Conflict, match="already exists"):
        actions.create_staff(db, actor=boss, email="TAKEN@example.com", first_name="A", last_name="B",
                           role="SUPPORT", password=PASSWORD)
    assert audit_entries(db, "staff.created") == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "no-at-sign"), ("email", {"email": "a@b.co"}), ("email", None), ("email", "a@b"),
        ("first_name", ""), ("first_name", "   "), ("first_name", "x" * 151), ("first_name", {"n": 1}),
        ("last_name", "bad\x00name"), ("last_name", ["x"]),
        ("role", "CUSTOMER"), ("role", "GROUP_OFFICER"), ("role", "admin"), ("role", None), ("role", {"r": 1}),
        ("password", "short"), ("password", "x" * 257), ("password", 123456789012345), ("password", None),
    ],
)
def test_create_staff_validates_every_field(db: Session, boss: Actor, field: str, value: object) -> None:
    kwargs: dict[str, Any] = {"email": "valid@example.com", "first_name": "Val", "last_name": "Id",
                              "role": "SUPPORT", "password": PASSWORD}
    kwargs[field] = value

    with pytest.raises(InvalidInput):
        actions.create_staff(db, actor=boss, **kwargs)
    assert db.exec(select(m.User).where(m.User.email == "valid@example.com")).first() is None


# --- roles --------------------------------------------------------------------------------------
def test_change_role_is_audited_with_before_and_after(db: Session, clock: Clock, password_hash: str, boss: Actor) -> None:
    user = make_user(db, password_hash, role="SUPPORT")
    token = signed_in_token(db, user)

    row = actions.change_role(db, actor=boss, user_id=str(user.id), role="MANAGER")

    assert row["role"] == "MANAGER" and user.role == "MANAGER"
    assert sessions.resolve_session(db, token=token).role == "MANAGER"  # read live on the next request
    [entry] = audit_entries(db, "staff.role_changed")
    assert entry.before["role"] == "SUPPORT" and entry.after["role"] == "MANAGER"
    actions.change_role(db, actor=boss, user_id=user.id, role="MANAGER")  # no change: no entry
    assert len(audit_entries(db, "staff.role_changed")) == 1


def test_an_admin_cannot_demote_themselves(db: Session, password_hash: str, admin: m.User, boss: Actor) -> None:
    make_user(db, password_hash, role="ADMIN")  # another admin exists: the refusal is about "self"

    with pytest.raises(NotAllowed, match="your own role"):
        actions.change_role(db, actor=boss, user_id=admin.id, role="SUPPORT")
    assert admin.role == "ADMIN"


def test_promotion_to_admin_asks_for_two_factor_at_once(db: Session, clock: Clock, password_hash: str, boss: Actor) -> None:
    user = make_user(db, password_hash, role="SUPPORT")
    token = signed_in_token(db, user)

    actions.change_role(db, actor=boss, user_id=user.id, role="ADMIN")

    with pytest.raises(NotAuthenticated, match="two-step"):
        sessions.resolve_session(db, token=token)
    assert signin.sign_in(db, email=user.email, password=PASSWORD).step is rules.SignInStep.TOTP_ENROLMENT_REQUIRED


@pytest.mark.parametrize("bad", [{"id": 1}, "not-a-uuid", 42, None, ["x"]])
def test_targets_must_be_valid_ids(db: Session, boss: Actor, bad: object) -> None:
    with pytest.raises(InvalidInput):
        actions.change_role(db, actor=boss, user_id=bad, role="SUPPORT")
    with pytest.raises(InvalidInput):
        actions.revoke_session(db, actor=boss, session_id=bad)


def test_customers_and_unknown_ids_are_not_staff(db: Session, password_hash: str, boss: Actor) -> None:
    customer = make_user(db, password_hash, role="CUSTOMER")
    for target in (customer.id, uuid.uuid4()):
        for call in (
            lambda t: actions.change_role(db, actor=boss, user_id=t, role="ADMIN"),
            lambda t: actions.deactivate(db, actor=boss, user_id=t),
            lambda t: actions.reset_password(db, actor=boss, user_id=t, new_password=NEW_PASSWORD),
        ):
            with pytest.raises(NotFound):
                call(target)
    assert customer.role == "CUSTOMER" and customer.is_active


def test_change_role_refuses_non_staff_roles(db: Session, password_hash: str, boss: Actor) -> None:
    user = make_user(db, password_hash, role="SUPPORT")
    for role in ("CUSTOMER", GROUP_OFFICER, "SUPERUSER", "", None, {"role": "ADMIN"}):
        with pytest.raises(InvalidInput):
            actions.change_role(db, actor=boss, user_id=user.id, role=role)


def test_the_last_active_admin_is_protected(db: Session, password_hash: str, admin: m.User) -> None:
    """Self-protection already stops a lone admin; this is the check behind it (defence in depth)."""
    with pytest.raises(Conflict, match="At least one active administrator"):
        accounts.guard_last_admin(db, admin)
    make_user(db, password_hash, role="ADMIN", is_active=False)
    with pytest.raises(Conflict):
        accounts.guard_last_admin(db, admin)
    make_user(db, password_hash, role="ADMIN")
    accounts.guard_last_admin(db, admin)


@pytest.mark.parametrize("operation", ["change_role", "deactivate"])
def test_two_admins_removing_each_other_at_once_leave_one_admin(
    fresh_engine: sa.Engine, clock: Clock, password_hash: str, operation: str
) -> None:
    """The second admin's change waits for the first one's lock (seen in pg_locks, no sleep), then is
    refused: the last admin cannot be removed."""
    with Session(fresh_engine) as s, s.begin():
        first_admin = make_user(s, password_hash, role="ADMIN")
        second_admin = make_user(s, password_hash, role="ADMIN")
        ids = (first_admin.id, second_admin.id)
        a, b = actor_of(first_admin), actor_of(second_admin)

    def remove(session: Session, actor: Actor, target: uuid.UUID) -> str:
        if operation == "change_role":
            actions.change_role(session, actor=actor, user_id=target, role="SUPPORT")
        else:
            actions.deactivate(session, actor=actor, user_id=target)
        return "done"

    first = Session(fresh_engine)
    first.begin()
    assert remove(first, a, ids[1]) == "done"  # holds the lock until committed
    outcome = race(fresh_engine, first, lambda s2: remove(s2, b, ids[0]))
    assert outcome.get("error") == "NotAllowed", outcome
    with Session(fresh_engine) as s:
        admins = s.execute(sa.text("SELECT count(*) FROM users WHERE role = 'ADMIN' AND is_active")).scalar()
        assert admins == 1


# --- deactivation and reactivation --------------------------------------------------------------
def test_deactivate_ends_every_session_at_once(db: Session, clock: Clock, password_hash: str, boss: Actor) -> None:
    user = make_user(db, password_hash, role="TREASURER")
    tokens = [signed_in_token(db, user) for _ in range(2)]

    row = actions.deactivate(db, actor=boss, user_id=user.id)

    assert row["is_active"] is False and row["status"] == "Deactivated"
    for token in tokens:
        with pytest.raises(NotAuthenticated):
            sessions.resolve_session(db, token=token)
    revoked = db.exec(select(m.ActiveSession).where(m.ActiveSession.user_id == user.id)).all()
    assert all(s.revoked and s.revoked_by == boss.user_id and s.revoked_at == clock.now for s in revoked)
    with pytest.raises(NotAuthenticated, match="deactivated"):
        signin.sign_in(db, email=user.email, password=PASSWORD)
    [entry] = audit_entries(db, "staff.deactivated")
    assert entry.before["is_active"] is True and entry.after["is_active"] is False
    assert entry.details == {"sessions_revoked": 2}
    with pytest.raises(Conflict, match="already deactivated"):
        actions.deactivate(db, actor=boss, user_id=user.id)


def test_an_admin_cannot_deactivate_themselves(db: Session, password_hash: str, admin: m.User, boss: Actor) -> None:
    make_user(db, password_hash, role="ADMIN")

    with pytest.raises(NotAllowed, match="your own account"):
        actions.deactivate(db, actor=boss, user_id=admin.id)
    assert admin.is_active


def test_another_admin_can_be_deactivated_while_one_remains(db: Session, password_hash: str, boss: Actor) -> None:
    other = make_user(db, password_hash, role="ADMIN")

    actions.deactivate(db, actor=boss, user_id=other.id)

    assert not other.is_active


def test_reactivate_lets_the_account_sign_in_again(db: Session, clock: Clock, password_hash: str, boss: Actor) -> None:
    user = make_user(db, password_hash, role="SUPPORT", is_active=False)

    row = actions.reactivate(db, actor=boss, user_id=user.id)

    assert row["is_active"] is True and signin.sign_in(db, email=user.email, password=PASSWORD).signed_in
    [entry] = audit_entries(db, "staff.reactivated")
    assert entry.before["is_active"] is False and entry.after["is_active"] is True
    with pytest.raises(Conflict, match="already active"):
        actions.reactivate(db, actor=boss, user_id=user.id)


# --- passwords and two-factor -------------------------------------------------------------------
def test_reset_password_clears_the_lockout_and_ends_sessions(db: Session, clock: Clock, password_hash: str, boss: Actor) -> None:
    user = make_user(db, password_hash, role="MANAGER")
    token = signed_in_token(db, user)
    user.failed_login_attempts, user.locked_until = 5, clock.now + timedelta(minutes=10)
    db.add(user)
    db.flush()

    actions.reset_password(db, actor=boss, user_id=user.id, new_password=NEW_PASSWORD)

    assert user.failed_login_attempts == 0 and user.locked_until is None and user.password_changed_at == clock.now
    with pytest.raises(NotAuthenticated):
        sessions.resolve_session(db, token=token)
    with pytest.raises(NotAuthenticated, match="incorrect"):
        signin.sign_in(db, email=user.email, password=PASSWORD)
    assert signin.sign_in(db, email=user.email, password=NEW_PASSWORD).signed_in
    [entry] = audit_entries(db, "staff.password_reset")
    assert entry.before["failed_login_attempts"] == 5 and entry.after["failed_login_attempts"] == 0
    assert entry.details == {"sessions_revoked": 1}
    assert_no_secrets_in_audit(db)


@pytest.mark.parametrize("bad", ["short", "x" * 257, None, {"p": "x" * 20}, " " * 16])
def test_reset_password_validates_the_new_password(db: Session, password_hash: str, boss: Actor, bad: object) -> None:
    user = make_user(db, password_hash, role="MANAGER")

    with pytest.raises(InvalidInput):
        actions.reset_password(db, actor=boss, user_id=user.id, new_password=bad)
    assert user.password_hash == password_hash


def test_reset_two_factor_makes_an_admin_enrol_again(db: Session, clock: Clock, password_hash: str, boss: Actor) -> None:
    other = make_user(db, password_hash, role="ADMIN")
    seed = totp.new_secret()
    other.two_factor_secret, other.two_factor_enabled, other.two_factor_method = (
        totp.encrypt_secret(seed, other.id), True, "AUTHENTICATOR")
    db.add(other)
    db.flush()
    pending = signin.sign_in(db, email=other.email, password=PASSWORD)
    token = signin.verify_second_factor(db, token=pending.token, code=totp.code_at(seed, clock.now)).token

    row = actions.reset_two_factor(db, actor=boss, user_id=other.id)

    assert row["two_factor"] == "Off" and other.two_factor_secret is None and not other.two_factor_enabled
    with pytest.raises(NotAuthenticated):
        sessions.resolve_session(db, token=token)
    assert signin.sign_in(db, email=other.email, password=PASSWORD).step is rules.SignInStep.TOTP_ENROLMENT_REQUIRED
    [entry] = audit_entries(db, "staff.two_factor_reset")
    assert entry.before["two_factor_enabled"] is True and entry.after["two_factor_enabled"] is False
    assert seed not in json.dumps([entry.before, entry.after, entry.details], default=str)
    with pytest.raises(Conflict):
        actions.reset_two_factor(db, actor=boss, user_id=other.id)
    with pytest.raises(NotAllowed):
        actions.reset_two_factor(db, actor=boss, user_id=boss.user_id)


# --- sessions -----------------------------------------------------------------------------------
def test_revoke_session_ends_it_at_once(db: Session, clock: Clock, password_hash: str, boss: Actor) -> None:
    user = make_user(db, password_hash, role="SUPPORT")
    token = signed_in_token(db, user)
    kept = signed_in_token(db, user)
    session_id = sessions.resolve_session(db, token=token).session_id

    actions.revoke_session(db, actor=boss, session_id=str(session_id))

    with pytest.raises(NotAuthenticated, match="signed out"):
        sessions.resolve_session(db, token=token)
    assert sessions.resolve_session(db, token=kept).user_id == user.id
    [entry] = audit_entries(db, "auth.session_revoked")
    assert entry.target_id == str(session_id) and entry.actor_id == boss.user_id
    assert entry.details == {"user_id": str(user.id), "email": user.email}
    with pytest.raises(Conflict, match="already ended"):
        actions.revoke_session(db, actor=boss, session_id=session_id)
    with pytest.raises(NotFound):
        actions.revoke_session(db, actor=boss, session_id=uuid.uuid4())


# --- create-admin (CLI) -------------------------------------------------------------------------
def test_create_admin_is_audited_as_the_system(db: Session, clock: Clock) -> None:
    user = accounts.create_admin(db, email="Root@Example.com", first_name="Ada", last_name="Admin", password=PASSWORD)

    assert user.email == "root@example.com" and user.role == "ADMIN" and user.platform == "STAFF"
    [entry] = audit_entries(db, "staff.created")
    assert entry.actor_id is None and entry.actor_email == "cli:create-admin" and entry.target_id == str(user.id)
    assert entry.details == {"source": "cli"}
    assert signin.sign_in(db, email="root@example.com", password=PASSWORD).step is rules.SignInStep.TOTP_ENROLMENT_REQUIRED
    with pytest.raises(Conflict):
        accounts.create_admin(db, email="root@example.com", first_name="Ada", last_name="Again", password=PASSWORD)
    assert_no_secrets_in_audit(db)


@pytest.fixture
def cli_db(db: Session, monkeypatch: pytest.MonkeyPatch) -> Session:
    @contextmanager
    def scope() -> Iterator[Session]:
        yield db

    monkeypatch.setattr("dashboard.db.session_scope", scope)
    monkeypatch.delenv(staff_cli.PASSWORD_ENV, raising=False)
    return db


def _args(**kw: str) -> argparse.Namespace:
    values = {"email": "first@example.com", "first_name": "First", "last_name": "Admin"}
    values.update(kw)
    return argparse.Namespace(**values)


def test_cli_creates_an_admin_from_the_environment(cli_db: Session, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv(staff_cli.PASSWORD_ENV, PASSWORD)

    assert staff_cli.cmd_create_admin(_args()) == 0

    assert "first@example.com" in capsys.readouterr().out
    user = cli_db.exec(select(m.User).where(m.User.email == "first@example.com")).one()
    assert user.role == "ADMIN" and passwords.verify_password(PASSWORD, user.password_hash)


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_cli_asks_for_the_password_twice(cli_db: Session, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal())
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    assert staff_cli.cmd_create_admin(_args()) == 2
    assert "different" in capsys.readouterr().err

    answers = iter([PASSWORD, PASSWORD])
    assert staff_cli.cmd_create_admin(_args()) == 0


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        ({"email": "not an email"}, PASSWORD, "valid email"),
        ({"first_name": " "}, PASSWORD, "first name"),
        ({"last_name": "x" * 151}, PASSWORD, "last name"),
        ({}, "too short", "at least 12"),
        ({}, None, "DASHBOARD_ADMIN_PASSWORD"),
    ],
)
def test_cli_refuses_bad_input_with_status_2(
    cli_db: Session, monkeypatch: pytest.MonkeyPatch, capsys, args: dict[str, str], password: str | None, message: str
) -> None:
    if password is not None:
        monkeypatch.setenv(staff_cli.PASSWORD_ENV, password)

    assert staff_cli.cmd_create_admin(_args(**args)) == 2

    assert message in capsys.readouterr().err
    assert cli_db.execute(sa.text("SELECT count(*) FROM users")).scalar() == 0


def test_cli_refuses_a_taken_email(cli_db: Session, password_hash: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    make_user(cli_db, password_hash, role="SUPPORT", email="first@example.com")
    monkeypatch.setenv(staff_cli.PASSWORD_ENV, PASSWORD)

    assert staff_cli.cmd_create_admin(_args()) == 2
    assert "already exists" in capsys.readouterr().err


def test_cli_parser_wiring() -> None:
    parser = argparse.ArgumentParser()
    staff_cli.register(parser.add_subparsers(dest="command"))

    args = parser.parse_args(["create-admin", "--email", "a@b.co", "--first-name", "A", "--last-name", "B"])

    assert args.func is staff_cli.cmd_create_admin and args.email == "a@b.co"
