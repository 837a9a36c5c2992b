"""Money movements that treasurers review (seeds 000/001 transactions, 002 wallets,
crypto_transactions, gift cards, settings; 003 status history)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from dashboard.models.base import (
    CEDIS,
    CRYPTO,
    MONEY,
    Decimal,
    Field,
    SQLModel,
    now_ts,
    datetime,
    enum_check,
    enum_col,
    fk,
    flag,
    jsonb,
    money,
    non_negative,
    positive,
    text,
    ts,
    uuid,
    uuid_pk,
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


def _processing_columns_consistent() -> sa.CheckConstraint:
    return sa.CheckConstraint(
        "(processed_at IS NULL) = (processed_by IS NULL)", name="processed_by_and_at_together"
    )


class Transaction(SQLModel, table=True):
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
        sa.CheckConstraint("status <> 'DECLINED' OR decline_reason IS NOT NULL", name="decline_has_reason"),
        _processing_columns_consistent(),
        sa.Index("ix_transactions_user_id_created_at", "user_id", "created_at"),
        sa.Index("ix_transactions_created_at_id", "created_at", "id"),
        sa.Index("ix_transactions_status", "status"),
        # Pending queues (keyset on created_at, id); they stay small however large the table grows:
        # all types together, and one type (a queue tab).
        sa.Index(
            "ix_transactions_pending_all",
            "created_at",
            "id",
            postgresql_where=sa.text(_PENDING_TX),
        ),
        sa.Index(
            "ix_transactions_pending_queue",
            "transaction_type",
            "created_at",
            "id",
            postgresql_where=sa.text(_PENDING_TX),
        ),
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

    id: uuid.UUID = uuid_pk()
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

    admin_note: str | None = text()
    decline_reason: str | None = text()
    first_approved_by: uuid.UUID | None = fk("users.id", nullable=True)
    first_approved_at: datetime | None = ts()
    processed_by: uuid.UUID | None = fk("users.id", nullable=True)
    processed_at: datetime | None = ts()
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()


class Wallet(SQLModel, table=True):
    """A customer's cedis and crypto balances on the Crypto Buy/Sell platform (seed 002)."""

    __tablename__ = "wallets"
    __table_args__ = (
        sa.UniqueConstraint("user_id", name="uq_wallets_user_id"),
        non_negative("balance_cedis"),
        non_negative("balance_crypto"),
        non_negative("escrow_balance"),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    crypto_symbol: str = text(10, nullable=False, default="BTC")
    balance_cedis: Decimal = money(CEDIS, default=Decimal("0"))
    balance_crypto: Decimal = money(CRYPTO, default=Decimal("0"))
    escrow_balance: Decimal = money(CEDIS, default=Decimal("0"))
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()


class CryptoTransaction(SQLModel, table=True):
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
        sa.CheckConstraint("status <> 'DECLINED' OR decline_reason IS NOT NULL", name="decline_has_reason"),
        _processing_columns_consistent(),
        sa.Index("ix_crypto_transactions_user_id_created_at", "user_id", "created_at"),
        sa.Index("ix_crypto_transactions_created_at_id", "created_at", "id"),
        sa.Index("ix_crypto_transactions_status", "status"),
        sa.Index(
            "ix_crypto_transactions_pending_all",
            "created_at",
            "id",
            postgresql_where=sa.text(_PENDING_TX),
        ),
        sa.Index(
            "ix_crypto_transactions_pending_queue",
            "type",
            "created_at",
            "id",
            postgresql_where=sa.text(_PENDING_TX),
        ),
    )

    id: uuid.UUID = uuid_pk()
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
    admin_note: str | None = text()
    decline_reason: str | None = text()
    first_approved_by: uuid.UUID | None = fk("users.id", nullable=True)
    first_approved_at: datetime | None = ts()
    processed_by: uuid.UUID | None = fk("users.id", nullable=True)
    processed_at: datetime | None = ts()
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()


