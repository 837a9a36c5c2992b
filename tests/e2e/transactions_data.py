"""Rows for the transaction-queue browser tests (tests/e2e/test_transactions.py), committed once per
test session into the e2e database: a second treasurer (maker-checker), customers with portfolios, and
pending items for each flow. Every customer is new, so the flows can find their rows by e-mail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from passlib.hash import bcrypt_sha256
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from dashboard.db import make_engine
from dashboard.models import Portfolio, Settings, Transaction, User
from tests.e2e.accounts import PASSWORD

SECOND_TREASURER = "treasurer2@e2e.test"


@dataclass
class TxData:
    deposit: str = ""
    deposit_ref: str = ""
    withdrawal: str = ""
    withdrawal_ref: str = ""
    bulk_email: str = ""
    bulk_refs: list[str] = field(default_factory=list)
    big: str = ""
    big_ref: str = ""
    customer_email: str = ""


def _customer(session: Session, tag: str, cash: str) -> User:
    user = User(email=f"{tag}-{uuid.uuid4().hex[:6]}@customers.e2e.test", first_name="Ama", last_name=tag.title(),
                role="CUSTOMER", platform="VIP", account_type="STOCK", kyc_status="APPROVED")
    session.add(user)
    session.flush()
    session.add(Portfolio(user_id=user.id, cash_value=Decimal(cash), total_value=Decimal(cash)))
    return user


def _tx(session: Session, user: User, kind: str, amount: str, minutes_ago: int, **extra: object) -> Transaction:
    row = Transaction(user_id=user.id, reference=f"TX-E2E-{uuid.uuid4().hex[:8].upper()}", transaction_type=kind,
                      amount=Decimal(amount), currency="USD", amount_usd=Decimal(amount),
                      method="WIRE_TRANSFER" if kind == "DEPOSIT" else "ACH",
                      created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago), **extra)
    session.add(row)
    session.flush()
    return row


def insert_transactions_data(session: Session) -> TxData:
    session.add(User(email=SECOND_TREASURER, first_name="Second", last_name="Treasurer", role="TREASURER",
                     platform="STAFF", password_hash=bcrypt_sha256.using(rounds=4).hash(PASSWORD)))
    settings = session.get(Settings, 1) or Settings(id=1)
    settings.second_approval_threshold_usd = Decimal("10000")
    session.add(settings)
    main = _customer(session, "kwame", "20000.00")
    bulk = _customer(session, "bulk", "0")
    data = TxData(customer_email=main.email, bulk_email=bulk.email)
    dep = _tx(session, main, "DEPOSIT", "1500.00", 300, bank_reference="BANK-E2E-1")
    wd = _tx(session, main, "WITHDRAWAL", "700.00", 200)
    big = _tx(session, main, "WITHDRAWAL", "12500.00", 100)
    data.deposit, data.deposit_ref = str(dep.id), dep.reference
    data.withdrawal, data.withdrawal_ref = str(wd.id), wd.reference
    data.big, data.big_ref = str(big.id), big.reference
    for i, amount in enumerate(("100.00", "250.00", "400.00")):
        data.bulk_refs.append(_tx(session, bulk, "DEPOSIT", amount, 90 - i).reference)
    session.flush()
    return data


@pytest.fixture(scope="session")
def tx_data(e2e_db_url: str) -> TxData:
    engine = make_engine(e2e_db_url, poolclass=NullPool)
    try:
        with Session(engine, expire_on_commit=False) as session:
            data = insert_transactions_data(session)
            session.commit()
    finally:
        engine.dispose()
    return data


def status_of(e2e_db_url: str, reference: str) -> str:
    import sqlalchemy as sa

    engine = make_engine(e2e_db_url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            return session.execute(sa.select(Transaction.status).where(Transaction.reference == reference)).scalar_one()
    finally:
        engine.dispose()
