"""The transaction queues page (``/transactions``): tabs with live counts, the filter form, the bulk
bar and its per-item report, the queue table and pager, and the export button. The dialogs (detail
panel, bulk confirmation) are in ``dialogs``. Reflex components only."""

from __future__ import annotations

import reflex as rx

from dashboard.core.permissions import Perm
from dashboard.transactions.dialogs import (
    CAN_APPROVE,
    STATUS_COLOURS,
    bulk_dialog,
    detail_panel,
)
from dashboard.transactions.rules import QUEUE_LABELS, Queue
from dashboard.transactions.state import TransactionsState as T
from dashboard.ui import screens
from dashboard.ui.components import error_callout, layout, page_header
from dashboard.ui.components.data_table import labelled, status_badge
from dashboard.ui.components.filters import (
    filter_form,
    filter_input,
    filter_select,
    list_pager,
    list_table,
)

SCREEN = screens.TRANSACTIONS_SCREEN
PREFIX = "tx"
AGE_OPTIONS = [("1", "Older than 1 hour"), ("24", "Older than 1 day"), ("72", "Older than 3 days"),
               ("168", "Older than 7 days")]
SORT_OPTIONS = (("age_asc", "Oldest first"), ("age_desc", "Newest first"), ("amount_desc", "Largest first"),
                ("amount_asc", "Smallest first"))
_ELLIPSIS = {"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"}
_NUM = {"font_variant_numeric": "tabular-nums", "white_space": "nowrap"}


def _tabs() -> rx.Component:
    def trigger(q: Queue) -> rx.Component:
        return rx.tabs.trigger(
            rx.hstack(rx.text(QUEUE_LABELS[q]), rx.badge(T.counts[q.value], variant="soft", radius="full"),
                      spacing="2", align="center"),
            value=q.value,
            custom_attrs={"data-testid": f"tab-{q.value}"},
        )

    return rx.tabs.root(
        rx.tabs.list(*[trigger(q) for q in Queue], size="2"),
        value=T.tab,
        on_change=T.open_tab,
        margin_bottom="1rem",
    )


def _sort_select() -> rx.Component:
    return labelled(
        "Sort",
        rx.select.root(
            rx.select.trigger(width="9rem", id="tx-filter-sort"),
            rx.select.content(*[rx.select.item(t, value=v) for v, t in SORT_OPTIONS]),
            name="sort",
            default_value=rx.cond(T.filters["sort"] != "", T.filters["sort"], SORT_OPTIONS[0][0]),
        ),
        html_for="tx-filter-sort",
    )


def _filters_form() -> rx.Component:
    return rx.card(
        filter_form(
            T, PREFIX,
            filter_input(T, PREFIX, "search", "Search", "reference, tx id, bank ref or e-mail", width="18rem",
                         max_length=128),
            rx.cond(T.type_options.length() > 0,
                    filter_select(T, PREFIX, "type", "Type", T.type_options, "9rem", all_text="Any")),
            rx.cond(T.method_options.length() > 0,
                    filter_select(T, PREFIX, "method", "Method", T.method_options, "10rem", all_text="Any")),
            filter_input(T, PREFIX, "currency", "Currency", "e.g. USD, BTC", width="7rem", max_length=10),
            filter_input(T, PREFIX, "min_amount", "Min " + T.amount_label, "0.00", width="8rem", max_length=40),
            filter_input(T, PREFIX, "max_amount", "Max " + T.amount_label, "", width="8rem", max_length=40),
            filter_input(T, PREFIX, "user", "Customer", "e-mail or id", width="12rem", max_length=255),
            filter_select(T, PREFIX, "age", "Age", AGE_OPTIONS, "10rem", all_text="Any"),
            _sort_select(),
            aria_label="Queue filters",
            apply_test_id="apply-filters",
            error_test_id="filter-error",
            after_buttons=rx.cond(T.active_filters > 0,
                                  rx.badge(T.active_filters.to_string() + " active", variant="soft", radius="full")),
        ),
        size="2",
        width="100%",
        margin_bottom="1rem",
    )


