"""A little waiting work in every queue the overview counts, for the overview's tests (service, page
state and browser). Each queue also gets a row in a status that must NOT be counted."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import Session

from dashboard.models import (
    CryptoTransaction,
    GiftCard,
    GiftCardOrder,
    Group,
    KycVerification,
    SupportTicket,
    Transaction,
    User,
    WithdrawalRequest,
)

# What the overview must show after insert_waiting_work() on an empty database.
EXPECTED_COUNTS = {
    "kyc_waiting": 3,
    "transactions_pending": 2,
    "crypto_orders_pending": 2,
    "gift_card_orders_pending": 1,
    "tickets_open": 2,
    "group_withdrawals_pending": 1,
}


def _ref(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _user(session: Session, n: int) -> User:
    email = f"customer{n}-{uuid.uuid4().hex[:8]}@example.test"
    user = User(email=email, first_name="Test", last_name=f"Customer {n}")
    session.add(user)
    return user


def _kyc(user: User, status: str, attempt: int = 1, **extra: object) -> KycVerification:
    return KycVerification(
        user_id=user.id,
        attempt=attempt,
        status=status,
        document_type="PASSPORT",
        document_number=_ref("P"),
        first_name=user.first_name,
        last_name=user.last_name,
        date_of_birth=date(1990, 1, 1),
        address="1 Test Street",
        **extra,
    )


def _transaction(user: User, status: str, **extra: object) -> Transaction:
    return Transaction(
        user_id=user.id,
        reference=_ref("TX"),
        transaction_type="DEPOSIT",
        amount=Decimal("100.00"),
        currency="USD",
        amount_usd=Decimal("100.00"),
        method="WIRE_TRANSFER",
        status=status,
        **extra,
    )


def _crypto(user: User, status: str, **extra: object) -> CryptoTransaction:
    return CryptoTransaction(
        user_id=user.id,
        reference=_ref("CX"),
        type="BUY",
        cedis_amount=Decimal("500.00"),
        crypto_amount=Decimal("0.00050000"),
        rate=Decimal("1000000.00"),
        payment_method="MOMO",
        status=status,
        **extra,
    )


def insert_waiting_work(session: Session) -> dict[str, int]:
    """Insert the rows and flush; return the counts the overview must show (``EXPECTED_COUNTS``)."""
    now = datetime.now(UTC)
    users = [_user(session, n) for n in range(4)]
    session.flush()
    staff = users[3]

    session.add_all(
        [
            _kyc(users[0], "PENDING"),
            _kyc(users[1], "UNDER_REVIEW"),
            _kyc(users[2], "AWAITING_SECOND_REVIEW"),
            _kyc(users[0], "APPROVED", attempt=2),  # not counted
            _transaction(users[0], "PENDING"),
            _transaction(users[1], "AWAITING_SECOND_APPROVAL"),
            _transaction(users[2], "COMPLETED", processed_by=staff.id, processed_at=now),  # not counted
            _crypto(users[0], "PENDING"),
            _crypto(users[1], "AWAITING_SECOND_APPROVAL"),
            _crypto(users[2], "DECLINED", decline_reason="Rate expired", processed_by=staff.id, processed_at=now),
            SupportTicket(user_id=users[0].id, subject="Where is my deposit?", status="OPEN"),
            SupportTicket(user_id=users[1].id, subject="Cannot sign in", status="IN_PROGRESS"),
            SupportTicket(user_id=users[2].id, subject="Thanks", status="CLOSED", closed_at=now),  # not counted
        ]
    )
    card = GiftCard(name="Test card 100", brand="TestBrand", rate_buy=Decimal("10.50"), rate_sell=Decimal("11.00"))
    group = Group(name="Test savings group", created_by=users[0].id)
    session.add_all([card, group])
    session.flush()
    session.add_all(
        [
            GiftCardOrder(
                user_id=users[0].id,
                card_id=card.id,
                reference=_ref("GC"),
                amount=Decimal("100.00"),
                rate=Decimal("10.50"),
                payout_cedis=Decimal("1050.00"),
                proof_image_key="gift-cards/test/proof.png",
            ),
            GiftCardOrder(  # not counted
                user_id=users[1].id,
                card_id=card.id,
                reference=_ref("GC"),
                amount=Decimal("50.00"),
                rate=Decimal("10.50"),
                payout_cedis=Decimal("525.00"),
                proof_image_key="gift-cards/test/proof2.png",
                status="COMPLETED",
                processed_by=staff.id,
                processed_at=now,
            ),
            WithdrawalRequest(
                group_id=group.id, amount_kobo=500_000, beneficiary={"bank": "test"}, requested_by=users[0].id
            ),
            WithdrawalRequest(  # not counted
                group_id=group.id,
                amount_kobo=100_000,
                beneficiary={"bank": "test"},
                requested_by=users[0].id,
                status="APPROVED",
            ),
        ]
    )
    session.flush()
    return dict(EXPECTED_COUNTS)
