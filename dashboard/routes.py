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


@dataclass(frozen=True)
class Screen:
    route: str
    title: str
    icon: str  # a Lucide icon name, as rx.icon takes it
    summary: str  # one line: what the screen is for


OVERVIEW_SCREEN = Screen(OVERVIEW, "Overview", "layout-dashboard", "What is waiting for the back office right now.")

# The five work screens, in sidebar order.
SCREENS: tuple[Screen, ...] = (
    Screen(KYC, "KYC review", "id-card", "Review identity submissions and their documents."),
    Screen(TRANSACTIONS, "Transaction queues", "arrow-left-right", "Approve or decline pending money movements."),
    Screen(PORTFOLIOS, "Portfolios", "chart-pie", "Customers' holdings, trades and performance."),
    Screen(SUPPORT, "Support inbox", "inbox", "Answer and route customer tickets."),
    Screen(GROUPS, "Group approvals", "users", "Sign off group treasury withdrawals."),
)

AUDIT_SCREEN = Screen(AUDIT, "Audit log", "scroll-text", "Every back-office action, tamper-evident.")

ALL_SCREENS: tuple[Screen, ...] = (OVERVIEW_SCREEN, *SCREENS, AUDIT_SCREEN)

_BY_ROUTE = {screen.route: screen for screen in ALL_SCREENS}


def screen_for(route: str) -> Screen:
    """The screen registered for ``route`` (KeyError for an unknown one)."""
    return _BY_ROUTE[route]
