"""The transaction queues' dialogs: the detail panel of the open item (customer, KYC, balances, risk
flags, proof, status history, recent transactions; note, approve, decline) and the bulk confirmation.
Reflex components only."""

from __future__ import annotations

import reflex as rx

from dashboard.core.permissions import Perm
from dashboard.transactions.rules import MAX_NOTE, MAX_REASON
from dashboard.transactions.state import TransactionsState as T
from dashboard.ui.components.data_table import status_badge
from dashboard.ui.components.dialogs import dialog_actions
from dashboard.ui.components.page import error_note

CAN_APPROVE = T.officer_permissions.contains(Perm.TRANSACTIONS_APPROVE.value)
STATUS_COLOURS = {"Pending": "amber", "Awaiting Second Approval": "violet", "Completed": "green",
                  "Approved": "green", "Declined": "red"}
_NOWRAP = ("reference", "amount", "value")


def _fact(label_text: str, value: rx.Var) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label_text, min_width="8rem"),
        rx.data_list.value(rx.text(rx.cond(value != "", value, "—"), size="2", word_break="break-word")),
    )


def _mini_table(title: str, rows: rx.Var, keys: list[tuple[str, str]], empty: str, test_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(title, size="2", weight="bold"),
        rx.cond(
            rows.length() == 0,
            rx.text(empty, size="2", color="var(--gray-10)"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h, _ in keys])),
                rx.table.body(rx.foreach(rows, lambda r: rx.table.row(
                    *[rx.table.cell(rx.text(r[k], size="1", white_space="nowrap" if k in _NOWRAP else "normal"))
                      for _, k in keys]))),
                size="1",
                variant="ghost",
                width="100%",
            ),
        ),
        spacing="1",
        width="100%",
        custom_attrs={"data-testid": test_id},
    )


def _item_form(key: str, on_submit: rx.EventHandler, align: str, *controls: rx.Component) -> rx.Component:
    """A one-row form about the open item; remade (emptied) whenever another item is shown."""
    return rx.form(
        rx.hstack(*controls, align=align, width="100%"),
        on_submit=on_submit,
        reset_on_submit=False,
        key=key + T.detail_key.to_string(),
        width="100%",
    )


