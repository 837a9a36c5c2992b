"""The ticket-attachment route (``/_private/support/attachments/{message_id}``), served by a Starlette
app with exactly the routes ``support_routes()`` gives ``web_auth``."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard import models as m
from dashboard.core import storage
from dashboard.private_files_support import support_routes
from dashboard.ui.auth_state import SESSION_COOKIE
from tests import factories
from tests.ui.signin import open_session, staff_user

JPEG = b"\xff\xd8\xff\xe0" + b"fake-jpeg-body" * 10


def _message(session: Session, ticket: m.SupportTicket, key: str | None, name: str = "screenshot.jpg") -> uuid.UUID:
    msg = m.SupportMessage(ticket_id=ticket.id, sender_id=ticket.user_id, sender_role="CUSTOMER", message="see file",
                           attachment_key=key, attachment_name=name if key else None,
                           attachment_mime="image/jpeg" if key else None, attachment_size=len(JPEG) if key else None)
    session.add(msg)
    session.flush()
    return msg.id


@pytest.fixture
def setup(app_engine: Engine, private_dir: Path) -> dict:
    with Session(app_engine, expire_on_commit=False) as session:
        tokens = {}
        for role in ("SUPPORT", "ADMIN", "COMPLIANCE", "TREASURER", "MANAGER"):
            tokens[role], _ = open_session(session, staff_user(session, role))
        customer = factories.user(session)
        ticket = m.SupportTicket(user_id=customer.id, subject="Screenshot attached")
        session.add(ticket)
        session.flush()
        storage.write(f"support/{ticket.id}/screenshot.jpg", JPEG)
        storage.write(f"support/{ticket.id}/page.html", b"<script>alert(1)</script>")
        ids = {
            "ok": _message(session, ticket, f"support/{ticket.id}/screenshot.jpg"),
            "missing": _message(session, ticket, f"support/{ticket.id}/gone.jpg"),
            "html": _message(session, ticket, f"support/{ticket.id}/page.html", "page.html"),
            "none": _message(session, ticket, None),
        }
        session.commit()
        return {"tokens": tokens, "engine": app_engine, **ids}


def client(token: str | None = None) -> TestClient:
    c = TestClient(Starlette(routes=support_routes()), base_url="http://localhost:3000")
    if token:
        c.cookies.set(SESSION_COOKIE, token)
    return c


def views(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(sa.select(sa.func.count()).select_from(m.ActivityLog).where(
            m.ActivityLog.action == "support.attachment_viewed")).scalar_one()


@pytest.mark.parametrize("role", ["SUPPORT", "ADMIN"])
def test_support_staff_get_the_attachment_and_it_is_audited(setup: dict, role: str) -> None:
    response = client(setup["tokens"][role]).get(f"/_private/support/attachments/{setup['ok']}")
    assert response.status_code == 200 and response.content == JPEG
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"].startswith("no-store")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    assert views(setup["engine"]) == 1


def test_without_a_session_or_the_permission_nothing_is_served(setup: dict) -> None:
    url = f"/_private/support/attachments/{setup['ok']}"
    assert client().get(url).status_code == 401
    assert client("x" * 43).get(url).status_code == 401
    for role in ("COMPLIANCE", "TREASURER", "MANAGER"):
        response = client(setup["tokens"][role]).get(url)
        assert response.status_code == 403 and JPEG not in response.content
    assert views(setup["engine"]) == 0


@pytest.mark.parametrize("which", ["not-a-uuid", "random", "missing", "html", "none", "..%2F..%2Fetc%2Fpasswd"])
def test_unknown_messages_missing_files_and_unserved_types_are_404(setup: dict, which: str) -> None:
    target = {"random": str(uuid.uuid4())}.get(which, setup.get(which, which))
    response = client(setup["tokens"]["SUPPORT"]).get(f"/_private/support/attachments/{target}")
    assert response.status_code == 404 and b"<script>" not in response.content
    if "%2F" not in which:  # the router itself refuses an encoded path before the handler runs
        assert response.headers["cache-control"].startswith("no-store")
    assert views(setup["engine"]) == 0
