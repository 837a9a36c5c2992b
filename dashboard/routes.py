"""Every route of the dashboard, in one place, with what the sidebar shows for each screen.

Pages, links and tests import these constants instead of spelling paths again.
"""

from __future__ import annotations

from dataclasses import dataclass

PRODUCT_NAME = "Back Office"
PRODUCT_TAGLINE = "Operations dashboard"

OVERVIEW = "/"
KYC = "/kyc"
TRANSACTIONS = "/transactions"
PORTFOLIOS = "/portfolios"
SUPPORT = "/support"
GROUPS = "/groups"
AUDIT = "/audit"
STAFF = "/staff"
LOGIN = "/login"
LOGIN_2FA = "/login/2fa"

# Plain HTTP endpoints (dashboard/web_auth.py): they set and clear the HttpOnly session cookie.
AUTH_LOGIN = "/_auth/login"
AUTH_TOTP = "/_auth/totp"
AUTH_LOGOUT = "/_auth/logout"


@dataclass(frozen=True)
class Screen:
    route: str
    title: str
    icon: str  # a Lucide icon name, as rx.icon takes it
    summary: str  # one line: what the screen is for
    perm: str = ""  # the permission that shows it in the sidebar (permissions.Perm value)


OVERVIEW_SCREEN = Screen(
    OVERVIEW, "Overview", "layout-dashboard", "What is waiting for the back office right now.", "overview.view"
)

# The five work screens, in sidebar order.
SCREENS: tuple[Screen, ...] = (
    Screen(KYC, "KYC review", "id-card", "Review identity submissions and their documents.", "kyc.view"),
    Screen(
        TRANSACTIONS, "Transaction queues", "arrow-left-right", "Approve or decline pending money movements.",
        "transactions.view",
    ),
    Screen(PORTFOLIOS, "Portfolios", "chart-pie", "Customers' holdings, trades and performance.", "portfolios.view"),
    Screen(SUPPORT, "Support inbox", "inbox", "Answer and route customer tickets.", "support.view"),
    Screen(GROUPS, "Group approvals", "users", "Sign off group treasury withdrawals.", "groups.view"),
)

AUDIT_SCREEN = Screen(AUDIT, "Audit log", "scroll-text", "Every back-office action, tamper-evident.", "audit.view")
STAFF_SCREEN = Screen(STAFF, "Staff & sessions", "user-cog", "Staff accounts, roles and active sessions.", "staff.manage")
RECORD_SCREENS: tuple[Screen, ...] = (AUDIT_SCREEN, STAFF_SCREEN)

ALL_SCREENS: tuple[Screen, ...] = (OVERVIEW_SCREEN, *SCREENS, *RECORD_SCREENS)

_BY_ROUTE = {screen.route: screen for screen in ALL_SCREENS}


def screen_for(route: str) -> Screen:
    """The screen registered for ``route`` (KeyError for an unknown one)."""
    return _BY_ROUTE[route]
