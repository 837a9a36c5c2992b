"""The authorised KYC document route (``GET /_private/kyc/{document_id}``), through the same Starlette
app that is mounted in front of Reflex (``dashboard.web.app.build_auth_app``)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import models as m
from dashboard.core import storage
from tests import factories
from tests.service.private_files_client import assert_served_privately, client, signed_in, views

VIEWED = "kyc.document_viewed"  # the audited action of one view
JPEG = b"\xff\xd8\xff\xe0" + b"fake-jpeg-body" * 10
PDF = b"%PDF-1.4\n" + b"fake-pdf-body" * 10


@pytest.fixture
def setup(app_engine: Engine, private_dir: Path) -> dict:
    with Session(app_engine, expire_on_commit=False) as session:
        tokens = signed_in(session, "COMPLIANCE", "ADMIN", "TREASURER")
        customer = factories.user(session)
        case = factories.verification(session, customer)
        key = f"kyc/{customer.id}/{case.id}/id_front.jpg"
        storage.write(key, JPEG)
        doc = m.KycDocument(user_id=customer.id, verification_id=case.id, document_type="ID_FRONT", storage_key=key,
                            file_name="IMG_1.jpg", file_size=len(JPEG), mime_type="image/jpeg")
        missing = m.KycDocument(user_id=customer.id, verification_id=case.id, document_type="SELFIE",
                                storage_key=f"kyc/{customer.id}/{case.id}/selfie.jpg", file_name="selfie.jpg",
                                file_size=10, mime_type="image/jpeg")
        pdf_key = f"kyc/{customer.id}/{case.id}/address.pdf"
        storage.write(pdf_key, PDF)
        pdf = m.KycDocument(user_id=customer.id, verification_id=case.id, document_type="PROOF_OF_ADDRESS",
                            storage_key=pdf_key, file_name='bill "May".pdf', file_size=len(PDF),
                            mime_type="application/pdf")
        session.add_all([doc, missing, pdf])
        session.commit()
        return {"tokens": tokens, "doc": doc.id, "missing": missing.id, "pdf": pdf.id, "engine": app_engine}


def test_a_compliance_officer_gets_the_bytes_and_the_view_is_audited(setup: dict) -> None:
    response = client(setup["tokens"]["COMPLIANCE"]).get(f"/_private/kyc/{setup['doc']}")
    assert_served_privately(response, JPEG, "image/jpeg")
    assert response.headers["content-disposition"].startswith("inline")
    assert views(setup["engine"], VIEWED, setup["doc"]) == 1


def test_images_are_sandboxed_but_pdfs_are_not_and_the_file_name_is_stripped(setup: dict) -> None:
    c = client(setup["tokens"]["COMPLIANCE"])
    image = c.get(f"/_private/kyc/{setup['doc']}")
    assert "sandbox" in image.headers["content-security-policy"]
    assert image.headers["content-disposition"] == 'inline; filename="IMG_1.jpg"'
    pdf = c.get(f"/_private/kyc/{setup['pdf']}")
    assert_served_privately(pdf, PDF, "application/pdf")
    assert "sandbox" not in pdf.headers["content-security-policy"]
    assert pdf.headers["content-security-policy"].startswith("default-src 'none'")
    assert pdf.headers["content-disposition"] == 'inline; filename="billMay.pdf"'


def test_anonymous_gets_401_and_nothing_is_audited(setup: dict) -> None:
    response = client().get(f"/_private/kyc/{setup['doc']}")
    assert response.status_code == 401
    assert JPEG not in response.content
    assert response.headers["cache-control"].startswith("no-store")
    assert client("x" * 40).get(f"/_private/kyc/{setup['doc']}").status_code == 401  # unknown token
    assert views(setup["engine"], VIEWED, setup["doc"]) == 0


@pytest.mark.parametrize("role", ["ADMIN", "TREASURER"])
def test_a_role_without_the_permission_gets_403(setup: dict, role: str) -> None:
    response = client(setup["tokens"][role]).get(f"/_private/kyc/{setup['doc']}")
    assert response.status_code == 403
    assert JPEG not in response.content
    assert views(setup["engine"], VIEWED, setup["doc"]) == 0


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
