"""The shell every screen sits in: a left sidebar with the product name and the screens, a header bar
with where you are, and the page's content.

The current screen is passed in by the page (``active=routes.KYC``), so the highlight is part of the
compiled page: it needs no state round trip and is right before the websocket connects.
"""

from __future__ import annotations

import functools
import operator

import reflex as rx

from dashboard.ui import screens as routes
from dashboard.ui.screens import Screen
from dashboard.ui.auth_state import AuthState
from dashboard.ui.components.native_form import native_form
from dashboard.ui.components.page import icon_tile

SIDEBAR_WIDTH = "15rem"


def layout(*children: rx.Component, active: str) -> rx.Component:
    """Wrap a page's content in the dashboard shell; ``active`` is the page's route.

    Nothing of the page is drawn until the page's guarded ``on_load`` handler has confirmed the
    session on the server (``AuthState.signed_in``); the sidebar lists only the screens the
    officer's role may open. Both are conveniences: every handler checks again on the server.
    """
    screen = routes.screen_for(active)
    return rx.flex(
        _sidebar(active),
        rx.flex(
            _header_bar(screen),
            rx.el.main(
                rx.cond(
                    AuthState.signed_in,
                    rx.cond(AuthState.access_error != "", _access_denied(), rx.fragment(*children)),
                    _checking_session(),
                ),
                width="100%",
                max_width="72rem",
                padding_x="2rem",
                padding_y="1.75rem",
            ),
            direction="column",
            flex="1",
            min_width="0",
        ),
        width="100%",
        min_height="100vh",
        background_color="var(--gray-2)",
    )


def _sidebar(active: str) -> rx.Component:
    # The column (background, border) stretches with the page; its content sticks to the top.
    return rx.el.nav(
        rx.flex(
            _brand(),
            _nav_item(routes.OVERVIEW_SCREEN, active),
            _section_label("Work queues"),
            *[_nav_item(screen, active) for screen in routes.SCREENS],
            rx.cond(
                functools.reduce(operator.or_, [AuthState.officer_permissions.contains(s.perm)
                                                for s in routes.RECORD_SCREENS]),
                _section_label("Records"),
            ),
            *[_nav_item(screen, active) for screen in routes.RECORD_SCREENS],
            direction="column",
            gap="1",
            position="sticky",
            top="0",
            max_height="100vh",
            overflow_y="auto",
            padding="0.75rem",
        ),
        aria_label="Main navigation",
        width=SIDEBAR_WIDTH,
        flex_shrink="0",
        align_self="stretch",
        background_color="var(--color-panel-solid)",
        border_right="1px solid var(--gray-a5)",
    )


def _brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            icon_tile("landmark", tile="2rem", color="white", background="var(--accent-9)"),
            rx.vstack(
                rx.text(routes.PRODUCT_NAME, size="3", weight="bold", color="var(--gray-12)"),
                rx.text(routes.PRODUCT_TAGLINE, size="1", color="var(--gray-11)"),
                spacing="0",
            ),
            align="center",
            spacing="3",
        ),
        href=routes.OVERVIEW,
        underline="none",
        padding="0.5rem",
        margin_bottom="0.75rem",
        display="block",
    )


def _section_label(text: str) -> rx.Component:
    return rx.text(
        text,
        size="1",
        weight="medium",
        color="var(--gray-10)",
        text_transform="uppercase",
        letter_spacing="0.04em",
        padding_x="0.75rem",
        padding_top="1rem",
        padding_bottom="0.25rem",
    )


def _nav_item(screen: Screen, active: str) -> rx.Component:
    item = _nav_link(screen, active)
    return rx.cond(AuthState.officer_permissions.contains(screen.perm), item) if screen.perm else item


def _nav_link(screen: Screen, active: str) -> rx.Component:
    is_active = screen.route == active
    attrs = {"aria-current": "page"} if is_active else {}
    return rx.link(
        rx.hstack(
            rx.icon(screen.icon, size=17, flex_shrink="0"),
            rx.text(screen.title, size="2", weight="medium" if is_active else "regular"),
            align="center",
            spacing="3",
        ),
        href=screen.route,
        underline="none",
        display="block",
        padding_x="0.75rem",
        padding_y="0.5rem",
        border_radius="var(--radius-2)",
        color="var(--accent-11)" if is_active else "var(--gray-12)",
        background_color="var(--accent-a3)" if is_active else "transparent",
        _hover={"background_color": "var(--accent-a4)" if is_active else "var(--gray-a3)"},
        custom_attrs={**attrs, "data-nav": screen.route},
    )


def _header_bar(screen: Screen) -> rx.Component:
    crumbs = [
        rx.text(routes.PRODUCT_NAME, size="2", color="var(--gray-11)"),
        rx.icon("chevron_right", size=14, color="var(--gray-9)"),
        rx.text(screen.title, size="2", weight="medium", color="var(--gray-12)"),
    ]
    return rx.el.header(
        rx.hstack(*crumbs, align="center", spacing="2"),
        rx.cond(AuthState.signed_in, _officer_menu()),
        display="flex",
        justify_content="space-between",
        align_items="center",
        height="3.5rem",
        padding_x="2rem",
        position="sticky",
        top="0",
        z_index="1",
        background_color="var(--color-panel-solid)",
        border_bottom="1px solid var(--gray-a5)",
    )


def _officer_menu() -> rx.Component:
    """Who is signed in, and a sign-out button (a plain form post that clears the HttpOnly cookie)."""
    return rx.hstack(
        rx.vstack(
            rx.text(AuthState.officer_email, size="2", weight="medium", color="var(--gray-12)"),
            rx.text(AuthState.officer_role_label, size="1", color="var(--gray-11)"),
            spacing="0",
            align="end",
        ),
        native_form(
            rx.button(rx.icon("log_out", size=14), "Sign out", type="submit", variant="soft", color_scheme="gray", size="1"),
            action=routes.AUTH_LOGOUT,
        ),
        align="center",
        spacing="3",
        custom_attrs={"data-testid": "officer-menu"},
    )


def _access_denied() -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("lock")),
        rx.callout.text(
            "You do not have permission to open this screen. The screens your role may use are in the sidebar."
        ),
        color_scheme="red",
        variant="surface",
        role="alert",
        custom_attrs={"data-testid": "access-denied"},
    )


def _checking_session() -> rx.Component:
    return rx.center(
        rx.hstack(rx.spinner(size="2"), rx.text("Checking your session…", size="2", color="var(--gray-11)")),
        padding_y="4rem",
        width="100%",
    )

