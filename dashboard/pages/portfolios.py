"""Portfolios (``/portfolios``): placeholder until issue #6 builds the screen."""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..components import layout, page_header, placeholder_panel
from ..permissions import Perm
from ..state import AuthState, guarded

ISSUE = 6
SCREEN = routes.screen_for(routes.PORTFOLIOS)
WILL_DO = [
    "Find a customer's portfolio by name, e-mail or reference.",
    "Holdings with quantities, prices and values, and the customer's trades.",
    "Value over time from the daily snapshots, as a chart.",
]
NOTE = ""


class PortfoliosGateState(AuthState):
    """Until the screen is built: only confirms the session and the permission to open it."""

    @guarded(Perm.PORTFOLIOS_VIEW, opens_page=True)
    async def open_page(self):
        return None


def portfolios_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary),
        placeholder_panel(ISSUE, WILL_DO, NOTE),
        active=SCREEN.route,
    )
