"""The group-approvals page (``/groups``): the open/history tabs, the filters and the request list, or
one request with its balance, ledger, members, approval timeline, payouts and recoveries, and Approve /
Decline (with a reason) / Pay out, each disabled with the reason why. Reflex components only."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.groups.rules import MAX_REASON
from dashboard.groups.state import GroupsState
from dashboard.ui import screens
from dashboard.ui.components.confirm import confirm_dialog
from dashboard.ui.components.dialogs import form_dialog
from dashboard.ui.components.data_table import data_table, labelled, status_badge
from dashboard.ui.components.filters import filter_form, filter_select, list_pager, list_screen
from dashboard.ui.components.page import empty_state

SCREEN = screens.GROUPS_SCREEN
STATUS_COLOURS = {"Pending": "blue", "Approved": "purple", "Declined": "red", "Paid": "green", "Expired": "gray"}
PAYOUT_COLOURS = {"SUCCESS": "green", "FAILED": "red", "PENDING": "amber"}
OPEN_STATUSES = [("pending", "Pending"), ("approved", "Approved, awaiting payout")]
HISTORY_STATUSES = [("approved", "Approved"), ("declined", "Declined"), ("paid", "Paid"), ("expired", "Expired")]

G = GroupsState


def _filters() -> rx.Component:
    return filter_form(
        G, "groups",
        rx.cond(G.tab == "open",
                filter_select(G, "groups", "status", "Status", OPEN_STATUSES, width="14rem"),
                filter_select(G, "groups", "status", "Status", HISTORY_STATUSES, width="14rem")),
        filter_select(G, "groups", "group", "Group", G.groups, width="18rem", all_text="All my groups"),
        aria_label="Filter the withdrawal requests",
    )


def _row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(r["group"], weight="medium"), rx.text(r["created"], size="1", color="var(--gray-10)")),
        rx.table.cell(rx.text(r["amount"], weight="medium", white_space="nowrap"), text_align="right"),
        rx.table.cell(rx.text(r["beneficiary"], size="2"), rx.text(r["reason"], size="1", color="var(--gray-10)")),
        rx.table.cell(r["requester"]),
        rx.table.cell(rx.text(r["approvals"], white_space="nowrap")),
        rx.table.cell(status_badge(r["status_label"], STATUS_COLOURS)),
        rx.table.cell(rx.text(r["time_left"], white_space="nowrap", size="2")),
        rx.table.cell(rx.button("Open", size="1", variant="soft", on_click=G.open_item(r["id"]),
                                custom_attrs={"data-testid": "groups-open"})),
        custom_attrs={"data-testid": "groups-row"},
    )


def _list() -> rx.Component:
    return rx.vstack(
        rx.tabs.root(
            rx.tabs.list(rx.tabs.trigger("Open requests", value="open"), rx.tabs.trigger("History", value="history")),
            value=G.tab, on_change=G.set_tab, width="100%",
        ),
        _filters(),
        rx.cond(G.scope == "none", rx.callout.root(
            rx.callout.icon(rx.icon("info")),
            rx.callout.text("You are not a current owner or treasurer of any group, so there are no requests to "
                            "show. Group approvals are made by each group's own officers."),
            color_scheme="amber", size="1", width="100%")),
        rx.cond(G.scope == "all", rx.text("Administrator view: every group, read-only.", size="2",
                                          color="var(--gray-11)")),
        data_table(
            ["Group", ("Amount", "9rem"), "Beneficiary / reason", "Requester", "Approvals", "Status", "Time left", ""],
            G.rows, _row, loading=G.loading, is_empty=G.rows.length() == 0,
            empty=empty_state("No requests", "Nothing matches these filters."), caption="Withdrawal requests",
            test_id="groups-table",
        ),
        list_pager(G, "groups"),
        spacing="3", width="100%", align="stretch",
    )


def _field(label_text: str, value: rx.Var) -> rx.Component:
    return rx.hstack(rx.text(label_text, size="2", color="var(--gray-11)", min_width="8rem"),
                     rx.text(value, size="2"), spacing="3", align="start")


def _action(label_text: str, icon: str, can: rx.Var, why: rx.Var, on_click: Any, colour: str, test_id: str
            ) -> rx.Component:
    return rx.button(rx.icon(icon, size=15), label_text, on_click=on_click, disabled=(can != "yes") | G.busy,
                     color_scheme=colour, loading=G.busy, custom_attrs={"data-testid": test_id, "title": why})


def _why(label_text: str, why: rx.Var, test_id: str) -> rx.Component:
    return rx.cond(why != "", rx.text(rx.text.strong(label_text + ": "), why, size="1", color="var(--gray-11)",
                                      custom_attrs={"data-testid": f"{test_id}-why"}))


def _header() -> rx.Component:
    a = G.actions
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(rx.heading(G.summary["amount"], size="6"), status_badge(G.summary["status_label"], STATUS_COLOURS),
                          align="center", spacing="3"),
                rx.text(G.summary["group"], size="3", weight="medium"),
                _field("Beneficiary", G.summary["beneficiary"]),
                _field("Reason", G.summary["reason"]),
                _field("Requested by", G.summary["requester"]),
                _field("Requested", G.summary["created"]),
                _field("Approvals", G.summary["approvals"]),
                _field("Expires", rx.cond(G.summary["expires"] == "", "No expiry",
                                          rx.cond(G.summary["time_left"] == "—", G.summary["expires"],
                                                  G.summary["expires"] + " (" + G.summary["time_left"] + ")"))),
                rx.cond(G.summary["decline_reason"] != "",
                        _field("Declined", G.summary["declined_by"] + ": " + G.summary["decline_reason"])),
                rx.cond(G.summary["executed_at"] != "", _field("Paid", G.summary["executed_at"])),
                spacing="2", align="start",
            ),
            rx.vstack(
                rx.text("Group balance", size="2", color="var(--gray-11)"),
                rx.heading(G.balance, size="5", custom_attrs={"data-testid": "groups-balance"}),
                rx.hstack(
                    _action("Approve", "check", a["can_approve"], a["why_approve"], G.approve_request, "green",
                            "groups-approve"),
                    _action("Decline", "x", a["can_decline"], a["why_decline"], G.ask("decline", ""), "red",
                            "groups-decline"),
                    _action("Pay out", "banknote", a["can_pay"], a["why_pay"], G.ask("pay", ""), "indigo", "groups-pay"),
                    rx.cond(a["can_retry"] != "",
                            _action("Retry payout", "rotate-ccw", a["can_retry"], "", G.ask("retry", ""), "orange",
                                    "groups-retry")),
                    spacing="3", wrap="wrap",
                ),
                rx.vstack(
                    _why("Approve", a["why_approve"], "groups-approve"),
                    _why("Decline", a["why_decline"], "groups-decline"),
                    _why("Pay out", a["why_pay"], "groups-pay"),
                    spacing="1", max_width="26rem",
                ),
                spacing="2", align="start",
            ),
            gap="5", wrap="wrap", justify="between", width="100%",
        ),
        width="100%", custom_attrs={"data-testid": "groups-request"},
    )


def _card(title: str, body: rx.Component, test_id: str = "") -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="3"), body, spacing="2", width="100%", align="stretch"),
                   width="100%", custom_attrs={"data-testid": test_id} if test_id else {})


def _simple_table(headers: list[str], rows: rx.Var, cells: Any, empty: str) -> rx.Component:
    return rx.cond(
        rows.length() == 0,
        rx.text(empty, size="2", color="var(--gray-10)"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, lambda r: rx.table.row(*[rx.table.cell(c) for c in cells(r)]))),
            size="1", variant="ghost", width="100%",
        ),
    )


def _request_view() -> rx.Component:
    return rx.vstack(
        rx.box(rx.button(rx.icon("arrow_left", size=14), "Back to the list", on_click=G.close_item, variant="ghost",
                         custom_attrs={"data-testid": "groups-back"})),
        _header(),
        rx.grid(
            _card("Approval timeline", _simple_table(
                ["When", "What", "Who", "Note"], G.timeline, lambda r: [r["when"], r["what"], r["who"], r["note"]],
                "No approvals yet."), "groups-timeline"),
            _card("Members", _simple_table(["Name", "Role", "Since"], G.members,
                                           lambda r: [r["name"], r["role"], r["since"]], "No members."),
                  "groups-members"),
            columns=rx.breakpoints(initial="1", lg="2"), spacing="3", width="100%",
        ),
        _card("Recent ledger entries", _simple_table(
            ["When", "Type", "Amount", "Reference", "Source"], G.ledger,
            lambda r: [r["when"], rx.badge(r["type"], color_scheme=rx.cond(r["type"] == "DEBIT", "red", "green"),
                                           variant="soft"), r["amount"], r["reference"], r["source"]],
            "No ledger entries."), "groups-ledger"),
        _card("Payouts", _simple_table(
            ["Provider", "Status", "Amount", "Attempts", "Reference", "Updated"], G.payouts,
            lambda r: [r["provider"], status_badge(r["status"], PAYOUT_COLOURS), r["amount"], r["attempts"],
                       r["reference"], r["updated"]], "No payout yet."), "groups-payouts"),
        _card("Recovery attempts", _simple_table(
            ["When", "Error", "Resolved"], G.recoveries, lambda r: [r["when"], r["error"], r["resolved"]],
            "No failed attempts."), "groups-recoveries"),
        _decline_dialog(),
        confirm_dialog(
            open=G.pay_open, on_open_change=G.dialog_changed, title="Pay out this request?",
            description="The payout is sent to the beneficiary and the group's ledger is debited once. "
                        "If the provider fails, nothing is debited and you can retry.",
            confirm_label="Pay out", on_confirm=G.confirm_pay, busy=G.busy, error=G.dialog_error, danger=False,
            test_id="groups-pay-dialog",
        ),
        confirm_dialog(
            open=G.retry_open, on_open_change=G.dialog_changed, title="Retry the failed payout?",
            description="The provider refused the last attempt and nothing was debited. A retry sends it once "
                        "more; the group's ledger is debited only if it succeeds.",
            confirm_label="Retry payout", on_confirm=G.confirm_retry, busy=G.busy, error=G.dialog_error,
            danger=False, test_id="groups-retry-dialog",
        ),
        spacing="3", width="100%", align="stretch",
    )


def _decline_dialog() -> rx.Component:
    return form_dialog(
        "Decline this request",
        labelled("Reason (shown to the group)", rx.text_area(
            name="reason", id="groups-decline-reason", width="100%", max_length=MAX_REASON,
            placeholder="e.g. Not agreed at the last meeting"),
            html_for="groups-decline-reason", width="100%"),
        open=G.decline_open, on_open_change=G.dialog_changed, on_submit=G.submit_decline, error=G.dialog_error,
        submit_label="Decline", busy=G.busy, submit_test_id="groups-decline-submit",
    )


def groups_page() -> rx.Component:
    return list_screen(G, _list(), _request_view())
