"""Group treasury with N-of-M withdrawal approvals (seed 004). Amounts are integer kobo."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from dashboard.models.base import (
    Created, Field, Keyed, SQLModel, Timestamped, datetime, enum_check, enum_col, fk, flag, jsonb, now_ts,
    text, ts, uuid,
)
from dashboard.models.enums import AccountStatus, GroupRole, LedgerSource, LedgerType, PayoutStatus, WithdrawalStatus

KOBO = sa.BigInteger()


def kobo() -> object:
    return Field(sa_type=KOBO, nullable=False)


class Group(Created, table=True):
    __tablename__ = "group"
    __table_args__ = (
        sa.CheckConstraint("approvals_required >= 1", name="approvals_required_positive"),
        sa.CheckConstraint("approvals_cap >= approvals_required", name="cap_not_below_required"),
    )

    name: str = text(nullable=False)
    description: str | None = text()
    rule_template: str = text(64, nullable=False, default="two_officer")
    approvals_required: int = Field(default=2, nullable=False, sa_column_kwargs={"server_default": "2"})
    approvals_cap: int = Field(default=3, nullable=False, sa_column_kwargs={"server_default": "3"})
    created_by: uuid.UUID = fk("users.id")
    public_read_token: str | None = Field(default=None, sa_type=sa.Text(), unique=True)


class GroupMembership(Keyed, table=True):
    __tablename__ = "group_membership"
    __table_args__ = (
        enum_check("role_in_group", GroupRole),
        # One current membership per user and group; removed ones stay for history.
        sa.Index(
            "uq_group_membership_current",
            "group_id",
            "user_id",
            unique=True,
            postgresql_where=sa.text("removed_at IS NULL"),
        ),
        sa.Index("ix_group_membership_user_id", "user_id"),
    )

    group_id: uuid.UUID = fk("group.id")
    user_id: uuid.UUID = fk("users.id")
    role_in_group: str = enum_col(GroupRole)
    joined_at: datetime = now_ts()
    removed_at: datetime | None = ts()


class WithdrawalRequest(Timestamped, table=True):
    __tablename__ = "withdrawal_request"
    __table_args__ = (
        enum_check("status", WithdrawalStatus),
        sa.CheckConstraint("amount_kobo > 0", name="amount_kobo_positive"),
        sa.CheckConstraint("status <> 'DECLINED' OR decline_reason IS NOT NULL", name="decline_has_reason"),
        sa.CheckConstraint("status <> 'PAID' OR executed_at IS NOT NULL", name="paid_has_executed_at"),
        sa.Index("ix_withdrawal_request_group_status_created", "group_id", "status", "created_at"),
        # Every request newest first (ADMIN's history tab), keyset on (created_at, id).
        sa.Index("ix_withdrawal_request_created_at_id", "created_at", "id"),
        sa.Index(
            "ix_withdrawal_request_open",
            "created_at",
            "id",
            postgresql_where=sa.text("status IN ('PENDING', 'APPROVED')"),
        ),
    )

    group_id: uuid.UUID = fk("group.id")
    amount_kobo: int = kobo()
    beneficiary: dict = jsonb(nullable=False)
    reason: str | None = text()
    status: str = enum_col(WithdrawalStatus, default=WithdrawalStatus.PENDING)
    requested_by: uuid.UUID = fk("users.id", index=True)
    expires_at: datetime | None = ts()
    approved_at: datetime | None = ts()
    declined_by: uuid.UUID | None = fk("users.id", nullable=True)
    decline_reason: str | None = text()
    executed_at: datetime | None = ts()


class Approval(Created, table=True):
    __tablename__ = "approval"
    __table_args__ = (
        sa.UniqueConstraint("withdrawal_id", "approver_user_id", name="uq_approval_withdrawal_id_approver"),
    )

    withdrawal_id: uuid.UUID = fk("withdrawal_request.id")
    approver_user_id: uuid.UUID = fk("users.id", index=True)


class Account(Created, table=True):
    """A group's virtual bank account (seed 004)."""

    __tablename__ = "account"
    __table_args__ = (enum_check("status", AccountStatus),)

    group_id: uuid.UUID = fk("group.id", index=True)
    virtual_account_number: str = Field(sa_type=sa.Text(), nullable=False, unique=True)
    provider_ref: str | None = text()
    provider: str | None = text()
    status: str = enum_col(AccountStatus, default=AccountStatus.PENDING)
    bank_name: str = text(nullable=False, default="Wema Bank")


class LedgerEntry(Created, table=True):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        enum_check("type", LedgerType),
        enum_check("source", LedgerSource),
        sa.CheckConstraint("amount_kobo > 0", name="amount_kobo_positive"),
        sa.CheckConstraint("currency = 'NGN'", name="currency_ngn"),
        sa.CheckConstraint("type = 'CREDIT' OR withdrawal_id IS NOT NULL", name="debit_has_withdrawal"),
        sa.Index("ix_ledger_entry_group_id_created_at", "group_id", "created_at"),
        sa.Index("ix_ledger_entry_account_id", "account_id"),
        # A withdrawal is debited at most once, whatever the retries.
        sa.Index(
            "uq_ledger_entry_one_debit_per_withdrawal",
            "withdrawal_id",
            unique=True,
            postgresql_where=sa.text("type = 'DEBIT'"),
        ),
    )

    group_id: uuid.UUID = fk("group.id")
    account_id: uuid.UUID = fk("account.id")
    user_id: uuid.UUID | None = fk("users.id", nullable=True)
    withdrawal_id: uuid.UUID | None = fk("withdrawal_request.id", nullable=True)
    type: str = enum_col(LedgerType)
    amount_kobo: int = kobo()
    currency: str = text(3, nullable=False, default="NGN")
    source: str | None = enum_col(LedgerSource, nullable=True)
    reference: str = Field(sa_type=sa.Text(), nullable=False, unique=True)
    client_ref: str | None = Field(default=None, sa_type=sa.Text(), unique=True)
    simulated: bool = flag(False)
    payment_channel: str = text(16, nullable=False, default="VA")
    rule_status: str = text(16, nullable=False, default="VALID")


