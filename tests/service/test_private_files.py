"""The authorised KYC document route (``GET /_private/kyc/{document_id}``), through the same Starlette
app that is mounted in front of Reflex (``web_auth.build_auth_app``)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from dashboard import models as m
from dashboard.core import storage
from dashboard.ui.auth_state import SESSION_COOKIE
from dashboard.web_auth import build_auth_app
from tests import factories
from tests.ui.signin import open_session, staff_user

JPEG = b"\xff\xd8\xff\xe0" + b"fake-jpeg-body" * 10


@pytest.fixture
def setup(app_engine: Engine, private_dir: Path) -> dict:
    with Session(app_engine, expire_on_commit=False) as session:
        tokens = {}
        for role in ("COMPLIANCE", "ADMIN", "TREASURER"):
            user = staff_user(session, role)
            tokens[role], _ = open_session(session, user)
        customer = factories.user(session)
        case = factories.verification(session, customer)
        key = f"kyc/{customer.id}/{case.id}/id_front.jpg"
        storage.write(key, JPEG)
        doc = m.KycDocument(user_id=customer.id, verification_id=case.id, document_type="ID_FRONT", storage_key=key,
                            file_name="IMG_1.jpg", file_size=len(JPEG), mime_type="image/jpeg")
        missing = m.KycDocument(user_id=customer.id, verification_id=case.id, document_type="SELFIE",
                                storage_key=f"kyc/{customer.id}/{case.id}/selfie.jpg", file_name="selfie.jpg",
                                file_size=10, mime_type="image/jpeg")
        session.add_all([doc, missing])
        session.commit()
        return {"tokens": tokens, "doc": doc.id, "missing": missing.id, "engine": app_engine}


def client(token: str | None = None) -> TestClient:
    c = TestClient(build_auth_app(), base_url="http://localhost:3000")
    if token:
        c.cookies.set(SESSION_COOKIE, token)
    return c


def views(engine: Engine, doc_id: uuid.UUID) -> int:
    with Session(engine) as session:
        return session.execute(sa.select(sa.func.count()).select_from(m.ActivityLog).where(
            m.ActivityLog.action == "kyc.document_viewed", m.ActivityLog.target_id == str(doc_id))).scalar_one()


def test_a_compliance_officer_gets_the_bytes_and_the_view_is_audited(setup: dict) -> None:
    response = client(setup["tokens"]["COMPLIANCE"]).get(f"/_private/kyc/{setup['doc']}")
    assert response.status_code == 200
    assert response.content == JPEG
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"].startswith("no-store")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("inline")
    assert views(setup["engine"], setup["doc"]) == 1


def test_anonymous_gets_401_and_nothing_is_audited(setup: dict) -> None:
    response = client().get(f"/_private/kyc/{setup['doc']}")
    assert response.status_code == 401
    assert JPEG not in response.content
    assert response.headers["cache-control"].startswith("no-store")
    assert client("x" * 40).get(f"/_private/kyc/{setup['doc']}").status_code == 401  # unknown token
    assert views(setup["engine"], setup["doc"]) == 0


@pytest.mark.parametrize("role", ["ADMIN", "TREASURER"])
def test_a_role_without_the_permission_gets_403(setup: dict, role: str) -> None:
    response = client(setup["tokens"][role]).get(f"/_private/kyc/{setup['doc']}")
    assert response.status_code == 403
    assert JPEG not in response.content
    assert views(setup["engine"], setup["doc"]) == 0


def test_unknown_or_missing_documents_are_404(setup: dict) -> None:
    c = client(setup["tokens"]["COMPLIANCE"])
    assert c.get(f"/_private/kyc/{uuid.uuid4()}").status_code == 404
    assert c.get(f"/_private/kyc/{setup['missing']}").status_code == 404  # row without a file
    assert c.get("/_private/kyc/not-a-uuid").status_code == 404


@pytest.mark.parametrize("path", [
    "/_private/kyc/..%2F..%2Fetc%2Fpasswd",
    "/_private/kyc/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/_private/kyc/../../etc/passwd",
    "/_private/kyc/kyc%2Fpool%2F01-id_front.jpg",
])
def test_path_traversal_is_impossible(setup: dict, path: str) -> None:
    response = client(setup["tokens"]["COMPLIANCE"]).get(path)
    assert response.status_code == 404
    assert b"root:" not in response.content


def test_a_tampered_storage_key_is_never_served(setup: dict, private_dir: Path) -> None:
    """Even a row whose key escapes the folder (the CHECK constraint forbids it; here it is bypassed by
    rewriting the key to an absolute-looking one) answers 404, never the outside file."""
    outside = private_dir.parent / "secret.txt"
    outside.write_text("secret")
    with Session(setup["engine"]) as session:
        session.execute(sa.text("ALTER TABLE kyc_documents DROP CONSTRAINT ck_kyc_documents_storage_key_relative"))
        session.execute(sa.update(m.KycDocument).where(m.KycDocument.id == setup["doc"])
                        .values(storage_key="kyc/../../secret.txt"))
        session.commit()
    response = client(setup["tokens"]["COMPLIANCE"]).get(f"/_private/kyc/{setup['doc']}")
    assert response.status_code == 404
    assert b"secret" not in response.content
