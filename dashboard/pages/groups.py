"""Group approvals (``/groups``): placeholder until issue #8 builds the screen."""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..components import layout, page_header, placeholder_panel
from ..permissions import Perm
from ..state import AuthState, guarded

ISSUE = 8
SCREEN = routes.screen_for(routes.GROUPS)
WILL_DO = [
    "Pending withdrawal requests of savings groups, with each group's balance.",
    "N-of-M approvals: each officer approves once; the request is paid when enough have.",
    "Decline with a reason, and follow each payout until it succeeds or is recovered.",
]
NOTE = ""


class GroupsGateState(AuthState):
    """Until the screen is built: only confirms the session and the permission to open it."""

    @guarded(Perm.GROUPS_VIEW, opens_page=True)
    async def open_page(self):
        return None


def groups_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary),
        placeholder_panel(ISSUE, WILL_DO, NOTE),
        active=SCREEN.route,
    )
