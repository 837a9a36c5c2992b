"""All tables, imported so that ``SQLModel.metadata`` knows every one of them."""

from dashboard.models.base import SQLModel
from dashboard.models.audit import ActivityLog, OutboxEvent
from dashboard.models.downloads import PendingDownload
from dashboard.models.groups import (
    Account,
    Approval,
    Group,
    GroupBalance,
    GroupMembership,
    LedgerEntry,
    Payout,
    PayoutAttempt,
    PayoutRecovery,
    WebhookEvent,
    WithdrawalRequest,
)
from dashboard.models.jobs import ScheduledRun
from dashboard.models.identity import ActiveSession, Notification, SigninThrottle, User
from dashboard.models.kyc import ComplianceRecord, KycDocument, KycVerification
from dashboard.models.payments import (
    CryptoTransaction,
    GiftCard,
    GiftCardOrder,
    Settings,
    StatusHistory,
    Transaction,
    Wallet,
)
from dashboard.models.portfolio import Holding, Portfolio, PortfolioDailyTotal, PortfolioSnapshot, Trade
from dashboard.models.support import CannedReply, SupportMessage, SupportTicket, TicketPresence

metadata = SQLModel.metadata

__all__ = [
    "Account",
    "ActiveSession",
    "ActivityLog",
    "Approval",
    "CannedReply",
    "ComplianceRecord",
    "CryptoTransaction",
    "GiftCard",
    "GiftCardOrder",
    "Group",
    "GroupBalance",
    "GroupMembership",
    "Holding",
    "KycDocument",
    "KycVerification",
    "LedgerEntry",
    "Notification",
    "OutboxEvent",
    "Payout",
    "PayoutAttempt",
    "PendingDownload",
    "PayoutRecovery",
    "Portfolio",
    "ScheduledRun",
    "PortfolioDailyTotal",
    "PortfolioSnapshot",
    "SQLModel",
    "Settings",
    "SigninThrottle",
    "StatusHistory",
    "SupportMessage",
    "SupportTicket",
    "TicketPresence",
    "Trade",
    "Transaction",
    "User",
    "Wallet",
    "WebhookEvent",
    "WithdrawalRequest",
    "metadata",
]
