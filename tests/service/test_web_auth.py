"""The plain-HTTP sign-in endpoints: cookie flags, origin check, redirects that cannot leave the site."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from passlib.hash import bcrypt_sha256
from sqlalchemy import Engine
from sqlmodel import select
from sqlmodel import Session
import warnings

with warnings.catch_warnings():  # starlette prefers httpx2; httpx (a Reflex dependency) works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from dashboard import db as dashboard_db
from dashboard.config import get_settings
from dashboard.models import ActiveSession, ActivityLog, User
from dashboard.web.app import build_auth_app

PASSWORD = "web-auth-password-1"
ORIGIN = "http://localhost:3000"


@pytest.fixture
def client(fresh_engine: Engine, monkeypatch) -> Iterator[TestClient]:
    previous = dashboard_db._engine
    dashboard_db.set_engine(fresh_engine)
    monkeypatch.setattr(get_settings(), "allowed_origin", ORIGIN)
    with TestClient(build_auth_app(), base_url="http://localhost:3000", follow_redirects=False) as c:
        yield c
    dashboard_db.set_engine(previous)


@pytest.fixture
def support_agent(fresh_engine: Engine) -> User:
    with Session(fresh_engine, expire_on_commit=False) as s:
        user = User(
            email=f"agent-{uuid.uuid4().hex[:6]}@web.test", first_name="Sam", last_name="Agent", role="SUPPORT",
            platform="STAFF", password_hash=bcrypt_sha256.using(rounds=4).hash(PASSWORD),
        )
        s.add(user)
        s.commit()
        return user


def _login(client: TestClient, email: str, password: str, origin: str | None = ORIGIN, next_path: str = "/"):
    headers = {"origin": origin} if origin else {}
    return client.post("/_auth/login", data={"email": email, "password": password, "next": next_path}, headers=headers)


def test_sign_in_sets_an_http_only_strict_cookie_and_redirects(client, support_agent, fresh_engine):
    response = _login(client, support_agent.email, PASSWORD, next_path="/support")
    assert response.status_code == 303
    assert response.headers["location"] == "/support"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("bo_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    with Session(fresh_engine) as s:
        rows = s.exec(select(ActiveSession.token_hash).where(ActiveSession.user_id == support_agent.id)).all()
    assert len(rows) == 1 and token not in rows[0]  # only the hash is stored


def test_wrong_password_redirects_with_a_code_and_sets_no_cookie(client, support_agent):
    response = _login(client, support_agent.email, "wrong-password-12")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?error=invalid")
    assert "set-cookie" not in response.headers


def test_a_cross_site_post_is_refused_before_any_check(client, support_agent, fresh_engine):
    response = _login(client, support_agent.email, PASSWORD, origin="https://evil.example")
    assert response.headers["location"].startswith("/login?error=origin")
    assert "set-cookie" not in response.headers
    with Session(fresh_engine) as s:  # not even a failed attempt was recorded
        assert s.exec(select(ActivityLog).where(ActivityLog.actor_id == support_agent.id)).all() == []


def test_a_post_without_origin_or_referer_is_refused(client, support_agent):
    response = _login(client, support_agent.email, PASSWORD, origin=None)
    assert response.headers["location"].startswith("/login?error=origin")


def test_sign_out_revokes_the_session_and_clears_the_cookie(client, support_agent, fresh_engine):
    token = _login(client, support_agent.email, PASSWORD).headers["set-cookie"].split(";")[0].split("=", 1)[1]
    client.cookies.set("bo_session", token)
    response = client.post("/_auth/logout", headers={"origin": ORIGIN})
    assert response.headers["location"].startswith("/login?error=signed_out")
    assert 'bo_session=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    with Session(fresh_engine) as s:
        assert s.exec(select(ActiveSession.revoked).where(ActiveSession.user_id == support_agent.id)).one() is True


def test_an_oversized_form_is_refused(client, support_agent):
    response = client.post(
        "/_auth/login", content=b"email=" + b"a" * 20000, headers={"origin": ORIGIN,
                                                                  "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.headers["location"].startswith("/login?error=input")


def test_in_development_the_redirect_names_the_dashboard_origin(fresh_engine, support_agent, monkeypatch):
    """Dev: the backend (port 8000) answers the form post; the browser must go back to the pages
    (port 3000), not stay on the backend."""
    previous = dashboard_db._engine
    dashboard_db.set_engine(fresh_engine)
    monkeypatch.setattr(get_settings(), "allowed_origin", ORIGIN)
    try:
        with TestClient(build_auth_app(), base_url="http://localhost:8000", follow_redirects=False) as c:
            response = _login(c, support_agent.email, PASSWORD, next_path="/support")
    finally:
        dashboard_db.set_engine(previous)
    assert response.headers["location"] == ORIGIN + "/support"


def test_an_origin_matching_a_forged_host_is_refused(client, support_agent):
    """Issue 12, finding 8: the Origin must be the configured origin, not whatever Host the client sent."""
    response = client.post("/_auth/login", data={"email": support_agent.email, "password": PASSWORD},
                           headers={"origin": "http://evil.example", "host": "evil.example"})
    assert response.headers["location"].endswith("/login?error=origin")
    assert "set-cookie" not in response.headers