class Payout(Timestamped, table=True):
    __tablename__ = "payout"
    __table_args__ = (
        enum_check("status", PayoutStatus),
        sa.CheckConstraint("amount_kobo > 0", name="amount_kobo_positive"),
        sa.UniqueConstraint("withdrawal_id", name="uq_payout_withdrawal_id"),  # one payout per withdrawal
    )

    withdrawal_id: uuid.UUID = fk("withdrawal_request.id")
    provider: str = text(nullable=False)
    provider_reference: str | None = Field(default=None, sa_type=sa.Text(), unique=True)
    amount_kobo: int = kobo()
    beneficiary: dict = jsonb(nullable=False)
    status: str = enum_col(PayoutStatus)
    attempts: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})
    provider_payload: dict | None = jsonb()
    executed_by: uuid.UUID | None = fk("users.id", nullable=True)


class PayoutAttempt(Created, table=True):
    """One call to the payout provider (issue 12, finding 8): who asked, with which reference, how it ended.

    At most one attempt per withdrawal is in flight (``status = 'PENDING'``: sent, no answer or no
    webhook yet): the partial unique index ``uq_payout_attempt_one_in_flight`` refuses a second one
    whatever the code does. ``kind`` is PAY for the first attempt, RETRY for an explicit retry of a
    FAILED one (a "Pay" click never calls the provider again after a failure).
    """

    __tablename__ = "payout_attempt"
    __table_args__ = (
        enum_check("status", PayoutStatus),
        sa.CheckConstraint("kind IN ('PAY', 'RETRY')", name="kind_known"),
        sa.UniqueConstraint("withdrawal_id", "attempt", name="uq_payout_attempt_withdrawal_id_attempt"),
        sa.Index("uq_payout_attempt_one_in_flight", "withdrawal_id", unique=True,
                 postgresql_where=sa.text("status = 'PENDING'")),
    )

    payout_id: uuid.UUID = fk("payout.id", index=True)
    withdrawal_id: uuid.UUID = fk("withdrawal_request.id")
    attempt: int = Field(nullable=False)
    kind: str = text(8, nullable=False)
    reference: str = Field(sa_type=sa.Text(), nullable=False, unique=True)
    status: str = enum_col(PayoutStatus)
    started_by: uuid.UUID | None = fk("users.id", nullable=True)
    finished_at: datetime | None = ts()
    error: str | None = text()


class PayoutRecovery(Created, table=True):
    __tablename__ = "payout_recovery"

    withdrawal_id: uuid.UUID = fk("withdrawal_request.id", index=True)
    payout_id: uuid.UUID | None = fk("payout.id", nullable=True)
    attempted_payload: dict | None = jsonb()
    error_message: str | None = text()
    resolved_at: datetime | None = ts()


class WebhookEvent(Created, table=True):
    """A provider callback, stored once per provider event id and processed idempotently."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        sa.UniqueConstraint("provider", "event_id", name="uq_webhook_event_provider_event_id"),
        sa.Index(
            "ix_webhook_event_unprocessed",
            "created_at",
            postgresql_where=sa.text("NOT processed"),
        ),
    )

    provider: str = text(64, nullable=False, default="sandbox")
    event_id: str = text(128, nullable=False)
    event_type: str = text(nullable=False)
    raw_payload: dict = jsonb(nullable=False)
    processed: bool = flag(False)
    processed_at: datetime | None = ts()
    error: str | None = text()


class GroupBalance(SQLModel, table=True):
    """Each group's ledger balance (settled, non-simulated credits minus debits, kobo: what it can pay
    out; ``groups.balances.COUNTED_KOBO``), maintained by the database.

    The view of a withdrawal request shows the group's balance and the payout checks it; summing every
    ledger row of the group on each view does not scale (1M ledger rows at the large profile). So one row
    per group holds the running balance, and **database triggers on ``ledger_entry``** (migrations
    8d2f6b0e4c31, b7d3e1f0a9c2) keep it in the same transaction as every INSERT, UPDATE or DELETE of ledger rows,
    whatever wrote them (the services, ``COPY`` in the seed loader, a hand-written SQL fix). The
    triggers are statement-level with transition tables, so a bulk ``COPY`` of a million rows costs one
    aggregate per statement, not one update per row.

    ``balance_kobo >= 0`` is a CHECK: a DEBIT that would overdraw the group fails its whole transaction,
    so no code path can take a balance below zero. The trigger updates the group's row, which also
    serialises concurrent debits of one group.

    ``groups.balances.rebuild_group_balances(session)`` recomputes every row from the ledger (after a
    load that bypassed triggers, or to verify them).
    """

    __tablename__ = "group_balances"
    __table_args__ = (sa.CheckConstraint("balance_kobo >= 0", name="balance_kobo_non_negative"),)

    group_id: uuid.UUID = Field(sa_column_args=[sa.ForeignKey("group.id")], sa_type=pg.UUID(as_uuid=True),
                                primary_key=True)
    balance_kobo: int = Field(default=0, sa_type=sa.BigInteger(), nullable=False,
                              sa_column_kwargs={"server_default": "0"})
    updated_at: datetime = now_ts()