def detail_panel() -> rx.Component:
    d = T.detail
    decidable = (d["decidable"] == "yes") & CAN_APPROVE
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.hstack(rx.text(d["reference"]), status_badge(d["status"], STATUS_COLOURS),
                                      spacing="3", align="center")),
            rx.dialog.description(d["kind"] + " · " + d["amount"] + " · " + d["value"], size="2",
                                  color="var(--gray-11)", margin_bottom="0.75rem"),
            error_note(T.detail_error, test_id="detail-error", margin_bottom="0.75rem"),
            rx.grid(
                rx.vstack(
                    rx.data_list.root(
                        _fact("Customer", d["customer"]),
                        _fact("E-mail", d["email"]),
                        _fact("KYC status", d["kyc_status"]),
                        _fact("Account type", d["account_type"]),
                        _fact("Platform", d["platform"]),
                        _fact("Method", d["method"]),
                        _fact("Details", d["extra"]),
                        _fact("Created", d["created"] + " (" + d["age"] + " ago)"),
                        _fact("First approval", d["first_approved_by"]),
                        _fact("Processed by", d["processed_by"]),
                        _fact("Decline reason", d["decline_reason"]),
                        size="1",
                    ),
                    _mini_table("Balances", T.detail_balances, [("Balance", "label"), ("Amount", "value")],
                                "No portfolio or wallet.", "detail-balances"),
                    _mini_table("Risk flags", T.detail_flags,
                                [("Check", "check"), ("Result", "result"), ("Level", "level"), ("Flags", "flags")],
                                "No compliance checks on record.", "detail-flags"),
                    spacing="3",
                    width="100%",
                ),
                rx.vstack(
                    rx.cond(
                        d["proof_url"] != "",
                        rx.vstack(
                            rx.text("Proof", size="2", weight="bold"),
                            rx.link(rx.image(src=d["proof_url"], alt="Payment proof", max_height="14rem",
                                             border_radius="var(--radius-2)", border="1px solid var(--gray-a5)"),
                                    href=d["proof_url"], is_external=True),
                            spacing="1",
                            custom_attrs={"data-testid": "detail-proof"},
                        ),
                    ),
                    _mini_table("Status history", T.detail_history,
                                [("When", "when"), ("From", "from"), ("To", "to"), ("By", "by"), ("Reason", "reason")],
                                "No status changes yet.", "detail-history"),
                    _mini_table("Recent transactions", T.detail_recent,
                                [("Reference", "reference"), ("Type", "kind"), ("Amount", "amount"),
                                 ("Status", "status")], "None.", "detail-recent"),
                    spacing="3",
                    width="100%",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                CAN_APPROVE,
                rx.vstack(
                    rx.separator(size="4", margin_y="0.75rem"),
                    _item_form(
                        "note-", T.save_note, "end",
                        rx.text_area(name="note", default_value=d["admin_note"], placeholder="Admin note (internal)",
                                     max_length=MAX_NOTE, rows="2", width="100%", id="tx-note"),
                        rx.button("Save note", type="submit", variant="soft", size="2",
                                  custom_attrs={"data-testid": "save-note"}),
                    ),
                    rx.cond(
                        decidable,
                        _item_form(
                            "decide-", T.decline_item, "center",
                            rx.input(name="reason", placeholder="Reason to decline (required to decline)",
                                     max_length=MAX_REASON, width="100%", id="tx-reason"),
                            rx.button(rx.icon("x", size=14), "Decline", type="submit", color_scheme="red",
                                      variant="soft", loading=T.acting, custom_attrs={"data-testid": "decline"}),
                            rx.button(rx.icon("check", size=14),
                                      rx.cond(d["status_code"] == "AWAITING_SECOND_APPROVAL", "Give second approval",
                                              "Approve"),
                                      type="button", on_click=T.approve_item, color_scheme="green",
                                      loading=T.acting, custom_attrs={"data-testid": "approve"}),
                        ),
                        rx.text("This item is no longer pending.", size="2", color="var(--gray-11)"),
                    ),
                    spacing="2",
                    width="100%",
                ),
                rx.cond(d["admin_note"] != "", rx.text("Note: " + d["admin_note"], size="2", margin_top="0.75rem")),
            ),
            rx.flex(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                justify="end",
                margin_top="1rem",
            ),
            max_width="62rem",
            custom_attrs={"data-testid": "detail-panel"},
        ),
        open=T.open_id != "",
        on_open_change=T.close_item,
    )


def bulk_dialog() -> rx.Component:
    verb = rx.cond(T.bulk_action == "approve", "Approve", "Decline")
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(verb + " " + T.bulk_count.to_string() + " items?"),
            rx.alert_dialog.description(
                rx.text(verb + " ", rx.text.strong(T.bulk_count.to_string() + " pending items"),
                        " totalling ", rx.text.strong(T.bulk_total),
                        ". Each item is decided on its own; you get a report per item.", size="2"),
                as_child=True,
            ),
            rx.cond(T.bulk_skipped > 0,
                    rx.text(T.bulk_skipped.to_string() + " selected items are no longer pending and will be skipped.",
                            size="2", color="var(--amber-11)", margin_top="0.5rem")),
            rx.form(
                rx.cond(
                    T.bulk_action == "decline",
                    rx.input(name="reason", placeholder="Reason (required, sent to each customer)",
                             max_length=MAX_REASON, width="100%", margin_top="0.75rem", id="bulk-reason"),
                ),
                error_note(T.dialog_error, margin_top="0.75rem"),
                dialog_actions(verb + " " + T.bulk_count.to_string(), busy=T.busy, test_id="bulk-confirm",
                               color_scheme=rx.cond(T.bulk_action == "approve", "green", "red"), alert=True,
                               margin_top="1.25rem"),
                on_submit=T.confirm_bulk,
                reset_on_submit=False,
            ),
            max_width="32rem",
            custom_attrs={"data-testid": "bulk-dialog"},
        ),
        open=T.bulk_open,
        on_open_change=T.dialog_changed,
    )

