"""All tables, imported so that ``SQLModel.metadata`` knows every one of them."""

from .base import SQLModel
from .audit import ActivityLog, OutboxEvent
from .groups import (
    Account,
    Approval,
    Group,
    GroupMembership,
    LedgerEntry,
    Payout,
    PayoutRecovery,
    WebhookEvent,
    WithdrawalRequest,
)
from .group_balances import GroupBalance
from .identity import ActiveSession, Notification, User
from .kyc import ComplianceRecord, KycDocument, KycVerification
from .payments import (
    CryptoTransaction,
    GiftCard,
    GiftCardOrder,
    Settings,
    StatusHistory,
    Transaction,
    Wallet,
)
from .portfolio import Holding, Portfolio, PortfolioSnapshot, Trade
from .portfolio_aggregates import PortfolioDailyTotal
from .support import SupportMessage, SupportTicket
from .support_extra import CannedReply, TicketPresence

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
    "PayoutRecovery",
    "Portfolio",
    "PortfolioDailyTotal",
    "PortfolioSnapshot",
    "SQLModel",
    "Settings",
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
