"""Audit log (``/audit``): placeholder until issue #3 builds the screen."""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..components import layout, page_header, placeholder_panel
from ..permissions import Perm
from ..state import AuthState, guarded

ISSUE = 3
SCREEN = routes.screen_for(routes.AUDIT)
WILL_DO = [
    "Every back-office action: who did it, when, to what, and the data before and after.",
    "Filters by officer, action, target and date.",
    "A check that the log's hash chain is unbroken, so a changed or deleted entry shows.",
]
NOTE = "Issue #3 also brings staff sign-in and per-role permissions."


class AuditGateState(AuthState):
    """Until the screen is built: only confirms the session and the permission to open it."""

    @guarded(Perm.AUDIT_VIEW, opens_page=True)
    async def open_page(self):
        return None


def audit_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary),
        placeholder_panel(ISSUE, WILL_DO, NOTE),
        active=SCREEN.route,
    )
