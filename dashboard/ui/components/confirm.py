"""A confirmation dialog for an action that changes something (Radix alert dialog).

The dialog is controlled by the page's state: ``open`` is a Var, and ``on_open_change`` receives
``False`` when the officer presses Escape or "Cancel". The confirm button does not close the dialog
itself: the page's handler closes it once the server has done the work, so an error can be shown in
the dialog (``error``). "Cancel" takes the focus when the dialog opens, so Enter never confirms a
destructive action by accident.
"""

from __future__ import annotations

import reflex as rx

from dashboard.ui.components.dialogs import dialog_actions
from dashboard.ui.components.page import error_note


def confirm_dialog(
    *,
    open: rx.Var,
    on_open_change: rx.EventHandler,
    title: rx.Var | str,
    description: rx.Var | str | rx.Component,
    confirm_label: rx.Var | str,
    on_confirm: rx.EventHandler | rx.event.EventSpec,
    busy: rx.Var | bool = False,
    error: rx.Var | None = None,
    danger: bool = True,
    details: rx.Component | None = None,
    test_id: str = "",
) -> rx.Component:
    body = description if isinstance(description, rx.Component) else rx.text(description, size="2")
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(body, size="2", as_child=isinstance(description, rx.Component)),
            *([details] if details is not None else []),
            *([error_note(error, margin_top="0.75rem")] if error is not None else []),
            dialog_actions(
                confirm_label,
                busy=busy,
                test_id=f"{test_id}-confirm" if test_id else "",
                color_scheme="red" if danger else "indigo",
                alert=True,
                submit={"type": "button", "on_click": on_confirm},
                margin_top="1.25rem",
            ),
            max_width="30rem",
            custom_attrs={"data-testid": test_id} if test_id else {},
        ),
        open=open,
        on_open_change=on_open_change,
    )
