"""Support inbox (``/support``): placeholder until issue #7 builds the screen."""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..components import layout, page_header, placeholder_panel
from ..permissions import Perm
from ..state import AuthState, guarded

ISSUE = 7
SCREEN = routes.screen_for(routes.SUPPORT)
WILL_DO = [
    "An inbox of open and in-progress tickets, with unread replies marked.",
    "A conversation view: reply to the customer or add internal notes they never see.",
    "Assign, prioritise, resolve and close tickets; attachments opened from private storage.",
]
NOTE = ""


class SupportGateState(AuthState):
    """Until the screen is built: only confirms the session and the permission to open it."""

    @guarded(Perm.SUPPORT_VIEW, opens_page=True)
    async def open_page(self):
        return None


def support_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary),
        placeholder_panel(ISSUE, WILL_DO, NOTE),
        active=SCREEN.route,
    )
