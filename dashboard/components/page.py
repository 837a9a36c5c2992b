"""Page-level building blocks: the page header, callouts and the placeholder of a screen to come."""

from __future__ import annotations

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


def placeholder_panel(issue: int, will_do: list[str], note: str = "") -> rx.Component:
    """A card saying what a screen will do and which issue builds it."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.center(
                    rx.icon("construction", size=20, color="var(--amber-11)"),
                    width="2.5rem",
                    height="2.5rem",
                    border_radius="var(--radius-3)",
                    background_color="var(--amber-a3)",
                    flex_shrink="0",
                ),
                rx.vstack(
                    rx.text("This screen is not built yet", size="3", weight="bold"),
                    rx.text(
                        "It arrives with ",
                        rx.badge(f"issue #{issue}", variant="soft", size="2"),
                        size="2",
                        color="var(--gray-11)",
                    ),
                    spacing="1",
                ),
                align="center",
                spacing="3",
            ),
            rx.separator(size="4"),
            rx.text("What it will do", size="2", weight="medium", color="var(--gray-12)"),
            rx.list.unordered(
                *[rx.list.item(rx.text(item, size="2", color="var(--gray-11)")) for item in will_do],
                spacing="2",
                padding_left="1.25rem",
                margin="0",
            ),
            *([rx.text(note, size="1", color="var(--gray-10)")] if note else []),
            spacing="3",
            align="stretch",
        ),
        size="3",
        max_width="44rem",
        custom_attrs={"data-issue": str(issue)},
    )