def _bulk_bar() -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.checkbox(
                checked=(T.selected_count > 0) & (T.selected_count == T.rows.length()),
                on_change=T.select_page,
                custom_attrs={"aria-label": "Select every item on this page", "data-testid": "select-page"},
            ),
            rx.text(rx.cond(T.selected_count > 0, T.selected_count.to_string() + " selected", "Select items for a bulk action"),
                    size="2", color="var(--gray-11)"),
            align="center",
            spacing="2",
        ),
        rx.cond(
            CAN_APPROVE,
            rx.hstack(
                rx.button(rx.icon("check_check", size=14), "Approve selected", on_click=T.ask("bulk", "approve"),
                          disabled=T.selected_count == 0, color_scheme="green", variant="soft", size="2",
                          custom_attrs={"data-testid": "bulk-approve"}),
                rx.button(rx.icon("x", size=14), "Decline selected", on_click=T.ask("bulk", "decline"),
                          disabled=T.selected_count == 0, color_scheme="red", variant="soft", size="2",
                          custom_attrs={"data-testid": "bulk-decline"}),
                spacing="2",
            ),
        ),
        justify="between",
        align="center",
        margin_bottom="0.5rem",
        wrap="wrap",
        gap="2",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(checked=T.selected.contains(row["id"]), on_change=lambda _v: T.toggle_select(row["id"]),
                        custom_attrs={"aria-label": "Select " + row["reference"], "data-testid": "row-select"}),
        ),
        rx.table.cell(
            rx.button(row["reference"], on_click=T.open_item(row["id"]), variant="ghost", size="1",
                      style=_NUM, custom_attrs={"data-testid": "open-item", "aria-label": "Open " + row["reference"]}),
        ),
        rx.table.cell(rx.text(row["email"], size="2", max_width="14rem", style=_ELLIPSIS, title=row["email"])),
        rx.table.cell(rx.vstack(rx.text(row["kind"], size="2"), rx.text(row["method"], size="1", color="var(--gray-11)"),
                                spacing="0")),
        rx.table.cell(rx.vstack(rx.text(row["amount"], size="2", style=_NUM),
                                rx.text(row["rate"], size="1", color="var(--gray-11)", style=_NUM), spacing="0")),
        rx.table.cell(rx.text(row["value"], size="2", weight="medium", style=_NUM)),
        rx.table.cell(status_badge(row["status"], STATUS_COLOURS)),
        rx.table.cell(rx.text(row["age"], size="2", style=_NUM, title=row["created"])),
        custom_attrs={"data-testid": "tx-row", "data-reference": row["reference"]},
        _hover={"background_color": "var(--gray-a2)"},
    )


COLUMNS = [("", "2.5rem"), ("Reference", "12rem"), ("Customer", "14rem"), ("Type", "8rem"), ("Amount", "11rem"),
           ("Value", "8rem"), ("Status", "10rem"), ("Age", "6rem")]


def _results_card() -> rx.Component:
    return rx.cond(
        T.bulk_results.length() > 0,
        rx.card(
            rx.flex(
                rx.text(T.bulk_summary, weight="medium", size="3"),
                rx.button("Dismiss", on_click=T.close_results, variant="soft", color_scheme="gray", size="1"),
                justify="between",
                align="center",
                margin_bottom="0.5rem",
            ),
            rx.vstack(
                rx.foreach(
                    T.bulk_results,
                    lambda r: rx.hstack(
                        rx.cond(r["outcome"] == "done", rx.icon("circle_check", size=16, color="var(--green-10)"),
                                rx.icon("circle_alert", size=16, color="var(--amber-10)")),
                        rx.code(r["reference"], size="1"),
                        rx.text(r["message"], size="2"),
                        spacing="2",
                        align="center",
                        custom_attrs={"data-testid": "bulk-result", "data-outcome": r["outcome"]},
                    ),
                ),
                spacing="1",
                max_height="14rem",
                overflow_y="auto",
            ),
            size="2",
            width="100%",
            margin_bottom="1rem",
            custom_attrs={"data-testid": "bulk-results"},
        ),
    )


def _refresh_button() -> rx.Component:
    return rx.button(rx.icon("refresh_cw", size=15), "Refresh", on_click=T.refresh, variant="soft", color_scheme="gray")


def _export_button() -> rx.Component:
    return rx.cond(
        T.officer_permissions.contains(Perm.TRANSACTIONS_EXPORT.value),
        rx.hstack(
            rx.cond(T.exporting, rx.vstack(rx.progress(value=T.export_progress, width="10rem"),
                                           rx.text(T.export_label, size="1", color="var(--gray-11)"), spacing="1")),
            rx.button(rx.icon("download", size=15), "Export CSV", on_click=T.export_csv, loading=T.exporting,
                      variant="soft", custom_attrs={"data-testid": "export-csv"}),
            _refresh_button(),
            align="center",
            spacing="2",
        ),
        _refresh_button(),
    )


def transactions_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary, _export_button()),
        rx.cond(T.error != "", error_callout(T.error)),
        rx.cond((T.item_error != "") & (T.open_id == ""), error_callout(T.item_error)),
        _tabs(),
        _filters_form(),
        _results_card(),
        _bulk_bar(),
        list_table(
            T, COLUMNS, _row,
            empty=("The queue is empty", "New requests appear here as customers make them.", "inbox"),
            no_match=("Nothing matches", "Change or clear the filters to see more of the queue."),
            caption="Pending items, oldest first", test_id="tx-table",
        ),
        list_pager(T, PREFIX),
        detail_panel(),
        bulk_dialog(),
        active=screens.TRANSACTIONS,
    )
