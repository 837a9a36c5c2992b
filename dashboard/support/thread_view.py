"""The open thread (``/support?ticket=<id>``): the ticket header with the status / priority / category /
assignee controls, the conversation oldest first with the reply form, internal notes apart from the
replies, and the customer card (KYC status, account type, recent transactions). While the thread is
shown a hidden timer polls every few seconds (``SupportState.poll_thread``).

Customer text is only ever drawn as text (``rx.text``), never as HTML or markdown.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.models.enums import label
from dashboard.support import rules
from dashboard.support.canned_view import canned_dialogs, canned_menu
from dashboard.support.state import SupportState as S
from dashboard.ui.components.data_table import labelled, status_badge
from dashboard.ui.components.page import error_note

POLL_MS = 4000
STATUS_COLOURS = {"Open": "blue", "In Progress": "amber", "Resolved": "green", "Closed": "gray"}
PRIORITY_COLOURS = {"Low": "gray", "Normal": "blue", "High": "orange", "Urgent": "red"}
SLA_COLOURS = {"overdue": "red", "due_soon": "amber", "on_time": "green", "met": "green", "missed": "orange",
               "none": "gray"}
KYC_COLOURS = {"Approved": "green", "Pending": "gray", "Under Review": "blue", "Rejected": "red",
               "Resubmit Required": "amber", "Not Started": "gray"}


def _fact(name: str, value: Any) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(name, min_width="7rem"),
                             rx.data_list.value(value if isinstance(value, rx.Component) else
                                                rx.text(value, size="2", word_break="break-word")))


def _customer_card() -> rx.Component:
    c = S.customer
    return rx.card(
        rx.heading("Customer", size="3", margin_bottom="0.5rem"),
        rx.data_list.root(
            _fact("Name", c["name"]), _fact("Email", c["email"]),
            _fact("KYC status", status_badge(c["kyc_label"], KYC_COLOURS)),
            _fact("Account type", c["account_type"]), _fact("Platform", c["platform"]),
            _fact("Country", c["country"]), _fact("Customer since", c["since"]),
            size="1",
        ),
        rx.heading("Recent transactions", size="2", margin_top="0.75rem", margin_bottom="0.25rem"),
        rx.cond(
            S.transactions.length() > 0,
            rx.vstack(rx.foreach(S.transactions, lambda t: rx.hstack(
                rx.text(t["when"], size="1", color="var(--gray-11)", white_space="nowrap"),
                rx.text(t["type"], size="1"),
                rx.text(t["amount"], size="1", weight="medium"),
                rx.badge(t["status"], size="1", variant="soft", color_scheme="gray"),
                spacing="2", wrap="wrap", custom_attrs={"data-testid": "support-transaction"},
            )), spacing="1"),
            rx.text("No transactions.", size="1", color="var(--gray-11)"),
        ),
        size="2",
        width="100%",
        custom_attrs={"data-testid": "support-customer"},
    )


def _message(msg: rx.Var) -> rx.Component:
    staff = msg["side"] == "staff"
    return rx.box(
        rx.hstack(
            rx.text(msg["sender"], size="1", weight="bold"),
            rx.text(msg["role"], size="1", color="var(--gray-11)"),
            rx.text(msg["when"], size="1", color="var(--gray-10)"),
            spacing="2", wrap="wrap",
        ),
        # Plain text only: customer messages are never interpreted as HTML or markdown.
        rx.text(msg["text"], size="2", white_space="pre-wrap", word_break="break-word", margin_top="0.25rem",
                custom_attrs={"data-testid": "support-message-text"}),
        rx.cond(msg["attachment_url"] != "",
                rx.link(rx.hstack(rx.icon("paperclip", size=13), rx.text(msg["attachment"], " (",
                                                                          msg["attachment_size"], ")", size="1")),
                        href=msg["attachment_url"], is_external=True, margin_top="0.25rem",
                        custom_attrs={"data-testid": "support-attachment"})),
        background=rx.cond(staff, "var(--accent-a3)", "var(--gray-a3)"),
        border_radius="8px",
        padding="0.6rem 0.8rem",
        max_width="85%",
        align_self=rx.cond(staff, "flex-end", "flex-start"),
        custom_attrs={"data-testid": "support-message", "data-side": msg["side"]},
    )


def _note(msg: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(rx.text(msg["sender"], size="1", weight="bold"), rx.text(msg["when"], size="1",
                                                                             color="var(--gray-10)"), spacing="2"),
        rx.text(msg["text"], size="2", white_space="pre-wrap", word_break="break-word"),
        background="var(--amber-a3)", border_radius="6px", padding="0.5rem 0.7rem", width="100%",
        custom_attrs={"data-testid": "support-note"},
    )


def _control(name: str, value: rx.Var, items: list[tuple[str, str]], width: str = "9rem",
             agents: bool = False) -> rx.Component:
    control_id = f"support-{name}"
    content = (rx.select.content(rx.select.item("Unassigned", value="NONE"),
                                 rx.foreach(S.agents, lambda a: rx.select.item(a["email"], value=a["id"])))
               if agents else rx.select.content(*[rx.select.item(t, value=v) for v, t in items]))
    return labelled(
        name.title(),
        rx.select.root(rx.select.trigger(width=width, id=control_id), content,
                       value=rx.cond(value != "", value, "NONE"),
                       on_change=lambda chosen: S.change_ticket(name, chosen),
                       disabled=~S.can_reply | S.busy),
        html_for=control_id,
    )


def _ticket_header() -> rx.Component:
    t = S.ticket
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t["number"], " · ", t["subject"], size="4"),
                status_badge(t["status_label"], STATUS_COLOURS),
                status_badge(t["priority_label"], PRIORITY_COLOURS),
                rx.badge(t["sla_label"], " (target ", t["target"], ")", variant="soft", radius="full",
                         color_scheme=rx.match(t["sla_state"], *SLA_COLOURS.items(), "gray")),
                spacing="2", align="center", wrap="wrap",
            ),
            rx.text("Opened ", t["created"], " · last reply ", t["last_reply"], " · first response ",
                    t["first_response"], rx.cond(t["closed"] != "", " · closed " + t["closed"], ""),
                    size="1", color="var(--gray-11)"),
            rx.cond(S.viewers_label != "",
                    rx.callout.root(rx.callout.icon(rx.icon("eye")), rx.callout.text(S.viewers_label),
                                    color_scheme="amber", variant="surface", size="1",
                                    custom_attrs={"data-testid": "support-viewers"})),
            rx.flex(
                _control("status", t["status"], [(s, label(s)) for s in rules.STATUSES]),
                _control("priority", t["priority"], [(p, label(p)) for p in rules.PRIORITIES], "8rem"),
                _control("category", t["category"], [(c, label(c)) for c in rules.CATEGORIES] +
                         [("NONE", "No category")]),
                _control("assignee", t["assignee_id"], [], "15rem", agents=True),
                gap="3", wrap="wrap",
            ),
            spacing="2",
            width="100%",
        ),
        size="2",
        custom_attrs={"data-testid": "support-ticket-header", "data-status": t["status"]},
    )


def _reply_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label(rx.text("Reply to the customer", size="2", weight="medium"), html_for="support-reply"),
            rx.text_area(name="body", id="support-reply", default_value=S.reply_draft, key=S.reply_key.to_string(),
                         rows="5", width="100%", max_length=rules.MAX_MESSAGE + 1000,
                         placeholder="Write a reply the customer will see…"),
            error_note(S.reply_error, test_id="support-reply-error", width="100%"),
            rx.hstack(
                canned_menu(),
                rx.button(rx.icon("send", size=14), "Send reply", type="submit", loading=S.busy,
                          custom_attrs={"data-testid": "support-send"}),
                justify="end", width="100%", spacing="2",
            ),
            spacing="2", width="100%",
        ),
        on_submit=S.send_reply,
        reset_on_submit=False,
        width="100%",
    )


def _conversation() -> rx.Component:
    return rx.card(
        rx.heading("Conversation", size="3", margin_bottom="0.5rem"),
        rx.cond(S.new_notice != "",
                rx.callout.root(rx.callout.icon(rx.icon("bell")), rx.callout.text(S.new_notice), color_scheme="blue",
                                variant="surface", size="1", margin_bottom="0.5rem",
                                custom_attrs={"data-testid": "support-new-notice"})),
        rx.vstack(rx.foreach(S.messages, _message), spacing="2", width="100%", align="stretch",
                  custom_attrs={"data-testid": "support-messages"}),
        rx.cond(S.can_reply, rx.box(rx.separator(margin_y="0.75rem"), _reply_form(), width="100%"),
                rx.text("You can read this ticket; replying needs a support agent.", size="1",
                        color="var(--gray-11)", margin_top="0.75rem")),
        size="2",
        width="100%",
    )


def _notes_card() -> rx.Component:
    return rx.card(
        rx.hstack(rx.icon("lock", size=14), rx.heading("Internal notes", size="3"), align="center", spacing="2"),
        rx.text("Staff only: never shown to the customer.", size="1", color="var(--gray-11)", margin_bottom="0.5rem"),
        rx.vstack(rx.foreach(S.notes, _note), spacing="2", width="100%",
                  custom_attrs={"data-testid": "support-notes"}),
        rx.cond(
            S.can_reply,
            rx.form(
                rx.vstack(
                    rx.text_area(name="note", id="support-note", key=S.note_key.to_string(), rows="3", width="100%",
                                 placeholder="Add an internal note…", max_length=rules.MAX_MESSAGE + 1000,
                                 custom_attrs={"aria-label": "Internal note"}),
                    error_note(S.note_error, test_id="support-note-error", width="100%"),
                    rx.button(rx.icon("sticky_note", size=14), "Add note", type="submit", variant="soft",
                              color_scheme="amber", loading=S.busy, custom_attrs={"data-testid": "support-add-note"}),
                    spacing="2", width="100%", align="end",
                ),
                on_submit=S.add_note, reset_on_submit=False, width="100%", margin_top="0.5rem",
            ),
        ),
        size="2",
        width="100%",
        custom_attrs={"data-testid": "support-notes-card"},
    )


def thread() -> rx.Component:
    return rx.vstack(
        rx.box(rx.button(rx.icon("arrow_left", size=14), "Back to the inbox", on_click=S.close_item,
                         variant="ghost", custom_attrs={"data-testid": "support-back"})),
        _ticket_header(),
        rx.grid(
            _conversation(),
            rx.vstack(_customer_card(), _notes_card(), spacing="3", width="100%"),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="3",
            width="100%",
        ),
        # The poll: a hidden timer that only exists while a thread is shown (unmounted on leaving it or
        # the page), calling the guarded ``poll_thread`` every few seconds.
        rx.moment(interval=POLL_MS, format="HH:mm:ss", on_change=S.poll_thread, display="none"),
        canned_dialogs(),
        spacing="3",
        width="100%",
        align="stretch",
        custom_attrs={"data-testid": "support-thread"},
    )
