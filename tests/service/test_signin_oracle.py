"""Issue 12, finding 3 and part of 7: the sign-in page is no oracle on customer accounts, attempts are
throttled per address and per e-mail without writing to customer rows, failed attempts on unknown
accounts are aggregated in the audit log, and password hashing runs in a bounded pool."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
import warnings
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from passlib.hash import bcrypt_sha256
from sqlalchemy import Engine
from sqlmodel import Session, select

from dashboard import db as dashboard_db
from dashboard import models as m
from dashboard.auth import passwords, rules, signin
from dashboard.auth.sessions import resolve_session
from dashboard.config import get_settings
from dashboard.web.app import build_auth_app
from tests import factories
from tests.conftest import Clock

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "oracle-test-password-1"
WRONG = "not-the-password-99"
ORIGIN = "http://localhost:3000"
LOW_COST = bcrypt_sha256.using(rounds=4).hash(PASSWORD)
KINDS = ("staff", "customer", "customer_without_password", "unknown")


@pytest.fixture(autouse=True)
def cheap_dummy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dummy hash at test cost (a cost-12 check per attempt would make these tests slow)."""
    dummy = bcrypt_sha256.using(rounds=4).hash("dummy-password-for-tests")
    monkeypatch.setattr(signin, "_dummy_hash", lambda: dummy)
    monkeypatch.setattr(passwords, "needs_rehash", lambda _hash: False)


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch):
    settings = get_settings()

    def set_limits(*, per_address: int = 1000, per_email: int = 1000, minutes: int = 15) -> None:
        monkeypatch.setattr(settings, "signin_max_per_address", per_address, raising=False)
        monkeypatch.setattr(settings, "signin_max_per_email", per_email, raising=False)
        monkeypatch.setattr(settings, "signin_window_minutes", minutes, raising=False)

    return set_limits


@pytest.fixture
def accounts(app_engine: Engine) -> dict[str, str]:
    """kind -> e-mail, committed in the app's database."""
    with Session(app_engine) as s, s.begin():
        staff = factories.user(s, role="SUPPORT", password_hash=LOW_COST)
        customer = factories.user(s, password_hash=LOW_COST)
        bare = factories.user(s, password_hash=None)
        inactive = factories.user(s, password_hash=LOW_COST, is_active=False)
        member = factories.user(s, password_hash=LOW_COST)
        factories.membership(s, factories.group(s), member, role="MEMBER")
        officer = factories.user(s, password_hash=LOW_COST)
        factories.membership(s, factories.group(s), officer, role="OWNER")
        return {"staff": staff.email, "customer": customer.email, "customer_without_password": bare.email,
                "deactivated_customer": inactive.email, "plain_member": member.email,
                "officer": officer.email, "unknown": f"nobody-{uuid.uuid4().hex[:8]}@example.com"}


