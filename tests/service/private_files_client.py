"""Shared by the private-file route tests: a browser-like client of the plain-HTTP app that is mounted
in front of Reflex (``dashboard.web.app.build_auth_app``), signed-in officers, and the audit count."""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

with warnings.catch_warnings():  # starlette prefers httpx2; httpx (a Reflex dependency) works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from dashboard import models as m
from dashboard.core.session_cookie import SESSION_COOKIE
from dashboard.web.app import build_auth_app
from tests.ui.signin import open_session, staff_user


def client(token: str | None = None) -> TestClient:
    c = TestClient(build_auth_app(), base_url="http://localhost:3000")
    if token:
        c.cookies.set(SESSION_COOKIE, token)
    return c


def signed_in(session: Session, *roles: str) -> dict[str, str]:
    """One staff account per role, each with an open session: role -> session token."""
    return {role: open_session(session, staff_user(session, role))[0] for role in roles}


def views(engine: Engine, action: str, target_id: object = None) -> int:
    """How many views the audit log holds for ``action`` (on ``target_id`` when given)."""
    query = sa.select(sa.func.count()).select_from(m.ActivityLog).where(m.ActivityLog.action == action)
    if target_id is not None:
        query = query.where(m.ActivityLog.target_id == str(target_id))
    with Session(engine) as session:
        return session.execute(query).scalar_one()


def assert_served_privately(response, body: bytes, media_type: str) -> None:
    """The file came back whole, with its type, never cached and never sniffed."""
    assert response.status_code == 200 and response.content == body
    assert response.headers["content-type"] == media_type
    assert response.headers["cache-control"].startswith("no-store")
    assert response.headers["x-content-type-options"] == "nosniff"
