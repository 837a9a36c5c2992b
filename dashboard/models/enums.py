"""Every enumeration the schema stores, as the union of the five seed schemas.

Values are stored as these upper-case codes; ``label()`` gives the wording the seeds use on screen
(for example ``RESUBMIT_REQUIRED`` -> "Resubmit Required").
"""

from __future__ import annotations

from enum import StrEnum


def label(value: str | None) -> str:
    if not value:
        return ""
    return value.replace("_", " ").title()


# --- identity -------------------------------------------------------------------------------
class Role(StrEnum):
    CUSTOMER = "CUSTOMER"
    ADMIN = "ADMIN"
    COMPLIANCE = "COMPLIANCE"
    TREASURER = "TREASURER"
    MANAGER = "MANAGER"
    SUPPORT = "SUPPORT"


STAFF_ROLES = frozenset({Role.ADMIN, Role.COMPLIANCE, Role.TREASURER, Role.MANAGER, Role.SUPPORT})


class Platform(StrEnum):
    """Which customer-facing platform a customer signed up on (seeds 000-004)."""

    VALIFI = "VALIFI"
    VIP = "VIP"
    CRYPTO = "CRYPTO"
    DIBOAS = "DIBOAS"
    TREASURY = "TREASURY"
    STAFF = "STAFF"


class KycStatus(StrEnum):
    # 000: Not Started, Pending, Approved, Rejected, Resubmit Required; 002: Under Review
    NOT_STARTED = "NOT_STARTED"
    PENDING = "PENDING"
    UNDER_REVIEW = "UNDER_REVIEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    RESUBMIT_REQUIRED = "RESUBMIT_REQUIRED"


class Language(StrEnum):
    EN = "EN"
    DE = "DE"
    FR = "FR"
    ES = "ES"


class TwoFactorMethod(StrEnum):
    NONE = "NONE"
    EMAIL = "EMAIL"
    SMS = "SMS"
    AUTHENTICATOR = "AUTHENTICATOR"


# --- KYC ----------------------------------------------------------------------------------------
class VerificationStatus(StrEnum):
    PENDING = "PENDING"
    UNDER_REVIEW = "UNDER_REVIEW"
    AWAITING_SECOND_REVIEW = "AWAITING_SECOND_REVIEW"  # four-eyes for high-risk cases
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    RESUBMIT_REQUIRED = "RESUBMIT_REQUIRED"


OPEN_VERIFICATION_STATUSES = (
    VerificationStatus.PENDING,
    VerificationStatus.UNDER_REVIEW,
    VerificationStatus.AWAITING_SECOND_REVIEW,
)


class IdDocumentType(StrEnum):
    PASSPORT = "PASSPORT"
    DRIVER_LICENSE = "DRIVER_LICENSE"
    NATIONAL_ID = "NATIONAL_ID"


class KycDocumentType(StrEnum):
    # 001: GOVERNMENT_ID, PROOF_OF_ADDRESS, WEALTH_STATEMENT; 002: front, back, selfie
    ID_FRONT = "ID_FRONT"
    ID_BACK = "ID_BACK"
    SELFIE = "SELFIE"
    PROOF_OF_ADDRESS = "PROOF_OF_ADDRESS"
    WEALTH_STATEMENT = "WEALTH_STATEMENT"


class DocumentStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class CheckType(StrEnum):
    KYC = "KYC"
    AML = "AML"
    SANCTIONS = "SANCTIONS"
    PEP = "PEP"


class CheckResult(StrEnum):
    CLEAR = "CLEAR"
    CONSIDER = "CONSIDER"
    MATCH = "MATCH"
    ERROR = "ERROR"


class RiskLevel(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


# --- portfolio ----------------------------------------------------------------------------------
class AssetType(StrEnum):
    CRYPTO = "CRYPTO"
    STOCK = "STOCK"


class AccountType(StrEnum):
    CRYPTO = "CRYPTO"  # deposits/withdrawals in crypto only (seed 001)
    STOCK = "STOCK"  # deposits/withdrawals in fiat only


class TradeType(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


# --- payments -----------------------------------------------------------------------------------
class TransactionType(StrEnum):
    # 001: DEPOSIT, WITHDRAWAL; 000 adds Trade, P2P, Loan Repayment, ROI Payout
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"
    TRADE = "TRADE"
    P2P = "P2P"
    LOAN_REPAYMENT = "LOAN_REPAYMENT"
    ROI_PAYOUT = "ROI_PAYOUT"


class TransactionMethod(StrEnum):
    WIRE_TRANSFER = "WIRE_TRANSFER"  # fiat only
    ACH = "ACH"  # fiat only
    CRYPTO_TRANSFER = "CRYPTO_TRANSFER"  # crypto only
    CARD = "CARD"  # fiat only
    INTERNAL = "INTERNAL"  # trades, ROI payouts booked by the platform


FIAT_METHODS = (TransactionMethod.WIRE_TRANSFER, TransactionMethod.ACH, TransactionMethod.CARD)


class TransactionStatus(StrEnum):
    PENDING = "PENDING"
    AWAITING_SECOND_APPROVAL = "AWAITING_SECOND_APPROVAL"  # maker-checker
    COMPLETED = "COMPLETED"
    DECLINED = "DECLINED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


PENDING_TRANSACTION_STATUSES = (TransactionStatus.PENDING, TransactionStatus.AWAITING_SECOND_APPROVAL)


class CryptoTxType(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class CryptoTxStatus(StrEnum):
    PENDING = "PENDING"
    AWAITING_SECOND_APPROVAL = "AWAITING_SECOND_APPROVAL"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"


class PaymentMethod(StrEnum):
    MOMO = "MOMO"
    BANK = "BANK"
    CRYPTO = "CRYPTO"


class GiftCardOrderStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    COMPLETED = "COMPLETED"


class ReviewableEntity(StrEnum):
    """Kinds of item whose status changes are recorded in ``status_history`` (seed 003)."""

    KYC_VERIFICATION = "KYC_VERIFICATION"
    KYC_DOCUMENT = "KYC_DOCUMENT"
    TRANSACTION = "TRANSACTION"
    CRYPTO_TRANSACTION = "CRYPTO_TRANSACTION"
    GIFT_CARD_ORDER = "GIFT_CARD_ORDER"
    SUPPORT_TICKET = "SUPPORT_TICKET"
    WITHDRAWAL_REQUEST = "WITHDRAWAL_REQUEST"
    PAYOUT = "PAYOUT"


# --- support ------------------------------------------------------------------------------------
class TicketStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


class TicketPriority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class TicketCategory(StrEnum):
    KYC = "KYC"
    BILLING = "BILLING"
    TECHNICAL = "TECHNICAL"
    GENERAL = "GENERAL"


# --- groups (seed 004) --------------------------------------------------------------------------
class GroupRole(StrEnum):
    OWNER = "OWNER"
    TREASURER = "TREASURER"
    MEMBER = "MEMBER"


GROUP_OFFICER_ROLES = (GroupRole.OWNER, GroupRole.TREASURER)


class WithdrawalStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    PAID = "PAID"


class AccountStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    FAILED = "failed"


class LedgerType(StrEnum):
    CREDIT = "CREDIT"
    DEBIT = "DEBIT"


class LedgerSource(StrEnum):
    DEMO = "demo"
    PROVIDER_SANDBOX = "provider_sandbox"
    PAYOUT = "payout"


class PayoutStatus(StrEnum):
    PENDING = "PENDING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"


# --- integration --------------------------------------------------------------------------------
class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    PUBLISHED = "PUBLISHED"
    FAILED = "FAILED"