@pytest.fixture
def client_at(app_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    monkeypatch.setattr(get_settings(), "allowed_origin", ORIGIN)
    opened: list[TestClient] = []

    def make(address: str = "203.0.113.10") -> TestClient:
        client = TestClient(build_auth_app(), base_url=ORIGIN, follow_redirects=False, client=(address, 50000))
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


def post_login(client: TestClient, email: str, password: str):
    return client.post("/_auth/login", data={"email": email, "password": password, "next": "/"},
                       headers={"origin": ORIGIN})


def answer(response) -> tuple:
    """Everything a browser sees of a sign-in answer."""
    return (response.status_code, response.headers.get("location"), response.content,
            response.headers.get("set-cookie"), tuple(sorted(response.headers.keys())))


def user_row(engine: Engine, email: str) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT row_to_json(u)::text FROM users u WHERE email = :e"), {"e": email}).scalar()


def audit_rows(engine: Engine, action: str) -> list[m.ActivityLog]:
    with Session(engine) as s:
        return list(s.exec(select(m.ActivityLog).where(m.ActivityLog.action == action).order_by(m.ActivityLog.seq)))


# --- one answer for every account that is not a back-office user ----------------------------------
def test_every_non_staff_outcome_answers_like_an_unknown_email(accounts, client_at, limits) -> None:
    limits()
    client = client_at()
    unknown = answer(post_login(client, accounts["unknown"], WRONG))
    assert unknown[0] == 303 and unknown[1] == "/login?error=invalid&next=%2F" and unknown[3] is None

    answers = {
        "staff, wrong password": post_login(client, accounts["staff"], WRONG),
        "customer, wrong password": post_login(client, accounts["customer"], WRONG),
        "customer, right password": post_login(client, accounts["customer"], PASSWORD),
        "customer without a password": post_login(client, accounts["customer_without_password"], PASSWORD),
        "deactivated customer, right password": post_login(client, accounts["deactivated_customer"], PASSWORD),
        "plain group member, right password": post_login(client, accounts["plain_member"], PASSWORD),
    }
    for what, response in answers.items():
        assert answer(response) == unknown, what


def test_a_customer_row_is_never_written_by_sign_in_attempts(accounts, client_at, limits, app_engine) -> None:
    limits()
    client = client_at()
    before = {kind: user_row(app_engine, accounts[kind]) for kind in ("customer", "customer_without_password",
                                                                       "deactivated_customer")}
    for n in range(10):
        for kind in before:
            post_login(client, accounts[kind], WRONG if n % 2 else PASSWORD)
    after = {kind: user_row(app_engine, accounts[kind]) for kind in before}
    assert after == before
    assert json.loads(after["customer"])["failed_login_attempts"] == 0
    assert json.loads(after["customer"])["locked_until"] is None


def test_non_staff_accounts_cost_one_check_against_the_dummy_hash(db: Session, clock: Clock, monkeypatch) -> None:
    """Same work as an unknown e-mail: one verification, against the dummy hash, whatever the row holds."""
    customer = factories.user(db, password_hash=LOW_COST)
    bare = factories.user(db, password_hash=None)
    inactive = factories.user(db, password_hash=LOW_COST, is_active=False)
    checked: list[str | None] = []
    real = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda p, h: checked.append(h) or real(p, h))

    for email in (customer.email, bare.email, inactive.email, "nobody-at-all@example.com"):
        checked.clear()
        with pytest.raises(rules.NotAuthenticated) as refused:
            signin.sign_in(db, email=email, password=PASSWORD)
        assert str(refused.value) == rules.BAD_CREDENTIALS, email
        assert checked == [signin._dummy_hash()], email


def test_group_officers_keep_the_normal_path(accounts, client_at, limits, app_engine) -> None:
    limits()
    client = client_at()
    post_login(client, accounts["officer"], WRONG)
    assert json.loads(user_row(app_engine, accounts["officer"]))["failed_login_attempts"] == 1
    response = post_login(client, accounts["officer"], PASSWORD)
    assert response.headers["set-cookie"].startswith("bo_session=")


