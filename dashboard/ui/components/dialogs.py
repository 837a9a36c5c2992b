"""Dialog parts: the footer every dialog ends with (a grey "Cancel" that closes it, then the dialog's own
button) and the dialog that is one short form."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.ui.components.page import error_note


def dialog_actions(
    submit_label: rx.Var | str,
    *,
    busy: rx.Var | bool,
    test_id: str = "",
    color_scheme: rx.Var | str | None = None,
    cancel_label: str = "Cancel",
    alert: bool = False,
    submit: dict[str, Any] | None = None,
    **props: Any,
) -> rx.Component:
    """Cancel (closes the dialog; disabled while ``busy``) and the dialog's button, right-aligned.

    The button is the form's submit button and spins while ``busy``; ``submit`` adds to or overrides
    its props (e.g. ``{"type": "button", "on_click": ...}`` outside a form). ``alert`` is for a
    Radix alert dialog, whose Cancel takes the focus when it opens. ``props`` go to the row
    (``width``, ``margin_top``)."""
    close = rx.alert_dialog.cancel if alert else rx.dialog.close
    colour = {"color_scheme": color_scheme} if color_scheme is not None else {}
    return rx.flex(
        close(rx.button(cancel_label, type="button", variant="soft", color_scheme="gray", disabled=busy)),
        rx.button(submit_label, **{"type": "submit", **colour, **(submit or {})}, loading=busy,
                  custom_attrs={"data-testid": test_id} if test_id else {}),
        gap="3",
        justify="end",
        **props,
    )


def form_dialog(
    title: rx.Var | str,
    *fields: rx.Component,
    open: rx.Var,
    on_open_change: rx.EventHandler,
    on_submit: rx.EventHandler,
    error: rx.Var,
    submit_label: str,
    busy: rx.Var | bool,
    submit_test_id: str,
    description: str = "",
    color_scheme: str = "red",
    reset_on_submit: bool = False,
    max_width: str = "30rem",
    error_test_id: str = "",
    test_id: str = "",
) -> rx.Component:
    """A dialog that is one form (a reason to give, a note to write): its fields, the refusal note
    (shown while ``error`` is not empty) and Cancel + the submit button. It stays open until the
    page's handler closes it, so a refusal shows inside it."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(title),
            *([rx.dialog.description(description, size="2", margin_bottom="0.75rem")] if description else []),
            rx.form(
                rx.vstack(
                    *fields,
                    error_note(error, test_id=error_test_id, width="100%"),
                    dialog_actions(submit_label, busy=busy, test_id=submit_test_id, color_scheme=color_scheme,
                                   width="100%"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=on_submit,
                reset_on_submit=reset_on_submit,
            ),
            max_width=max_width,
            custom_attrs={"data-testid": test_id} if test_id else {},
        ),
        open=open,
        on_open_change=on_open_change,
    )
