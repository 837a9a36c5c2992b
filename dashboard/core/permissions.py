"""The permission table: one place in code that says which role may do what.

Staff roles come from ``users.role``. A user who is not staff but holds a current OWNER or TREASURER
membership in a group (seed 004) signs in as a *group officer*, who may only work the group-approval
screen for their own groups (the services check the membership against the target group).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from dashboard.core.errors import NotAllowed, NotAuthenticated
from dashboard.models.enums import Role

if TYPE_CHECKING:
    from dashboard.core.actor import Actor

P = ParamSpec("P")
T = TypeVar("T")


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
SYSTEM = "SYSTEM"  # pseudo-role of the command line and background jobs (Actor.system()): no browser reaches it

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
    SYSTEM: frozenset(Perm),
}


def permissions_for(role: str | None) -> frozenset[Perm]:
    return ROLE_PERMISSIONS.get(role or "", frozenset())


def has_permission(role: str | None, perm: Perm | str) -> bool:
    return Perm(perm) in permissions_for(role)


NOT_SIGNED_IN = "Only a signed-in officer can do this."
NOT_PERMITTED = "You do not have permission to do this."


def require(actor: object, perm: Perm | str) -> Actor:
    """The one service-side check: ``actor`` is a signed-in officer (or the system) holding ``perm``.

    Returns the actor, typed. Row-level rules (the group's own officers, the requester cannot approve)
    are checked by the service after this, against the row it locked.
    """
    from dashboard.core.actor import Actor

    if not isinstance(actor, Actor):
        raise NotAuthenticated("Please sign in.")
    if actor.user_id is None and actor.role != SYSTEM:
        raise NotAllowed(NOT_SIGNED_IN)
    if not actor.can(perm):
        raise NotAllowed(NOT_PERMITTED)
    return actor


def requires(perm: Perm) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Mark a service function (``fn(session, *, actor, ...)``) with the permission it needs and check
    it before the body runs. The service-layer permission matrix reads ``__permission__``."""

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        if "actor" not in inspect.signature(fn).parameters:
            raise TypeError(f"{fn.__qualname__}: a service guarded by requires() takes the actor")

        @functools.wraps(fn)
        def checked(*args: P.args, **kwargs: P.kwargs) -> T:
            require(kwargs.get("actor"), perm)
            return fn(*args, **kwargs)

        checked.__permission__ = perm  # type: ignore[attr-defined]
        return checked

    return decorate
