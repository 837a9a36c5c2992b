"""A figure on a card that links to the screen where it is worked on."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.ui.components.page import icon_tile


def stat_card(
    *,
    label: str,
    value: rx.Var | str,
    href: str,
    icon: str,
    hint: str,
    loading: rx.Var | bool = False,
    muted: rx.Var | bool = False,
    test_id: str = "",
) -> rx.Component:
    """``value`` is a formatted string (or a Var of one); ``loading`` shows a skeleton in its place and
    ``muted`` greys it out (the figure is unknown)."""
    return rx.link(
        rx.card(
            rx.vstack(
                rx.hstack(
                    icon_tile(icon),
                    rx.text(label, size="2", weight="medium", color="var(--gray-12)"),
                    align="center",
                    spacing="3",
                ),
                rx.skeleton(
                    rx.text(
                        value,
                        size="8",
                        weight="bold",
                        color=_value_colour(muted),
                        custom_attrs={"data-value": ""},
                        style={"font_variant_numeric": "tabular-nums", "line_height": "1.1"},
                    ),
                    loading=loading,
                    min_width="3rem",
                ),
                rx.hstack(
                    rx.text(hint, size="1", color="var(--gray-11)"),
                    rx.icon("arrow_right", size=14, color="var(--accent-11)"),
                    justify="between",
                    align="center",
                    width="100%",
                ),
                spacing="3",
                align="start",
            ),
            size="2",
            height="100%",
            _hover={"box_shadow": "0 0 0 1px var(--accent-a7)"},
        ),
        href=href,
        underline="none",
        display="block",
        height="100%",
        custom_attrs={"data-testid": test_id} if test_id else {},
    )


def _value_colour(muted: rx.Var | bool) -> rx.Var | str:
    if isinstance(muted, rx.Var):
        return rx.cond(muted, "var(--gray-8)", "var(--gray-12)")
    return "var(--gray-8)" if muted else "var(--gray-12)"


def count_card(*label: rx.Var | str, value: rx.Var, test_id: rx.Var | str, min_width: str = "10rem",
               value_color: str = "", value_attrs: dict | None = None, custom_attrs: dict | None = None,
               **props: Any) -> rx.Component:
    """A small card with a label over a bold count (a queue's tallies above its list). ``label`` may be
    several parts; ``props`` go to the card (e.g. ``on_click`` for a count that filters the list)."""
    return rx.card(
        rx.vstack(
            rx.text(*label, size="1", color="var(--gray-11)"),
            rx.text(value, size="5", weight="bold", **({"color": value_color} if value_color else {}),
                    custom_attrs=value_attrs or {}),
            spacing="0",
        ),
        size="1",
        min_width=min_width,
        custom_attrs={"data-testid": test_id, **(custom_attrs or {})},
        **props,
    )
