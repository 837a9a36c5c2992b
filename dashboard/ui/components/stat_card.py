"""A figure on a card that links to the screen where it is worked on."""

from __future__ import annotations

import reflex as rx


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
                    rx.center(
                        rx.icon(icon, size=18, color="var(--accent-11)"),
                        width="2.25rem",
                        height="2.25rem",
                        border_radius="var(--radius-3)",
                        background_color="var(--accent-a3)",
                        flex_shrink="0",
                    ),
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
