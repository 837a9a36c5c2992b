"""The support inbox page (``/support``, issue 7): the counts, the filters, the ticket table and the pager;
an open ticket replaces them with the thread (``thread_view``).

- Inbox: tickets most recently updated first (keyset pages of 50), with status, priority, category,
  assignee, customer, last reply, an unread dot and the age against the first-response target of the
  priority. Counts per status and for "mine" / "unassigned" (click one to filter). Filters: show
  (all / mine / unassigned), status (default: open + in progress), priority, category; search by
  subject or customer email.
- Customer text is only ever drawn as text (``rx.text``), never as HTML or markdown.
"""

from __future__ import annotations

import reflex as rx

from dashboard.models.enums import label
from dashboard.support import rules
from dashboard.support.state import SupportState as S
from dashboard.support.thread_view import (
    PRIORITY_COLOURS,
    SLA_COLOURS,
    STATUS_COLOURS,
    thread,
)
from dashboard.ui import screens
from dashboard.ui.components import error_callout, layout, page_header
from dashboard.ui.components.data_table import status_badge
from dashboard.ui.components.stat_card import count_card
from dashboard.ui.components.filters import (
    filter_form,
    filter_input,
    filter_select,
    list_pager,
    list_table,
)

SCREEN = screens.SUPPORT_SCREEN
PREFIX = "support"


def _filters() -> rx.Component:
    return filter_form(
        S, PREFIX,
        filter_input(S, PREFIX, "search", "Search", "Subject or customer email", type_="search", width="16rem",
                     max_length=rules.MAX_SEARCH),
        filter_select(S, PREFIX, "view", "Show", [("mine", "Assigned to me"), ("unassigned", "Unassigned")],
                      "10rem", "All agents"),
        filter_select(S, PREFIX, "status", "Status", [(s, label(s)) for s in rules.STATUSES] + [("ALL", "Any status")],
                      "11rem", "Open + in progress"),
        filter_select(S, PREFIX, "priority", "Priority", [(p, label(p)) for p in rules.PRIORITIES], "8rem"),
        filter_select(S, PREFIX, "category", "Category",
                      [(c, label(c)) for c in rules.CATEGORIES] + [("NONE", "No category")], "9rem"),
        aria_label="Inbox filters",
    )


def _count_card(item: rx.Var) -> rx.Component:
    return count_card(
        item["label"], value=item["count"], test_id="support-count-" + item["key"], min_width="9rem",
        as_child=False, cursor="pointer", on_click=S.quick_filter(item["key"]),
        _hover={"background_color": "var(--gray-a2)"},
        custom_attrs={"role": "button", "aria-label": "Show " + item["label"]},
    )


def _inbox_row(row: rx.Var) -> rx.Component:
    unread = row["unread"] == "yes"
    return rx.table.row(
        rx.table.cell(
            rx.hstack(
                rx.cond(unread, rx.box(width="8px", height="8px", border_radius="50%", background="var(--accent-9)",
                                       flex_shrink="0", title="Unread customer message",
                                       custom_attrs={"data-testid": "support-unread"}),
                        rx.box(width="8px", flex_shrink="0")),
                rx.vstack(
                    rx.button(row["number"] + " · " + row["subject"], on_click=S.open_item(row["id"]),
                              variant="ghost", size="2", font_weight=rx.cond(unread, "700", "400"),
                              text_align="left", justify="start", height="auto", white_space="normal",
                              custom_attrs={"data-testid": "support-open"}),
                    rx.text(row["customer"], " · ", row["customer_email"], size="1", color="var(--gray-11)"),
                    spacing="0", align="start",
                ),
                align="center", spacing="2",
            )
        ),
        rx.table.cell(status_badge(row["status_label"], STATUS_COLOURS)),
        rx.table.cell(status_badge(row["priority_label"], PRIORITY_COLOURS)),
        rx.table.cell(rx.text(row["category"], size="2")),
        rx.table.cell(rx.cond(row["assignee"] != "", rx.text(row["assignee"], size="1"),
                              rx.text("Unassigned", size="1", color="var(--gray-10)"))),
        rx.table.cell(rx.text(row["last_reply"], size="2", white_space="nowrap"),
                      rx.text(row["age"], " old", size="1", color="var(--gray-11)")),
        rx.table.cell(rx.badge(row["sla_label"], variant="soft", radius="full",
                               color_scheme=rx.match(row["sla_state"], *SLA_COLOURS.items(), "gray"),
                               custom_attrs={"data-testid": "support-sla"})),
        custom_attrs={"data-testid": "support-row", "data-ticket": row["id"], "data-unread": row["unread"]},
    )


def _inbox() -> rx.Component:
    return rx.fragment(
        rx.flex(rx.foreach(S.counts, _count_card), gap="3", wrap="wrap", margin_bottom="1rem"),
        _filters(),
        list_table(
            S, ["Ticket", ("Status", "8rem"), ("Priority", "6rem"), ("Category", "7rem"), ("Assignee", "11rem"),
             ("Last reply", "9rem"), ("First response", "9rem")], _inbox_row,
            empty=("The inbox is empty", "New customer tickets appear here.", "inbox"),
            no_match=("No tickets match", "Change or clear the filters."),
            caption="Support tickets, latest activity first", test_id="support-table",
        ),
        list_pager(S, PREFIX),
    )


def support_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary),
        rx.cond(S.error != "", error_callout(S.error)),
        rx.cond(S.item_error != "", error_callout(S.item_error)),
        rx.cond(
            S.open_id != "",
            thread(),
            rx.cond(S.item_loading, rx.center(rx.spinner(size="3"), padding="3rem"), _inbox()),
        ),
        active=SCREEN.route,
    )
