"""A list screen's pieces: the filter bar, the table card with its loading and empty states, and the
keyset pager. No data access: every value is a Var (or a constant) the page passes in.

- ``filter_bar(*controls)``: controls in a row that wraps on narrow screens.
- ``data_table(columns, rows, render_row, ...)``: a card with a table; while ``loading`` the rows are
  dimmed and marked busy for screen readers; ``empty`` is drawn when ``is_empty`` (and not loading).
- ``pager(...)``: "Previous" / "Next" buttons around a position label ("Showing 1–25 of 120").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx


def filter_bar(*controls: rx.Component, test_id: str = "") -> rx.Component:
    return rx.flex(
        *controls,
        gap="3",
        align="end",
        wrap="wrap",
        width="100%",
        margin_bottom="1rem",
        custom_attrs={"data-testid": test_id} if test_id else {},
    )


def labelled(label: str, control: rx.Component, *, html_for: str = "", hint: str = "",
             width: str | None = None) -> rx.Component:
    """A small label above a filter control (``html_for`` = the control's id)."""
    return rx.vstack(
        rx.el.label(rx.text(label, size="1", weight="medium", color="var(--gray-11)"), html_for=html_for or None),
        control,
        *([rx.text(hint, size="1", color="var(--gray-10)")] if hint else []),
        spacing="1",
        width=width,
    )


def column_header(text: str, *, width: str = "", align: str = "left") -> rx.Component:
    return rx.table.column_header_cell(
        text,
        width=width or None,
        text_align=align,
        white_space="nowrap",
        color="var(--gray-11)",
    )


def data_table(
    columns: Sequence[str | tuple[str, str]],
    rows: rx.Var,
    render_row: Callable[[rx.Var], rx.Component],
    *,
    loading: rx.Var | bool = False,
    is_empty: rx.Var | bool = False,
    empty: rx.Component | None = None,
    caption: str = "",
    test_id: str = "",
) -> rx.Component:
    """``columns``: header texts, or (text, width) pairs. ``rows``: a list Var; ``render_row`` draws
    one ``rx.table.row`` for a row Var."""
    headers = [
        column_header(c) if isinstance(c, str) else column_header(c[0], width=c[1])
        for c in columns
    ]
    table = rx.table.root(
        *([rx.el.caption(caption, class_name="rt-sr-only", style=_SR_ONLY)] if caption else []),
        rx.table.header(rx.table.row(*headers)),
        rx.table.body(rx.foreach(rows, render_row)),
        variant="ghost",
        size="2",
        width="100%",
        custom_attrs={"aria-busy": rx.cond(loading, "true", "false")} if isinstance(loading, rx.Var) else {},
    )
    body = rx.box(
        table,
        opacity=rx.cond(loading, "0.55", "1") if isinstance(loading, rx.Var) else "1",
        transition="opacity 120ms",
        overflow_x="auto",
        width="100%",
    )
    content = body
    if empty is not None:
        content = rx.cond(is_empty & ~loading if isinstance(is_empty, rx.Var) else is_empty, empty, body)
    return rx.card(
        content,
        size="1",
        width="100%",
        custom_attrs={"data-testid": test_id} if test_id else {},
    )


_SR_ONLY = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "padding": "0",
    "margin": "-1px",
    "overflow": "hidden",
    "clip": "rect(0, 0, 0, 0)",
    "white_space": "nowrap",
    "border": "0",
}


def pager(
    *,
    label: rx.Var | str,
    has_prev: rx.Var | bool,
    has_next: rx.Var | bool,
    on_prev: rx.EventHandler | rx.event.EventSpec,
    on_next: rx.EventHandler | rx.event.EventSpec,
    loading: rx.Var | bool = False,
    prev_text: str = "Previous",
    next_text: str = "Next",
    extra: rx.Component | None = None,
    test_id: str = "",
) -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.cond(loading, rx.spinner(size="1")) if isinstance(loading, rx.Var) else rx.fragment(),
            rx.text(label, size="2", color="var(--gray-11)", custom_attrs={"aria-live": "polite"}),
            align="center",
            spacing="2",
        ),
        rx.hstack(
            *([extra] if extra is not None else []),
            _page_button(rx.icon("chevron_left", size=15), prev_text, on_click=on_prev, enabled=has_prev,
                         loading=loading, test_id=f"{test_id}-prev" if test_id else ""),
            _page_button(next_text, rx.icon("chevron_right", size=15), on_click=on_next, enabled=has_next,
                         loading=loading, test_id=f"{test_id}-next" if test_id else ""),
            spacing="2",
        ),
        justify="between",
        align="center",
        gap="3",
        wrap="wrap",
        width="100%",
        margin_top="0.75rem",
    )


def _page_button(*content: Any, on_click: Any, enabled: rx.Var | bool, loading: rx.Var | bool,
                 test_id: str) -> rx.Component:
    """A pager's "previous" or "next" button: disabled at the end of the list and while a page loads."""
    return rx.button(
        *content,
        on_click=on_click,
        disabled=~enabled | loading if isinstance(enabled, rx.Var) else not enabled,
        variant="soft",
        color_scheme="gray",
        size="2",
        custom_attrs={"data-testid": test_id} if test_id else {},
    )


def status_badge(text: rx.Var, colours: dict[str, str], default: str = "gray") -> rx.Component:
    """A soft badge whose colour depends on the text (e.g. {"Active": "green"})."""
    return rx.badge(
        text,
        color_scheme=rx.match(text, *[(key, value) for key, value in colours.items()], default),
        variant="soft",
        radius="full",
    )