class GiftCard(SQLModel, table=True):
    """A gift-card product the platform buys and sells (seed 002)."""

    __tablename__ = "gift_cards"
    __table_args__ = (positive("rate_buy"), positive("rate_sell"))

    id: uuid.UUID = uuid_pk()
    name: str = text(255, nullable=False)
    brand: str = text(100, nullable=False, index=True)
    rate_buy: Decimal = money(sa.Numeric(10, 2))
    rate_sell: Decimal = money(sa.Numeric(10, 2))
    image: str | None = text(255)  # catalogue artwork, not customer data
    is_active: bool = flag(True)
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()


class GiftCardOrder(SQLModel, table=True):
    """A customer's gift card sold to the platform, with a proof image kept in private storage."""

    __tablename__ = "gift_card_orders"
    __table_args__ = (
        enum_check("status", GiftCardOrderStatus),
        positive("amount"),
        positive("rate"),
        positive("payout_cedis"),
        sa.CheckConstraint("status <> 'DECLINED' OR decline_reason IS NOT NULL", name="decline_has_reason"),
        _processing_columns_consistent(),
        sa.Index("ix_gift_card_orders_user_id_created_at", "user_id", "created_at"),
        sa.Index("ix_gift_card_orders_created_at_id", "created_at", "id"),
        sa.Index("ix_gift_card_orders_status", "status"),
        sa.Index(
            "ix_gift_card_orders_pending_queue",
            "created_at",
            "id",
            postgresql_where=sa.text("status = 'PENDING'"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    card_id: uuid.UUID = fk("gift_cards.id", ondelete="RESTRICT", index=True)
    reference: str = Field(sa_type=sa.String(32), nullable=False, unique=True)
    amount: Decimal = money(CEDIS)  # face value in the card's currency
    card_currency: str = text(10, nullable=False, default="USD")
    rate: Decimal = money(sa.Numeric(10, 2))  # cedis per unit at order time
    payout_cedis: Decimal = money(CEDIS)
    status: str = enum_col(GiftCardOrderStatus, default=GiftCardOrderStatus.PENDING)
    proof_image_key: str = text(500, nullable=False)
    admin_note: str | None = text()
    decline_reason: str | None = text()
    processed_by: uuid.UUID | None = fk("users.id", nullable=True)
    processed_at: datetime | None = ts()
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()


class Settings(SQLModel, table=True):
    """Platform settings (seed 002 analytics.Settings): exactly one row, id 1."""

    __tablename__ = "settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("escrow_percent >= 0 AND escrow_percent <= 100", name="escrow_percent_range"),
        positive("second_approval_threshold_usd"),
        positive("kyc_sla_hours"),
        positive("kyc_claim_minutes"),
    )

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    live_rate_source: str = text(255, nullable=False, default="coinmarketcap")
    escrow_percent: Decimal = money(sa.Numeric(5, 2), default=Decimal("2.0"))
    support_contacts: dict | None = jsonb(nullable=False, default="{}")
    second_approval_threshold_usd: Decimal = money(MONEY, default=Decimal("10000"))
    kyc_sla_hours: int = Field(default=24, nullable=False, sa_column_kwargs={"server_default": "24"})
    kyc_claim_minutes: int = Field(default=30, nullable=False, sa_column_kwargs={"server_default": "30"})
    updated_by: uuid.UUID | None = fk("users.id", nullable=True)
    updated_at: datetime = now_ts()


class StatusHistory(SQLModel, table=True):
    """Every status change of a reviewable item (seed 003 TransactionStatusHistory, polymorphic)."""

    __tablename__ = "status_history"
    __table_args__ = (
        enum_check("entity_type", ReviewableEntity),
        sa.CheckConstraint("from_status IS DISTINCT FROM to_status", name="status_changes"),
        sa.Index("ix_status_history_entity", "entity_type", "entity_id", "created_at"),
    )

    id: uuid.UUID = uuid_pk()
    entity_type: str = enum_col(ReviewableEntity)
    entity_id: uuid.UUID = Field(sa_type=pg.UUID(as_uuid=True), nullable=False)
    from_status: str | None = text(32)
    to_status: str = text(32, nullable=False)
    reason: str | None = text()
    actor_id: uuid.UUID | None = fk("users.id", nullable=True)
    details: dict | None = jsonb()
    created_at: datetime = now_ts()
