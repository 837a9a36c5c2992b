"""Every screen of the dashboard, declared once: route, title, icon, permission and the module that
draws it.

The app (``dashboard/dashboard.py``) registers one page per entry; the sidebar, the page guard
(``ListState`` reads ``screen.perm``) and the permission-matrix test read the same entries. ``page``
and ``on_load`` name what draws the page and what runs when it opens, as ``module:attribute``
strings, so this module imports no page (and no Reflex).
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.core.permissions import Perm

PRODUCT_NAME = "Back Office"
PRODUCT_TAGLINE = "Operations dashboard"
PUBLIC = "public"  # the permission of a screen anyone may open (sign-in)

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

# Plain HTTP endpoints (dashboard/web/auth.py): they set and clear the HttpOnly session cookie.
AUTH_LOGIN = "/_auth/login"
AUTH_TOTP = "/_auth/totp"
AUTH_LOGOUT = "/_auth/logout"


@dataclass(frozen=True)
class Screen:
    route: str
    title: str
    icon: str  # a Lucide icon name, as rx.icon takes it
    summary: str  # one line: what the screen is for
    perm: str  # the permission that opens it (a Perm value, or PUBLIC)
    page: str  # "module:function" drawing the page
    on_load: str  # "module:StateClass.handler" run on page load (guarded by ``perm``)
    section: str = "work"  # where the sidebar lists it: "home", "work", "records" or "" (not listed)


OVERVIEW_SCREEN = Screen(OVERVIEW, "Overview", "layout-dashboard", "What is waiting for the back office right now.",
                         Perm.OVERVIEW_VIEW, "dashboard.overview.view:overview_page",
                         "dashboard.overview.state:OverviewState.load_overview", "home")
KYC_SCREEN = Screen(KYC, "KYC review", "id-card", "Review identity submissions and their documents.",
                    Perm.KYC_VIEW, "dashboard.kyc.view:kyc_page",
                    "dashboard.kyc.state:KycState.load")
TRANSACTIONS_SCREEN = Screen(TRANSACTIONS, "Transaction queues", "arrow-left-right",
                             "Approve or decline pending money movements.", Perm.TRANSACTIONS_VIEW,
                             "dashboard.transactions.view:transactions_page",
                             "dashboard.transactions.state:TransactionsState.load")
PORTFOLIOS_SCREEN = Screen(PORTFOLIOS, "Portfolios", "chart-pie", "Customers' holdings, trades and performance.",
                           Perm.PORTFOLIOS_VIEW, "dashboard.portfolios.view:portfolios_page",
                           "dashboard.portfolios.state:PortfoliosState.load_portfolios")
SUPPORT_SCREEN = Screen(SUPPORT, "Support inbox", "inbox", "Answer and route customer tickets.", Perm.SUPPORT_VIEW,
                        "dashboard.support.view:support_page",
                        "dashboard.support.state:SupportState.load")
GROUPS_SCREEN = Screen(GROUPS, "Group approvals", "users", "Sign off group treasury withdrawals.", Perm.GROUPS_VIEW,
                       "dashboard.groups.view:groups_page",
                       "dashboard.groups.state:GroupsState.load")
AUDIT_SCREEN = Screen(AUDIT, "Audit log", "scroll-text", "Every back-office action, tamper-evident.", Perm.AUDIT_VIEW,
                      "dashboard.audit.view:audit_page",
                      "dashboard.audit.state:AuditState.load", "records")
STAFF_SCREEN = Screen(STAFF, "Staff & sessions", "user-cog", "Staff accounts, roles and active sessions.",
                      Perm.STAFF_MANAGE, "dashboard.staff.view:staff_page",
                      "dashboard.staff.state:StaffState.load", "records")
LOGIN_SCREEN = Screen(LOGIN, "Sign in", "log-in", "Sign in to the back office.", PUBLIC, "dashboard.auth.view:login_page",
                      "dashboard.auth.state:LoginState.load_login", "")
LOGIN_2FA_SCREEN = Screen(LOGIN_2FA, "Two-step sign-in", "key-round", "The code from your authenticator app.",
                          PUBLIC, "dashboard.auth.view:second_factor_page",
                          "dashboard.auth.state:TwoFactorState.load_second_factor", "")

# Every screen, in sidebar order.
ALL_SCREENS: tuple[Screen, ...] = (
    OVERVIEW_SCREEN, KYC_SCREEN, TRANSACTIONS_SCREEN, PORTFOLIOS_SCREEN, SUPPORT_SCREEN, GROUPS_SCREEN,
    AUDIT_SCREEN, STAFF_SCREEN, LOGIN_SCREEN, LOGIN_2FA_SCREEN,
)
SCREENS: tuple[Screen, ...] = tuple(s for s in ALL_SCREENS if s.section == "work")
RECORD_SCREENS: tuple[Screen, ...] = tuple(s for s in ALL_SCREENS if s.section == "records")
SIGNED_IN_SCREENS: tuple[Screen, ...] = tuple(s for s in ALL_SCREENS if s.section)

_BY_ROUTE = {screen.route: screen for screen in ALL_SCREENS}


def screen_for(route: str) -> Screen:
    """The screen registered for ``route`` (KeyError for an unknown one)."""
    return _BY_ROUTE[route]
