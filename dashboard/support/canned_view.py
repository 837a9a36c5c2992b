"""The canned replies in the thread: the menu that puts one into the reply box, the dialog where agents
manage them, and the confirmation before deleting one."""

from __future__ import annotations

import reflex as rx

from dashboard.support import rules
from dashboard.support.state import SupportState as S
from dashboard.ui.components.confirm import confirm_dialog
from dashboard.ui.components.dialogs import dialog_actions
from dashboard.ui.components.page import error_note


def canned_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(rx.button(rx.icon("message_square_text", size=14), "Canned reply", type="button",
                                  variant="soft", color_scheme="gray", custom_attrs={"data-testid": "support-canned"})),
        rx.menu.content(
            rx.cond(S.canned.length() == 0, rx.menu.item("No canned replies yet", disabled=True)),
            rx.foreach(S.canned, lambda c: rx.menu.item(c["title"], on_select=S.use_canned(c["id"]),
                                                        custom_attrs={"data-testid": "support-canned-item"})),
            rx.menu.separator(),
            rx.menu.item("Manage canned replies…", on_select=S.ask("canned", "")),
        ),
    )


def _canned_row(c: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(c["title"], size="2", weight="medium"), rx.text(c["preview"], size="1",
                                                                          color="var(--gray-11)"), spacing="0"),
        rx.spacer(),
        rx.button("Edit", size="1", variant="soft", type="button", on_click=S.ask("canned", c["id"])),
        rx.button("Delete", size="1", variant="soft", color_scheme="red", type="button",
                  on_click=S.ask("delete_canned", c["id"])),
        width="100%", align="center", custom_attrs={"data-testid": "support-canned-row"},
    )


def _canned_dialog() -> rx.Component:
    f = S.canned_form
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Canned replies"),
            rx.dialog.description("Standard answers for every agent. {first_name} becomes the customer's first name.",
                                  size="2", margin_bottom="0.75rem"),
            rx.vstack(rx.foreach(S.canned, _canned_row), spacing="2", width="100%", max_height="14rem",
                      overflow_y="auto"),
            rx.separator(margin_y="0.75rem"),
            rx.form(
                rx.vstack(
                    rx.hstack(rx.text(rx.cond(f["id"] != "", "Edit canned reply", "New canned reply"), weight="bold",
                                      size="2"),
                              rx.cond(f["id"] != "", rx.button("New instead", size="1", variant="ghost", type="button",
                                                               on_click=S.ask("canned", ""))),
                              justify="between", width="100%"),
                    rx.el.input(type="hidden", name="id", value=f["id"], read_only=True),
                    rx.input(name="title", default_value=f["title"], placeholder="Title", width="100%",
                             max_length=rules.MAX_TITLE, id="support-canned-title",
                             custom_attrs={"aria-label": "Title"}),
                    rx.text_area(name="body", default_value=f["body"], placeholder="Text", rows="4", width="100%",
                                 id="support-canned-body", custom_attrs={"aria-label": "Text"}),
                    error_note(S.canned_error, test_id="support-canned-error", width="100%"),
                    dialog_actions("Save", busy=S.busy, test_id="support-canned-save", cancel_label="Close",
                                   width="100%"),
                    spacing="2", width="100%",
                ),
                on_submit=S.save_canned, reset_on_submit=False, key=S.canned_key.to_string(),
            ),
            max_width="36rem",
            custom_attrs={"data-testid": "support-canned-dialog"},
        ),
        open=S.canned_open,
        on_open_change=S.dialog_changed,
    )


def canned_dialogs() -> rx.Component:
    return rx.fragment(
        _canned_dialog(),
        confirm_dialog(
            open=S.delete_open,
            on_open_change=S.dialog_changed,
            title="Delete this canned reply?",
            description=rx.text("“", S.delete_title, "” is removed for every agent.", size="2"),
            confirm_label="Delete",
            on_confirm=S.confirm_delete_canned,
            busy=S.busy,
            test_id="support-delete-dialog",
        ),
    )
