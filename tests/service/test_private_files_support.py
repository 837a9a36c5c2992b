"""The ticket-attachment route (``/_private/support/attachments/{message_id}``), through the same
Starlette app that is mounted in front of Reflex (``dashboard.web.app.build_auth_app``)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import models as m
from dashboard.core import storage
from tests import factories
from tests.service.private_files_client import assert_served_privately, client, signed_in, views

VIEWED = "support.attachment_viewed"  # the audited action of one view
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
        tokens = signed_in(session, "SUPPORT", "ADMIN", "COMPLIANCE", "TREASURER", "MANAGER")
        customer = factories.user(session)
        ticket = m.SupportTicket(user_id=customer.id, subject="Screenshot attached")
        session.add(ticket)
        session.flush()
        storage.write(f"support/{ticket.id}/screenshot.jpg", JPEG)
        storage.write(f"support/{ticket.id}/page.html", b"<script>alert(1)</script>")
        storage.write(f"support/{ticket.id}/notes.txt", b"plain notes")
        ids = {
            "ok": _message(session, ticket, f"support/{ticket.id}/screenshot.jpg"),
            "missing": _message(session, ticket, f"support/{ticket.id}/gone.jpg"),
            "html": _message(session, ticket, f"support/{ticket.id}/page.html", "page.html"),
            "none": _message(session, ticket, None),
            "text": _message(session, ticket, f"support/{ticket.id}/notes.txt", "notes.txt"),
        }
        session.commit()
        return {"tokens": tokens, "engine": app_engine, **ids}


@pytest.mark.parametrize("role", ["SUPPORT", "ADMIN"])
def test_support_staff_get_the_attachment_and_it_is_audited(setup: dict, role: str) -> None:
    response = client(setup["tokens"][role]).get(f"/_private/support/attachments/{setup['ok']}")
    assert_served_privately(response, JPEG, "image/jpeg")
    assert "sandbox" in response.headers["content-security-policy"]
    assert views(setup["engine"], VIEWED) == 1


def test_a_type_that_is_not_shown_inline_comes_as_a_download(setup: dict) -> None:
    response = client(setup["tokens"]["SUPPORT"]).get(f"/_private/support/attachments/{setup['text']}")
    assert response.status_code == 200 and response.content == b"plain notes"
    assert response.headers["content-disposition"] == 'attachment; filename="notes.txt"'
    assert "sandbox" in response.headers["content-security-policy"]
    assert views(setup["engine"], VIEWED) == 1
    ok = client(setup["tokens"]["SUPPORT"]).get(f"/_private/support/attachments/{setup['ok']}")
    assert ok.headers["content-disposition"] == 'inline; filename="screenshot.jpg"'


def test_without_a_session_or_the_permission_nothing_is_served(setup: dict) -> None:
    url = f"/_private/support/attachments/{setup['ok']}"
    assert client().get(url).status_code == 401
    assert client("x" * 43).get(url).status_code == 401
    for role in ("COMPLIANCE", "TREASURER", "MANAGER"):
        response = client(setup["tokens"][role]).get(url)
        assert response.status_code == 403 and JPEG not in response.content
    assert views(setup["engine"], VIEWED) == 0


@pytest.mark.parametrize("which", ["not-a-uuid", "random", "missing", "html", "none", "..%2F..%2Fetc%2Fpasswd"])
def test_unknown_messages_missing_files_and_unserved_types_are_404(setup: dict, which: str) -> None:
    target = {"random": str(uuid.uuid4())}.get(which, setup.get(which, which))
    response = client(setup["tokens"]["SUPPORT"]).get(f"/_private/support/attachments/{target}")
    assert response.status_code == 404 and b"<script>" not in response.content
    if "%2F" not in which:  # the router itself refuses an encoded path before the handler runs
        assert response.headers["cache-control"].startswith("no-store")
    assert views(setup["engine"], VIEWED) == 0
