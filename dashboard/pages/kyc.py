"""KYC review (``/kyc``): placeholder until issue #4 builds the screen."""

from __future__ import annotations

import reflex as rx

from .. import routes
from ..components import layout, page_header, placeholder_panel
from ..permissions import Perm
from ..state import AuthState, guarded

ISSUE = 4
SCREEN = routes.screen_for(routes.KYC)
WILL_DO = [
    "A queue of open identity submissions, oldest first, with the time left against the review deadline.",
    "A case view that compares what the customer entered with what was read from the document, "
    "beside the ID and selfie images.",
    "Claim a case, approve it, reject it with a reason the customer sees, or ask for a resubmission.",
    "A second reviewer for high-risk cases (four-eyes), and every decision written to the audit log.",
]
NOTE = "Documents stay in private storage and are shown only to signed-in reviewers."


class KycGateState(AuthState):
    """Until the screen is built: only confirms the session and the permission to open it."""

    @guarded(Perm.KYC_VIEW, opens_page=True)
    async def open_page(self):
        return None


def kyc_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary),
        placeholder_panel(ISSUE, WILL_DO, NOTE),
        active=SCREEN.route,
    )
