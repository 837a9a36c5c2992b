"""The filter form every list screen uses, bound to a ``ListState``: selects and inputs that show the
applied filters, Apply / Clear, the refused-filter message, and the keyset pager under the table.
No data access: the state class is passed in and only its vars and handlers are referenced."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.ui.components.data_table import data_table, filter_bar, labelled, pager
from dashboard.ui.components.layout import layout
from dashboard.ui.components.page import (
    empty_state,
    error_callout,
    error_note,
    page_header,
)
from dashboard.ui.forms import ALL


def _control_id(prefix: str, name: str) -> str:
    return f"{prefix}-filter-{name.replace('_', '-')}"


def filter_select(state: Any, prefix: str, name: str, label_text: str, items: list[tuple[str, str]] | rx.Var,
                  width: str = "11rem", all_text: str = "All") -> rx.Component:
    """A select of ``(value, text)`` items with an "All" item; shows the applied value. ``items`` may
    be a Var (a list of ``[value, text]`` pairs) when the choices depend on the state."""
    control_id = _control_id(prefix, name)
    if isinstance(items, rx.Var):
        options = [rx.foreach(items, lambda o: rx.select.item(o[1], value=o[0]))]
    else:
        options = [rx.select.item(t, value=v) for v, t in items]
    return labelled(
        label_text,
        rx.select.root(
            rx.select.trigger(width=width, id=control_id),
            rx.select.content(rx.select.item(all_text, value=ALL), *options),
            name=name,
            default_value=rx.cond(state.filters[name] != "", state.filters[name], ALL),
        ),
        html_for=control_id,
    )


def filter_input(state: Any, prefix: str, name: str, label_text: str, placeholder: str = "", *,
                 type_: str = "text", width: str = "10rem", max_length: int = 100) -> rx.Component:
    control_id = _control_id(prefix, name)
    return labelled(
        label_text,
        rx.input(name=name, default_value=state.filters[name], placeholder=placeholder, type=type_, width=width,
                 max_length=max_length, id=control_id),
        html_for=control_id,
    )


def filter_form(state: Any, prefix: str, *controls: rx.Component, aria_label: str, apply_test_id: str = "",
                error_test_id: str = "", after_buttons: rx.Component | None = None) -> rx.Component:
    """The controls, Apply and Clear in a form submitted to ``state.apply_filters``; a refused filter
    is shown under it (``{prefix}-filter-error``). A screen whose browser tests name the Apply button
    or the message otherwise passes ``apply_test_id`` / ``error_test_id``; ``after_buttons`` is drawn
    beside Clear (e.g. how many filters are active)."""
    return rx.form(
        filter_bar(
            *controls,
            rx.hstack(
                rx.button(rx.icon("filter", size=14), "Apply", type="submit", loading=state.loading,
                          custom_attrs={"data-testid": apply_test_id or f"{prefix}-apply"}),
                rx.button("Clear", type="button", on_click=state.clear_filters, variant="soft", color_scheme="gray",
                          custom_attrs={"data-testid": f"{prefix}-clear"}),
                *([after_buttons] if after_buttons is not None else []),
                spacing="2",
                align="center",
            ),
            test_id=f"{prefix}-filters",
        ),
        filter_error(state, prefix, error_test_id),
        on_submit=state.apply_filters,
        reset_on_submit=False,
        no_validate=True,
        key=state.filters_key.to_string(),
        custom_attrs={"aria-label": aria_label},
    )


def filter_error(state: Any, prefix: str, test_id: str = "") -> rx.Component:
    """A refused filter, under the filter controls (``{prefix}-filter-error`` unless named)."""
    return error_note(state.filter_error, test_id=test_id or f"{prefix}-filter-error", margin_bottom="1rem")


def list_pager(state: Any, prefix: str, label: Any = None) -> rx.Component:
    """Previous / Next (keyset) under a list, with the position label (``state.page_label`` unless the
    screen words its own) and, past the first page, a way back to it."""
    first = rx.cond(state.page_number > 1, rx.button("First page", on_click=state.first_page, variant="soft",
                                                     color_scheme="gray", size="2"))
    return pager(label=state.page_label if label is None else label, has_prev=state.has_prev,
                 has_next=state.has_next, on_prev=state.prev_page, on_next=state.next_page, loading=state.loading, extra=first, test_id=f"{prefix}-pager")


def list_screen(state: Any, list_view: rx.Component, item_view: rx.Component,
                *header_actions: rx.Component) -> rx.Component:
    """A list screen's page: the shell, the screen's title, what failed, and either the open item, a
    spinner while it opens, or the list."""
    screen = state.screen
    return layout(
        page_header(screen.title, screen.summary, *header_actions),
        rx.cond(state.error != "", error_callout(state.error)),
        rx.cond(state.item_error != "", error_callout(state.item_error)),
        rx.cond(
            state.open_id != "",
            item_view,
            rx.cond(state.item_loading, rx.center(rx.spinner(size="3"), padding="3rem"), list_view),
        ),
        active=screen.route,
    )


def list_table(state: Any, columns: Any, render_row: Any, *, empty: tuple[str, str, str],
               caption: str, test_id: str,
               no_match: tuple[str, str] = ("Nothing matches", "Change or clear the filters.")) -> rx.Component:
    """The list's table: dimmed while it loads; when there are no rows, ``empty`` (title, message,
    icon) for an empty list, or ``no_match`` (title, message) while filters are applied."""
    return data_table(
        columns, state.rows, render_row,
        loading=state.loading,
        is_empty=state.rows.length() == 0,
        empty=rx.cond(state.active_filters > 0, empty_state(*no_match, "search_x"), empty_state(*empty)),
        caption=caption,
        test_id=test_id,
    )
