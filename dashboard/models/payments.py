"""Money movements that treasurers review (seeds 000/001 transactions, 002 wallets,
crypto_transactions, gift cards, settings; 003 status history)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from dashboard.models.base import (
    CEDIS, CRYPTO, MONEY, Created, Decimal, Field, FourEyesReviewed, Reviewed, SQLModel, Timestamped,
    datetime, enum_check, enum_col, fk, flag, jsonb, money, non_negative, now_ts, positive, text, uuid,
)
from dashboard.models.enums import (
    CryptoTxStatus,
    CryptoTxType,
    GiftCardOrderStatus,
    PaymentMethod,
    ReviewableEntity,
    TransactionMethod,
    TransactionStatus,
    TransactionType,
)

_PENDING_TX = "status IN ('PENDING', 'AWAITING_SECOND_APPROVAL')"


def _review_queue(table: str, *, type_column: str | None = None, pending: str = _PENDING_TX) -> tuple:
    """What the three reviewed money tables share besides their columns: the review checks; a
    customer's items newest first; every item by (created_at, id) and by status; and the pending queue
    (keyset on created_at, id), partial so it stays small however large the table grows: all types
    together and, with ``type_column``, one type (a queue tab)."""
    if type_column is None:  # one queue: the table has no types
        queue = [sa.Index(f"ix_{table}_pending_queue", "created_at", "id", postgresql_where=sa.text(pending))]
    else:
        queue = [
            sa.Index(f"ix_{table}_pending_all", "created_at", "id", postgresql_where=sa.text(pending)),
            sa.Index(f"ix_{table}_pending_queue", type_column, "created_at", "id", postgresql_where=sa.text(pending)),
        ]
    return (
        *Reviewed.review_checks(),
        sa.Index(f"ix_{table}_user_id_created_at", "user_id", "created_at"),
        sa.Index(f"ix_{table}_created_at_id", "created_at", "id"),
        sa.Index(f"ix_{table}_status", "status"),
        *queue,
    )


class Transaction(FourEyesReviewed, Timestamped, table=True):
    """A deposit, withdrawal or other money movement of a customer (seed 001, plus seed 000's
    description, types and tx hash). ``amount`` is in ``currency`` units (crypto needs 8 decimals);
    ``amount_usd`` is its USD value when booked."""

    __tablename__ = "transactions"
    __table_args__ = (
        enum_check("transaction_type", TransactionType),
        enum_check("method", TransactionMethod),
        enum_check("status", TransactionStatus),
        positive("amount"),
        positive("amount_usd"),
        *_review_queue("transactions", type_column="transaction_type"),
        sa.Index(
            "ix_transactions_pending_amount",
            "amount_usd",
            "id",
            postgresql_where=sa.text(_PENDING_TX),
        ),
        sa.Index(
            "ix_transactions_blockchain_tx_id",
            "blockchain_tx_id",
            postgresql_where=sa.text("blockchain_tx_id IS NOT NULL"),
        ),
        sa.Index(
            "ix_transactions_bank_reference",
            "bank_reference",
            postgresql_where=sa.text("bank_reference IS NOT NULL"),
        ),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    reference: str = Field(sa_type=sa.String(32), nullable=False, unique=True)
    transaction_type: str = enum_col(TransactionType)
    amount: Decimal = money(CRYPTO)
    currency: str = text(10, nullable=False)
    amount_usd: Decimal = money(MONEY)
    method: str = enum_col(TransactionMethod)
    status: str = enum_col(TransactionStatus, default=TransactionStatus.PENDING)
    description: str | None = text(255)

    receipt_key: str | None = text(500)  # payment proof in private storage
    blockchain_tx_id: str | None = text(128)
    bank_reference: str | None = text(64)


class Wallet(Timestamped, table=True):
    """A customer's cedis and crypto balances on the Crypto Buy/Sell platform (seed 002)."""

    __tablename__ = "wallets"
    __table_args__ = (
        sa.UniqueConstraint("user_id", name="uq_wallets_user_id"),
        non_negative("balance_cedis"),
        non_negative("balance_crypto"),
        non_negative("escrow_balance"),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    crypto_symbol: str = text(10, nullable=False, default="BTC")
    balance_cedis: Decimal = money(CEDIS, default=Decimal("0"))
    balance_crypto: Decimal = money(CRYPTO, default=Decimal("0"))
    escrow_balance: Decimal = money(CEDIS, default=Decimal("0"))


class CryptoTransaction(FourEyesReviewed, Timestamped, table=True):
    """A customer's request to buy or sell crypto at a quoted rate (seed 002)."""

    __tablename__ = "crypto_transactions"
    __table_args__ = (
        enum_check("type", CryptoTxType),
        enum_check("status", CryptoTxStatus),
        enum_check("payment_method", PaymentMethod),
        positive("cedis_amount"),
        positive("crypto_amount"),
        positive("rate"),
        non_negative("escrow_amount"),
        *_review_queue("crypto_transactions", type_column="type"),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    reference: str = Field(sa_type=sa.String(32), nullable=False, unique=True)
    type: str = enum_col(CryptoTxType)
    crypto_symbol: str = text(10, nullable=False, default="BTC")
    cedis_amount: Decimal = money(CEDIS)
    crypto_amount: Decimal = money(CRYPTO)
    rate: Decimal = money(CEDIS)
    escrow_amount: Decimal = money(CEDIS, default=Decimal("0"))
    status: str = enum_col(CryptoTxStatus, default=CryptoTxStatus.PENDING)
    payment_method: str = enum_col(PaymentMethod)
    wallet_address: str | None = text(128)
    tx_hash: str | None = text(128)


class GiftCard(Timestamped, table=True):
    """A gift-card product the platform buys and sells (seed 002)."""

    __tablename__ = "gift_cards"
    __table_args__ = (positive("rate_buy"), positive("rate_sell"))

    name: str = text(255, nullable=False)
    brand: str = text(100, nullable=False, index=True)
    rate_buy: Decimal = money(sa.Numeric(10, 2))
    rate_sell: Decimal = money(sa.Numeric(10, 2))
    image: str | None = text(255)  # catalogue artwork, not customer data
    is_active: bool = flag(True)


class GiftCardOrder(Reviewed, Timestamped, table=True):
    """A customer's gift card sold to the platform, with a proof image kept in private storage."""

    __tablename__ = "gift_card_orders"
    __table_args__ = (
        enum_check("status", GiftCardOrderStatus),
        positive("amount"),
        positive("rate"),
        positive("payout_cedis"),
        *_review_queue("gift_card_orders", pending="status = 'PENDING'"),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    card_id: uuid.UUID = fk("gift_cards.id", ondelete="RESTRICT", index=True)
    reference: str = Field(sa_type=sa.String(32), nullable=False, unique=True)
    amount: Decimal = money(CEDIS)  # face value in the card's currency
    card_currency: str = text(10, nullable=False, default="USD")
    rate: Decimal = money(sa.Numeric(10, 2))  # cedis per unit at order time
    payout_cedis: Decimal = money(CEDIS)
    status: str = enum_col(GiftCardOrderStatus, default=GiftCardOrderStatus.PENDING)
    proof_image_key: str = text(500, nullable=False)


class Settings(SQLModel, table=True):
    """Platform settings (seed 002 analytics.Settings): exactly one row, id 1."""

    __tablename__ = "settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("escrow_percent >= 0 AND escrow_percent <= 100", name="escrow_percent_range"),
        positive("second_approval_threshold_usd"),
        positive("kyc_sla_hours"),
        positive("kyc_claim_minutes"),
        positive("kyc_claim_max_hours"),
    )

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    live_rate_source: str = text(255, nullable=False, default="coinmarketcap")
    escrow_percent: Decimal = money(sa.Numeric(5, 2), default=Decimal("2.0"))
    support_contacts: dict | None = jsonb(nullable=False, default="{}")
    second_approval_threshold_usd: Decimal = money(MONEY, default=Decimal("10000"))
    kyc_sla_hours: int = Field(default=24, nullable=False, sa_column_kwargs={"server_default": "24"})
    kyc_claim_minutes: int = Field(default=30, nullable=False, sa_column_kwargs={"server_default": "30"})
    # how long one officer may keep a case by renewing the claim (reopening it) before it is released
    kyc_claim_max_hours: int = Field(default=8, nullable=False, sa_column_kwargs={"server_default": "8"})
    updated_by: uuid.UUID | None = fk("users.id", nullable=True)
    updated_at: datetime = now_ts()


class StatusHistory(Created, table=True):
    """Every status change of a reviewable item (seed 003 TransactionStatusHistory, polymorphic)."""

    __tablename__ = "status_history"
    __table_args__ = (
        enum_check("entity_type", ReviewableEntity),
        sa.CheckConstraint("from_status IS DISTINCT FROM to_status", name="status_changes"),
        sa.Index("ix_status_history_entity", "entity_type", "entity_id", "created_at"),
    )

    entity_type: str = enum_col(ReviewableEntity)
    entity_id: uuid.UUID = Field(sa_type=pg.UUID(as_uuid=True), nullable=False)
    from_status: str | None = text(32)
    to_status: str = text(32, nullable=False)
    reason: str | None = text()
    actor_id: uuid.UUID | None = fk("users.id", nullable=True)
    details: dict | None = jsonb()
