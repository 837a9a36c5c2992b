"""The Reflex app: theme and pages. Reflex imports this module (``<app_name>/<app_name>.py``).

Importing it builds the app and registers every page; it opens no database connection (the engine is
made on the first query). The plain-HTTP sign-in endpoints (``web_auth``) are mounted in front of
Reflex's backend.
"""

from __future__ import annotations

import reflex as rx

from . import routes
from .pages.audit import AuditState, audit_page
from .pages.groups import GroupsState, groups_page
from .pages.kyc import KycState, kyc_page
from .pages.login import LoginState, TwoFactorState, login_page, second_factor_page
from .pages.overview import OverviewState, overview_page
from .pages.portfolios import PortfoliosState, portfolios_page
from .pages.staff import StaffState, staff_page
from .pages.support import SupportState, support_page
from .pages.transactions import TransactionsState, transactions_page
from .web_auth import build_auth_app

FAVICON = "favicon.svg"  # in assets/

# The Radix theme (light, indigo accent) is configured in rxconfig.py (RadixThemesPlugin).
app = rx.App(
    html_lang="en",
    head_components=[rx.el.link(rel="icon", href="/" + FAVICON, type="image/svg+xml")],
    api_transformer=build_auth_app(),
)


def _title(title: str) -> str:
    return f"{title} · {routes.PRODUCT_NAME}"


app.add_page(login_page, route=routes.LOGIN, title=_title("Sign in"), image=FAVICON, on_load=LoginState.load_login)
app.add_page(
    second_factor_page,
    route=routes.LOGIN_2FA,
    title=_title("Two-step sign-in"),
    image=FAVICON,
    on_load=TwoFactorState.load_second_factor,
)
for _route, _page, _on_load in (
    (routes.OVERVIEW, overview_page, OverviewState.load_overview),
    (routes.KYC, kyc_page, KycState.load_kyc),
    (routes.TRANSACTIONS, transactions_page, TransactionsState.load_transactions),
    (routes.PORTFOLIOS, portfolios_page, PortfoliosState.load_portfolios),
    (routes.SUPPORT, support_page, SupportState.load_support),
    (routes.GROUPS, groups_page, GroupsState.load_groups),
    (routes.AUDIT, audit_page, AuditState.load_audit),
    (routes.STAFF, staff_page, StaffState.load_staff),
):
    app.add_page(_page, route=_route, title=_title(routes.screen_for(_route).title), image=FAVICON, on_load=_on_load)
