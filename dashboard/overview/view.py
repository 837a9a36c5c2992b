"""Overview (``/``): how much work is waiting in each queue, each figure linking to its screen."""

from __future__ import annotations

import reflex as rx

from dashboard.overview.state import OverviewState
from dashboard.ui import screens as routes
from dashboard.ui.components import error_callout, layout, page_header, stat_card

# key -> (label, screen route, icon, hint). Keys are the query's COUNT_KEYS.
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
