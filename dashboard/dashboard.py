"""The Reflex app: theme and pages. Reflex imports this module (``<app_name>/<app_name>.py``).

Importing it builds the app and registers every page; it opens no database connection (the engine is
made on the first query).
"""

from __future__ import annotations

import reflex as rx

from . import routes
from .pages.audit import audit_page
from .pages.groups import groups_page
from .pages.kyc import kyc_page
from .pages.overview import OverviewState, overview_page
from .pages.portfolios import portfolios_page
from .pages.support import support_page
from .pages.transactions import transactions_page

FAVICON = "favicon.svg"  # in assets/

# The Radix theme (light, indigo accent) is configured in rxconfig.py (RadixThemesPlugin).
app = rx.App(
    html_lang="en",
    head_components=[rx.el.link(rel="icon", href="/" + FAVICON, type="image/svg+xml")],
)


def _title(screen: routes.Screen) -> str:
    return f"{screen.title} · {routes.PRODUCT_NAME}"


app.add_page(
    overview_page,
    route=routes.OVERVIEW,
    title=_title(routes.OVERVIEW_SCREEN),
    image=FAVICON,
    on_load=OverviewState.load_overview,
)
for _route, _page in (
    (routes.KYC, kyc_page),
    (routes.TRANSACTIONS, transactions_page),
    (routes.PORTFOLIOS, portfolios_page),
    (routes.SUPPORT, support_page),
    (routes.GROUPS, groups_page),
    (routes.AUDIT, audit_page),
):
    app.add_page(_page, route=_route, title=_title(routes.screen_for(_route)), image=FAVICON)