# --- the throttle ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_the_throttle_refuses_the_attempt_after_the_limit_from_one_address(
    accounts, client_at, limits, clock: Clock, kind: str
) -> None:
    limits(per_address=3)
    client = client_at(f"198.51.100.{KINDS.index(kind) + 1}")
    for n in range(3):
        first = post_login(client, accounts[kind], WRONG)
        assert "error=invalid" in first.headers["location"]
    refused = post_login(client, accounts[kind], PASSWORD)
    assert refused.headers["location"] == "/login?error=locked&next=%2F" and "set-cookie" not in refused.headers
    # Another address is not affected.
    other = client_at("192.0.2.200")
    assert "error=invalid" in post_login(other, accounts[kind], WRONG).headers["location"]

    clock.advance(minutes=15)
    again = post_login(client, accounts[kind], PASSWORD if kind == "staff" else WRONG)
    if kind == "staff":
        assert again.headers["set-cookie"].startswith("bo_session=")
    else:
        assert "error=invalid" in again.headers["location"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_throttle_refuses_the_attempt_after_the_limit_for_one_email(
    accounts, client_at, limits, clock: Clock, kind: str
) -> None:
    limits(per_email=3)
    for n in range(3):
        response = post_login(client_at(f"198.51.100.{10 + n}"), accounts[kind], WRONG)
        assert "error=invalid" in response.headers["location"]
    refused = post_login(client_at("198.51.100.20"), accounts[kind], PASSWORD)
    assert refused.headers["location"] == "/login?error=locked&next=%2F" and "set-cookie" not in refused.headers

    clock.advance(minutes=15)
    again = post_login(client_at("198.51.100.21"), accounts[kind], PASSWORD if kind == "staff" else WRONG)
    if kind == "staff":
        assert again.headers["set-cookie"].startswith("bo_session=")
    else:
        assert "error=invalid" in again.headers["location"]


def test_the_throttled_answer_is_the_same_for_every_kind_of_account(accounts, client_at, limits) -> None:
    limits(per_email=1)
    answers = set()
    for n, kind in enumerate(KINDS):
        client = client_at(f"198.51.100.{30 + n}")
        post_login(client, accounts[kind], WRONG)
        answers.add(answer(post_login(client, accounts[kind], PASSWORD)))
    [only] = answers
    assert only[1] == "/login?error=locked&next=%2F"


def test_the_throttle_writes_nothing_to_user_rows(accounts, client_at, limits, app_engine) -> None:
    limits(per_email=2)
    before = user_row(app_engine, accounts["customer"])
    for _ in range(6):
        post_login(client_at(), accounts["customer"], WRONG)
    assert user_row(app_engine, accounts["customer"]) == before


# --- the audit log --------------------------------------------------------------------------------
def test_failed_attempts_on_unknown_accounts_are_aggregated(accounts, client_at, limits, app_engine) -> None:
    limits()
    client = client_at()
    for n in range(12):
        post_login(client, f"nobody-{n}@example.com", WRONG)
        post_login(client, accounts["customer"], WRONG)
    for _ in range(3):
        post_login(client, accounts["staff"], WRONG)

    failed = audit_rows(app_engine, "auth.sign_in_failed")
    staff = [e for e in failed if e.details.get("email") == accounts["staff"]]
    others = [e for e in failed if e.details.get("email") != accounts["staff"]]
    assert [e.details["reason"] for e in staff] == ["wrong_password"] * 3  # real staff accounts: one row each
    assert 1 <= len(others) <= 2  # 24 attempts on unknown/customer accounts: a summary, not a row each
    assert max(e.details["failures_in_window"] for e in others) >= 10


# --- bounded password hashing ---------------------------------------------------------------------
def test_a_flood_of_bad_sign_ins_does_not_starve_a_signed_in_officer(accounts, client_at, limits, monkeypatch) -> None:
    limits()
    token = post_login(client_at(), accounts["staff"], PASSWORD).cookies["bo_session"]
    release = threading.Event()
    lock = threading.Lock()
    running = {"now": 0, "peak": 0}
    real = passwords.verify_password
    pool_full = threading.Event()  # set by the checks themselves once both pool workers are busy

    def held_verify(password: str, password_hash: str | None) -> bool:
        with lock:
            running["now"] += 1
            running["peak"] = max(running["peak"], running["now"])
            if running["now"] >= 2:
                pool_full.set()
        release.wait(20)
        with lock:
            running["now"] -= 1
        return real(password, password_hash)

    monkeypatch.setattr(passwords, "verify_password", held_verify)

    async def scenario() -> tuple[bool, int]:
        transport = httpx.ASGITransport(app=build_auth_app(), client=("203.0.113.99", 1234))
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as http:
            flood = [asyncio.create_task(http.post("/_auth/login", headers={"origin": ORIGIN},
                                                   data={"email": f"bad-{n}@example.com", "password": WRONG}))
                     for n in range(40)]
            # wait (bounded) until the flood holds both password-check workers
            assert await asyncio.to_thread(pool_full.wait, 20), "the flood never reached the password checks"
            try:
                actor = await asyncio.wait_for(dashboard_db.run_db(resolve_session, token=token), timeout=5)
                served = actor.email == accounts["staff"]
            except TimeoutError:
                served = False
            peak = running["peak"]
            release.set()
            await asyncio.gather(*flood)
            return served, peak

    try:
        served, peak = asyncio.run(scenario())
    finally:
        release.set()
    assert served, "the officer's request waited behind the sign-in flood"
    assert peak <= passwords.HASHING_WORKERS == 2
