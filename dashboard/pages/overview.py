"""Overview (``/``): how much work is waiting in each queue, each figure linking to its screen."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import reflex as rx

from dashboard.ui import screens as routes
from dashboard.ui.components import error_callout, layout, page_header, stat_card
from dashboard.db import run_db
from dashboard.core.permissions import Perm
from dashboard.services.overview import COUNT_KEYS, overview_counts
from dashboard.ui.auth_state import AuthState, guarded

log = logging.getLogger(__name__)

NO_VALUE = "—"
DB_ERROR = (
    "The figures could not be read from the database, so they are unknown. "
    "Try again in a moment; if it keeps failing, the server log says why."
)

# key -> (label, screen route, icon, hint). Keys are the service's COUNT_KEYS.
CARDS: dict[str, tuple[str, str, str, str]] = {
    "kyc_waiting": (
        "KYC cases waiting", routes.KYC, "id_card", "Pending, in review or awaiting a second review"
    ),
    "transactions_pending": (
        "Pending transactions", routes.TRANSACTIONS, "arrow_left_right", "Deposits and withdrawals to approve"
    ),
    "crypto_orders_pending": (
        "Pending crypto orders", routes.TRANSACTIONS, "bitcoin", "Buy and sell orders to approve"
    ),
    "gift_card_orders_pending": (
        "Pending gift-card orders", routes.TRANSACTIONS, "gift", "Cards sold to us, to check and pay"
    ),
    "tickets_open": ("Open support tickets", routes.SUPPORT, "life_buoy", "Open or in progress"),
    "group_withdrawals_pending": (
        "Pending group withdrawals", routes.GROUPS, "users", "Waiting for officers' approvals"
    ),
}


def _format_counts(raw: dict[str, int]) -> dict[str, str]:
    """Counts as display strings with thousands separators (the browser gets text, not numbers)."""
    return {key: f"{int(raw[key]):,}" for key in COUNT_KEYS}


class OverviewState(AuthState):
    """Figures of the overview page. Everything here is an aggregate count: no customer data.
    Each card is drawn only for officers who may open the screen it links to."""

    loading: bool = True
    error: str = ""
    counts: dict[str, str] = {key: NO_VALUE for key in COUNT_KEYS}
    checked_at: str = ""

    @guarded(Perm.OVERVIEW_VIEW, opens_page=True)
    async def load_overview(self):
        """Read the counts in a worker thread (never on the event loop). Takes no arguments."""
        self.loading = True
        self.error = ""
        yield
        try:
            raw = await run_db(overview_counts)
        except Exception:  # unreachable server, bad URL, missing schema: say so, log the details
            log.exception("overview: reading the queue counts failed")
            self.counts = {key: NO_VALUE for key in COUNT_KEYS}
            self.checked_at = ""
            self.error = DB_ERROR
        else:
            self.counts = _format_counts(raw)
            self.checked_at = datetime.now(UTC).strftime("%H:%M:%S UTC")
        finally:
            self.loading = False


def _refresh_button() -> rx.Component:
    return rx.button(
        rx.icon("refresh_cw", size=15),
        "Refresh",
        on_click=OverviewState.load_overview,
        loading=OverviewState.loading,
        variant="soft",
        color_scheme="gray",
    )


def overview_page() -> rx.Component:
    cards = [
        rx.cond(
            OverviewState.officer_permissions.contains(routes.screen_for(href).perm),
            stat_card(
            label=label,
            value=OverviewState.counts[key],
            href=href,
            icon=icon,
            hint=hint,
            loading=OverviewState.loading,
            muted=OverviewState.error != "",
            test_id=f"count-{key}",
            ),
        )
        for key, (label, href, icon, hint) in CARDS.items()
    ]
    return layout(
        page_header("Overview", routes.OVERVIEW_SCREEN.summary, _refresh_button()),
        rx.cond(OverviewState.error != "", error_callout(OverviewState.error)),
        rx.grid(
            *cards,
            columns=rx.breakpoints(initial="1", sm="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        rx.text(
            rx.cond(
                OverviewState.loading,
                "Reading the queues…",
                rx.cond(
                    OverviewState.checked_at != "",
                    "Exact counts, read at " + OverviewState.checked_at + ". Select a card to open its queue.",
                    "",
                ),
            ),
            size="1",
            color="var(--gray-10)",
            margin_top="1rem",
            custom_attrs={"aria-live": "polite"},
        ),
        active=routes.OVERVIEW,
    )
