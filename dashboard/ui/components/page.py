"""Page-level building blocks: the page header, callouts and empty states."""

from __future__ import annotations

from typing import Any

import reflex as rx


def page_header(title: str, subtitle: str = "", *actions: rx.Component) -> rx.Component:
    """The page's one ``h1`` with a line under it, and optional actions on the right."""
    return rx.flex(
        rx.vstack(
            rx.heading(title, as_="h1", size="7", weight="bold", color="var(--gray-12)"),
            *([rx.text(subtitle, size="3", color="var(--gray-11)")] if subtitle else []),
            spacing="1",
        ),
        rx.hstack(*actions, spacing="2") if actions else rx.fragment(),
        justify="between",
        align="end",
        gap="4",
        margin_bottom="1.5rem",
        wrap="wrap",
    )


def error_callout(message: rx.Var | str, *actions: rx.Component) -> rx.Component:
    """A red callout for something that went wrong, announced to screen readers."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle_alert")),
        rx.callout.text(message),
        rx.hstack(*actions, spacing="2") if actions else rx.fragment(),
        color_scheme="red",
        variant="surface",
        role="alert",
        margin_bottom="1.5rem",
    )


def error_note(message: rx.Var, *, test_id: str = "", **props: Any) -> rx.Component:
    """A small red note where a refusal belongs (under a filter bar, inside a dialog); shown only
    while ``message`` is not empty."""
    return rx.cond(
        message != "",
        rx.callout.root(rx.callout.icon(rx.icon("triangle_alert")), rx.callout.text(message), color_scheme="red",
                        variant="surface", size="1", role="alert",
                        custom_attrs={"data-testid": test_id} if test_id else {}, **props),
    )


def empty_state(title: str, message: str, icon: str = "inbox") -> rx.Component:
    """What a list shows when it has nothing in it."""
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=28, color="var(--gray-9)"),
            rx.text(title, size="3", weight="medium", color="var(--gray-12)"),
            rx.text(message, size="2", color="var(--gray-11)", text_align="center", max_width="28rem"),
            align="center",
            spacing="2",
        ),
        padding_y="3rem",
        width="100%",
    )


def icon_tile(icon: str, *, icon_size: int = 18, tile: str = "2.25rem", color: str = "var(--accent-11)",
              background: str = "var(--accent-a3)") -> rx.Component:
    """An icon centred on a small rounded square (a card's or the product's emblem); it never shrinks."""
    return rx.center(
        rx.icon(icon, size=icon_size, color=color),
        width=tile,
        height=tile,
        border_radius="var(--radius-3)",
        background_color=background,
        flex_shrink="0",
    )
