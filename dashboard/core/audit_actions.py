"""The names of audited actions (``activity_logs.action``), in one place.

The values are the strings the services write today; they are stored in the hash-chained log, so a
value never changes once written (add a new member instead). Filters on the audit screen match them
exactly or by prefix (``kyc.``). Names built at run time are listed in full here:
``transactions.<step>`` (the decision's outcome) and ``support.<field>_changed`` (a ticket field).
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    # sign-in and sessions
    AUTH_SIGN_IN = "auth.sign_in"
    AUTH_SIGN_IN_PENDING = "auth.sign_in_pending"
    AUTH_SIGN_IN_FAILED = "auth.sign_in_failed"
    AUTH_SIGN_IN_THROTTLED = "auth.sign_in_throttled"
    AUTH_LOCKED = "auth.locked"
    AUTH_REAUTH_FAILED = "auth.reauth_failed"
    AUTH_TOTP_FAILED = "auth.totp_failed"
    AUTH_TOTP_ENROLLMENT_STARTED = "auth.totp_enrollment_started"
    AUTH_TOTP_ENROLLED = "auth.totp_enrolled"
    AUTH_SIGN_OUT = "auth.sign_out"
    AUTH_SESSION_REVOKED = "auth.session_revoked"
    # the audit log itself
    AUDIT_EXPORT = "audit.export"
    # KYC
    KYC_CLAIMED = "kyc.claimed"
    KYC_CLAIM_RENEWED = "kyc.claim_renewed"
    KYC_CLAIM_CAPPED = "kyc.claim_capped"
    KYC_RELEASED = "kyc.released"
    KYC_DOCUMENT_VIEWED = "kyc.document_viewed"
    KYC_DOCUMENT_APPROVED = "kyc.document_approved"
    KYC_DOCUMENT_REJECTED = "kyc.document_rejected"
    KYC_FIRST_APPROVAL = "kyc.first_approval"
    KYC_APPROVED = "kyc.approved"
    KYC_REJECTED = "kyc.rejected"
    KYC_RESUBMISSION_REQUESTED = "kyc.resubmission_requested"
    # transactions
    TRANSACTIONS_ITEM_VIEWED = "transactions.item_viewed"
    TRANSACTIONS_FIRST_APPROVED = "transactions.first_approved"
    TRANSACTIONS_APPROVED = "transactions.approved"
    TRANSACTIONS_COMPLETED = "transactions.completed"
    TRANSACTIONS_DECLINED = "transactions.declined"
    TRANSACTIONS_NOTE_SAVED = "transactions.note_saved"
    TRANSACTIONS_PROOF_VIEWED = "transactions.proof_viewed"
    TRANSACTIONS_EXPORTED = "transactions.exported"
    # support
    SUPPORT_TICKET_READ = "support.ticket_read"
    SUPPORT_REPLIED = "support.replied"
    SUPPORT_NOTE_ADDED = "support.note_added"
    SUPPORT_ATTACHMENT_VIEWED = "support.attachment_viewed"
    SUPPORT_STATUS_CHANGED = "support.status_changed"
    SUPPORT_PRIORITY_CHANGED = "support.priority_changed"
    SUPPORT_CATEGORY_CHANGED = "support.category_changed"
    SUPPORT_ASSIGNEE_CHANGED = "support.assignee_changed"
    SUPPORT_CANNED_CREATED = "support.canned_created"
    SUPPORT_CANNED_UPDATED = "support.canned_updated"
    SUPPORT_CANNED_DELETED = "support.canned_deleted"
    # group withdrawals and payouts
    GROUP_WITHDRAWAL_APPROVE = "group.withdrawal.approve"
    GROUP_WITHDRAWAL_APPROVED = "group.withdrawal.approved"
    GROUP_WITHDRAWAL_DECLINE = "group.withdrawal.decline"
    GROUP_PAYOUT_SENT = "group.payout.sent"
    GROUP_PAYOUT_SUCCESS = "group.payout.success"
    GROUP_PAYOUT_FAILED = "group.payout.failed"
    # portfolios
    PORTFOLIOS_EXPORT = "portfolios.export"
    PORTFOLIOS_SNAPSHOT = "portfolios.snapshot"
    # staff
    STAFF_CREATED = "staff.created"
    STAFF_ROLE_CHANGED = "staff.role_changed"
    STAFF_DEACTIVATED = "staff.deactivated"
    STAFF_REACTIVATED = "staff.reactivated"
    STAFF_PASSWORD_RESET = "staff.password_reset"
    STAFF_TWO_FACTOR_RESET = "staff.two_factor_reset"
