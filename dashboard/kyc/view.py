"""KYC review (``/kyc``): the queue (counts, filters, table, pager) and the page.

- Queue: open cases oldest first, keyset pages of 50, the age of each case against the SLA as a badge,
  counts per status, filters (status, country, document type, risk level, assigned to me / unassigned,
  submitted date range) and a search by name, email or document number.
- Case view (``/kyc?case=<id>``): ``dashboard/kyc/case_view.py``.
"""

from __future__ import annotations

import reflex as rx

from dashboard.kyc import rules
from dashboard.kyc.case_view import RISK_COLOURS, SLA_COLOURS, STATUS_COLOURS, case_view
from dashboard.kyc.state import KycState as K
from dashboard.models.enums import IdDocumentType, RiskLevel, label
from dashboard.ui.components.data_table import status_badge
from dashboard.ui.components.stat_card import count_card
from dashboard.ui.components.filters import (
    filter_form,
    filter_input,
    filter_select,
    list_pager,
    list_screen,
    list_table,
)

P = "kyc"


def _filters() -> rx.Component:
    return filter_form(
        K, P,
        filter_input(K, P, "search", "Search", "Name, email or document no.", type_="search", width="16rem"),
        filter_select(K, P, "status", "Status", [(s, label(s)) for s in rules.OPEN], "12rem"),
        filter_input(K, P, "country", "Country", "e.g. GB", width="5rem", max_length=2),
        filter_select(K, P, "document_type", "Document", [(t.value, label(t.value)) for t in IdDocumentType]),
        filter_select(K, P, "risk_level", "Risk",
                      [(r.value, label(r.value)) for r in RiskLevel] + [("NONE", "Not screened")], "9rem"),
        filter_select(K, P, "assigned", "Assigned", [("me", "To me"), ("unassigned", "Unassigned")], "9rem"),
        filter_input(K, P, "date_from", "Submitted from", type_="date", width="9.5rem", max_length=10),
        filter_input(K, P, "date_to", "Submitted to", type_="date", width="9.5rem", max_length=10),
        aria_label="KYC queue filters",
    )


def _count_card(item: rx.Var) -> rx.Component:
    return count_card(item["label"], value=item["count"], value_attrs={"data-value": item["count"]},
                      test_id="kyc-count-" + item["status"])


def _counts() -> rx.Component:
    return rx.flex(
        rx.foreach(K.counts, _count_card),
        count_card("Past the ", K.sla_hours, " h SLA", value=K.overdue, value_color="var(--red-11)",
                   test_id="kyc-count-overdue"),
        gap="3",
        wrap="wrap",
        margin_bottom="1rem",
    )


def _queue_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.button(row["name"], on_click=K.open_item(row["id"]), variant="ghost", size="2",
                          custom_attrs={"data-testid": "kyc-open"}),
                rx.text(row["email"], size="1", color="var(--gray-11)"),
                spacing="0",
                align="start",
            )
        ),
        rx.table.cell(status_badge(row["status_label"], STATUS_COLOURS)),
        rx.table.cell(rx.text(row["document_type"], " · ", row["country"], size="2", white_space="nowrap"),
                      rx.text(row["document_number"], size="1", color="var(--gray-11)")),
        rx.table.cell(status_badge(row["risk_label"], RISK_COLOURS)),
        rx.table.cell(rx.text(row["submitted"], size="2", white_space="nowrap"),
                      rx.text(row["age"], " old", size="1", color="var(--gray-11)")),
        rx.table.cell(rx.badge(row["sla_label"], variant="soft", radius="full",
                               color_scheme=rx.match(row["sla_state"], *SLA_COLOURS.items(), "gray"),
                               custom_attrs={"data-testid": "kyc-sla"})),
        rx.table.cell(rx.cond(row["claimed_by"] != "", rx.text(row["claimed_by"], size="1"),
                              rx.text("Unassigned", size="1", color="var(--gray-10)"))),
        custom_attrs={"data-testid": "kyc-row", "data-case": row["id"]},
    )


def _queue() -> rx.Component:
    return rx.fragment(
        _counts(),
        _filters(),
        list_table(
            K, ["Applicant", ("Status", "9rem"), ("Document", "10rem"), ("Risk", "6rem"), ("Submitted", "9rem"),
             ("SLA", "8rem"), ("Reviewer", "10rem")], _queue_row,
            empty=("The queue is empty", "New identity submissions appear here.", "inbox"),
            no_match=("No cases match", "Change or clear the filters."),
            caption="Open KYC cases, oldest first", test_id="kyc-table",
        ),
        list_pager(K, P),
    )


def kyc_page() -> rx.Component:
    return list_screen(K, _queue(), case_view())
