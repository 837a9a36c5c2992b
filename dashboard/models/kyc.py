"""KYC submissions, their documents and compliance checks (seeds 000, 001 kyc_documents,
002 kyc_verifications, 003 compliance records)."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.models.base import (
    Created, Field, Timestamped, datetime, enum_check, enum_col, fk, jsonb, now_ts, text, ts, uuid,
)
from dashboard.models.enums import (
    OPEN_VERIFICATION_STATUSES,
    CheckResult,
    CheckType,
    DocumentStatus,
    IdDocumentType,
    KycDocumentType,
    RiskLevel,
    VerificationStatus,
)

_OPEN = ", ".join(f"'{s.value}'" for s in OPEN_VERIFICATION_STATUSES)


class KycVerification(Timestamped, table=True):
    """One KYC submission (seed 002). A user may have several over time (resubmissions); at most one
    is open at a time."""

    __tablename__ = "kyc_verifications"
    __table_args__ = (
        enum_check("status", VerificationStatus),
        enum_check("document_type", IdDocumentType),
        enum_check("risk_level", RiskLevel),
        sa.CheckConstraint("attempt >= 1", name="attempt_positive"),
        sa.CheckConstraint(
            "status <> 'REJECTED' OR rejection_reason IS NOT NULL", name="rejection_has_reason"
        ),
        sa.UniqueConstraint("user_id", "attempt", name="uq_kyc_verifications_user_id_attempt"),
        # The review queue: oldest open submission first.
        sa.Index(
            "ix_kyc_verifications_open_queue",
            "submitted_at",
            "id",
            postgresql_where=sa.text(f"status IN ({_OPEN})"),
        ),
        # One open submission per user.
        sa.Index(
            "uq_kyc_verifications_one_open_per_user",
            "user_id",
            unique=True,
            postgresql_where=sa.text(f"status IN ({_OPEN})"),
        ),
        sa.Index("ix_kyc_verifications_document_number", "document_number"),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE", index=True)
    attempt: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})
    status: str = enum_col(VerificationStatus, default=VerificationStatus.PENDING, index=True)

    # What the user entered
    document_type: str = enum_col(IdDocumentType)
    document_number: str = text(100, nullable=False)
    first_name: str = text(100, nullable=False)
    last_name: str = text(100, nullable=False)
    date_of_birth: datetime = Field(sa_type=sa.Date(), nullable=False)
    address: str = text(nullable=False)
    country: str | None = text(2)

    # What the document reader extracted (compared with the above in the case view)
    extracted_document_number: str | None = text(100)
    extracted_first_name: str | None = text(100)
    extracted_last_name: str | None = text(100)
    extracted_date_of_birth: datetime | None = Field(default=None, sa_type=sa.Date())
    extracted_address: str | None = text()

    risk_level: str | None = enum_col(RiskLevel, nullable=True)

    # Review
    claimed_by_id: uuid.UUID | None = fk("users.id", nullable=True)
    claimed_until: datetime | None = ts()
    claimed_since: datetime | None = ts()  # when the current holder's claim began (renewals keep it)
    first_approved_by_id: uuid.UUID | None = fk("users.id", nullable=True)
    first_approved_at: datetime | None = ts()
    rejection_code: str | None = text(64)
    rejection_reason: str | None = text()  # the message the user sees
    internal_note: str | None = text()  # never shown to the user
    reviewed_by_id: uuid.UUID | None = fk("users.id", nullable=True)
    reviewed_at: datetime | None = ts()

    submitted_at: datetime = now_ts()


class KycDocument(Created, table=True):
    """An uploaded file of a KYC submission (seed 001). ``storage_key`` is a path inside the private
    storage folder, never a public URL."""

    __tablename__ = "kyc_documents"
    __table_args__ = (
        enum_check("document_type", KycDocumentType),
        enum_check("status", DocumentStatus),
        sa.CheckConstraint("file_size > 0", name="file_size_positive"),
        sa.CheckConstraint("storage_key NOT LIKE '/%' AND storage_key NOT LIKE '%..%'", name="storage_key_relative"),
        sa.UniqueConstraint("verification_id", "document_type", name="uq_kyc_documents_verification_id_type"),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE", index=True)
    verification_id: uuid.UUID | None = fk("kyc_verifications.id", nullable=True, ondelete="CASCADE", index=True)
    document_type: str = enum_col(KycDocumentType)
    storage_key: str = text(500, nullable=False)
    file_name: str = text(255, nullable=False)
    file_size: int = Field(nullable=False)
    mime_type: str = text(100, nullable=False)
    sha256: str | None = text(64)

    status: str = enum_col(DocumentStatus, default=DocumentStatus.PENDING, index=True)
    rejection_reason: str | None = text()
    reviewed_by: uuid.UUID | None = fk("users.id", nullable=True)
    reviewed_at: datetime | None = ts()
    uploaded_at: datetime = now_ts()


class ComplianceRecord(Created, table=True):
    """One compliance check (seed 003 ComplianceRecords): KYC, AML, sanctions or PEP screening, with
    the provider's risk score, level and flags."""

    __tablename__ = "compliance_records"
    __table_args__ = (
        enum_check("check_type", CheckType),
        enum_check("result", CheckResult),
        enum_check("risk_level", RiskLevel),
        sa.CheckConstraint("risk_score >= 0 AND risk_score <= 100", name="risk_score_range"),
        sa.Index("ix_compliance_records_user_id_checked_at", "user_id", "checked_at"),
    )

    user_id: uuid.UUID = fk("users.id", ondelete="CASCADE")
    verification_id: uuid.UUID | None = fk("kyc_verifications.id", nullable=True, ondelete="SET NULL", index=True)
    check_type: str = enum_col(CheckType)
    provider: str = text(64, nullable=False)
    provider_reference: str | None = text(128)
    result: str = enum_col(CheckResult)
    risk_level: str = enum_col(RiskLevel, index=True)
    risk_score: int = Field(nullable=False)
    flags: list | None = jsonb(nullable=False, default="[]")
    details: dict | None = jsonb()
    checked_at: datetime = now_ts()
    expires_at: datetime | None = ts()
