"""The permission table: one place in code that says which role may do what.

Staff roles come from ``users.role``. A user who is not staff but holds a current OWNER or TREASURER
membership in a group (seed 004) signs in as a *group officer*, who may only work the group-approval
screen for their own groups (the services check the membership against the target group).
"""

from __future__ import annotations

from enum import StrEnum

from .models.enums import Role


class Perm(StrEnum):
    OVERVIEW_VIEW = "overview.view"
    KYC_VIEW = "kyc.view"
    KYC_REVIEW = "kyc.review"
    KYC_DOCUMENTS_VIEW = "kyc.documents.view"
    TRANSACTIONS_VIEW = "transactions.view"
    TRANSACTIONS_APPROVE = "transactions.approve"
    TRANSACTIONS_EXPORT = "transactions.export"
    PORTFOLIOS_VIEW = "portfolios.view"
    PORTFOLIOS_EXPORT = "portfolios.export"
    SUPPORT_VIEW = "support.view"
    SUPPORT_REPLY = "support.reply"
    GROUPS_VIEW = "groups.view"  # ADMIN: every group, read-only; officers: their own groups
    GROUPS_APPROVE = "groups.approve"  # only for officers of the target group (checked on the row)
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    STAFF_MANAGE = "staff.manage"


GROUP_OFFICER = "GROUP_OFFICER"  # pseudo-role: a non-staff user with an OWNER/TREASURER membership

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(
        {
            Perm.OVERVIEW_VIEW,
            Perm.KYC_VIEW,
            Perm.TRANSACTIONS_VIEW,
            Perm.PORTFOLIOS_VIEW,
            Perm.SUPPORT_VIEW,
            Perm.GROUPS_VIEW,
            Perm.AUDIT_VIEW,
            Perm.AUDIT_EXPORT,
            Perm.STAFF_MANAGE,
        }
    ),
    Role.COMPLIANCE: frozenset(
        {
            Perm.OVERVIEW_VIEW,
            Perm.KYC_VIEW,
            Perm.KYC_REVIEW,
            Perm.KYC_DOCUMENTS_VIEW,
            Perm.AUDIT_VIEW,
            Perm.AUDIT_EXPORT,
        }
    ),
    Role.TREASURER: frozenset(
        {
            Perm.OVERVIEW_VIEW,
            Perm.TRANSACTIONS_VIEW,
            Perm.TRANSACTIONS_APPROVE,
            Perm.TRANSACTIONS_EXPORT,
            Perm.GROUPS_VIEW,
            Perm.GROUPS_APPROVE,
        }
    ),
    Role.MANAGER: frozenset({Perm.OVERVIEW_VIEW, Perm.PORTFOLIOS_VIEW, Perm.PORTFOLIOS_EXPORT}),
    Role.SUPPORT: frozenset({Perm.OVERVIEW_VIEW, Perm.SUPPORT_VIEW, Perm.SUPPORT_REPLY}),
    GROUP_OFFICER: frozenset({Perm.GROUPS_VIEW, Perm.GROUPS_APPROVE}),
    Role.CUSTOMER: frozenset(),
}


def permissions_for(role: str | None) -> frozenset[Perm]:
    return ROLE_PERMISSIONS.get(role or "", frozenset())


def has_permission(role: str | None, perm: Perm | str) -> bool:
    return Perm(perm) in permissions_for(role)
