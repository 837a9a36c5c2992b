"""The payment-proof routes (``/_private/proofs/gift-card/{id}``, ``/_private/proofs/transaction/{id}``),
through the same Starlette app that is mounted in front of Reflex (``dashboard.web.app.build_auth_app``)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import models as m
from dashboard.core import storage
from tests import factories
from tests.service.private_files_client import assert_served_privately, client, signed_in, views

VIEWED = "transactions.proof_viewed"  # the audited action of one view
PNG = b"\x89PNG\r\n\x1a\n" + b"fake-png-body" * 10


@pytest.fixture
def setup(app_engine: Engine, private_dir: Path) -> dict:
    with Session(app_engine, expire_on_commit=False) as session:
        tokens = signed_in(session, "TREASURER", "ADMIN", "COMPLIANCE", "SUPPORT")
        customer = factories.user(session)
        card = m.GiftCard(name="Amazon 100", brand="Amazon", rate_buy=Decimal("10"), rate_sell=Decimal("11"))
        session.add(card)
        session.flush()
        key = f"giftcards/{customer.id}/proof.png"
        storage.write(key, PNG)
        order = m.GiftCardOrder(user_id=customer.id, card_id=card.id, reference="GC-PROOF-1", amount=Decimal("100"),
                                rate=Decimal("10"), payout_cedis=Decimal("1000"), proof_image_key=key)
        missing = m.GiftCardOrder(user_id=customer.id, card_id=card.id, reference="GC-PROOF-2", amount=Decimal("100"),
                                  rate=Decimal("10"), payout_cedis=Decimal("1000"), proof_image_key="giftcards/none.png")
        evil = m.GiftCardOrder(user_id=customer.id, card_id=card.id, reference="GC-PROOF-3", amount=Decimal("100"),
                               rate=Decimal("10"), payout_cedis=Decimal("1000"), proof_image_key="../../etc/passwd.png")
        storage.write("receipts/r1.png", PNG)
        tx = factories.transaction(session, customer, receipt_key="receipts/r1.png")
        no_receipt = factories.transaction(session, customer)
        session.add_all([order, missing, evil])
        session.commit()
        return {"tokens": tokens, "order": order.id, "missing": missing.id, "evil": evil.id, "tx": tx.id,
                "no_receipt": no_receipt.id, "engine": app_engine}


@pytest.mark.parametrize("role", ["TREASURER", "ADMIN"])
def test_an_officer_with_the_view_permission_gets_the_proof_and_it_is_audited(setup: dict, role: str) -> None:
    response = client(setup["tokens"][role]).get(f"/_private/proofs/gift-card/{setup['order']}")
    assert_served_privately(response, PNG, "image/png")
    assert response.headers["content-disposition"] == 'inline; filename="GC-PROOF-1.png"'
    assert "sandbox" in response.headers["content-security-policy"]
    assert views(setup["engine"], VIEWED) == 1
    response = client(setup["tokens"][role]).get(f"/_private/proofs/transaction/{setup['tx']}")
    assert response.status_code == 200 and response.content == PNG
    assert views(setup["engine"], VIEWED) == 2


def test_without_a_session_or_the_permission_nothing_is_served(setup: dict) -> None:
    url = f"/_private/proofs/gift-card/{setup['order']}"
    assert client().get(url).status_code == 401
    assert client("x" * 43).get(url).status_code == 401
    for role in ("COMPLIANCE", "SUPPORT"):
        response = client(setup["tokens"][role]).get(url)
        assert response.status_code == 403 and PNG not in response.content
    assert views(setup["engine"], VIEWED) == 0


@pytest.mark.parametrize("path", [
    "/_private/proofs/gift-card/not-a-uuid", "/_private/proofs/gift-card/{uuid}", "/_private/proofs/gift-card/{missing}",
    "/_private/proofs/gift-card/{evil}", "/_private/proofs/transaction/{no_receipt}",
    "/_private/proofs/transaction/{order}",
])
def test_unknown_items_missing_files_and_bad_keys_are_404(setup: dict, path: str) -> None:
    url = path.format(uuid=uuid.uuid4(), **{k: setup[k] for k in ("missing", "evil", "no_receipt", "order")})
    response = client(setup["tokens"]["TREASURER"]).get(url)
    assert response.status_code == 404 and response.headers["cache-control"].startswith("no-store")
    assert views(setup["engine"], VIEWED) == 0
