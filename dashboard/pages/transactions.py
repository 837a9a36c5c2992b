"""Transaction queues (``/transactions``): placeholder until issue #5 builds the screen."""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..components import layout, page_header, placeholder_panel
from ..permissions import Perm
from ..state import AuthState, guarded

ISSUE = 5
SCREEN = routes.screen_for(routes.TRANSACTIONS)
WILL_DO = [
    "Queues of pending deposits and withdrawals, crypto buy/sell orders and gift-card orders.",
    "Filters by type, amount and age; oldest first; fast on millions of rows.",
    "Approve or decline with a reason; a second approver above the amount threshold (maker-checker).",
    "The item's status history and payment proof, and an audit entry for each decision.",
]
NOTE = ""


class TransactionsGateState(AuthState):
    """Until the screen is built: only confirms the session and the permission to open it."""

    @guarded(Perm.TRANSACTIONS_VIEW, opens_page=True)
    async def open_page(self):
        return None


def transactions_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary),
        placeholder_panel(ISSUE, WILL_DO, NOTE),
        active=SCREEN.route,
    )
