"""The staff screen's dialogs: new account, change role, reset password, and the confirmations
(deactivate, reactivate, reset two-step sign-in, end a session). Each is open while
``StaffState.dialog`` names it; a refusal shows inside it (``dialog_error`` / ``field_errors``)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.auth.passwords import MIN_PASSWORD_LENGTH
from dashboard.staff.rules import STAFF_ROLE_ORDER
from dashboard.staff.state import StaffState as S
from dashboard.ui.auth_state import ROLE_LABELS
from dashboard.ui.components.confirm import confirm_dialog
from dashboard.ui.components.dialogs import dialog_actions
from dashboard.ui.components.page import error_note

PASSWORD_RULE = (f"At least {MIN_PASSWORD_LENGTH} characters. Share it through a safe channel; "
                 "it is never shown again.")


def role_options() -> list[rx.Component]:
    return [rx.select.item(ROLE_LABELS[role], value=role) for role in STAFF_ROLE_ORDER]


def _field(label: str, control: rx.Component, name: str, hint: str = "") -> rx.Component:
    error = S.field_errors.get(name, "")
    return rx.el.label(
        rx.text(label, size="2", weight="medium", as_="div", margin_bottom="0.3rem"),
        control,
        *([rx.text(hint, size="1", color="var(--gray-11)", as_="div", margin_top="0.25rem")] if hint else []),
        rx.cond(
            error != "",
            rx.text(error, size="1", color="var(--red-11)", as_="div", margin_top="0.25rem", role="alert",
                    id=f"{name}-error"),
        ),
        display="block",
        width="100%",
    )


def _dialog_error() -> rx.Component:
    return error_note(S.dialog_error)


def _dialog_buttons(submit_label: str, test_id: str, **submit: Any) -> rx.Component:
    """Cancel, and the dialog's button (a form's submit button unless ``submit`` says otherwise)."""
    return dialog_actions(submit_label, busy=S.busy, test_id=test_id, submit=submit, width="100%", margin_top="0.5rem")


def _dialog(kind: str, title: str, description: rx.Component, body: rx.Component, *, test_id: str,
            max_width: str = "30rem") -> rx.Component:
    """A dialog of the screen: open while ``S.dialog`` is ``kind``; Escape/Cancel/outside closes it."""
    return rx.dialog.root(
        rx.dialog.content(rx.dialog.title(title), description, body, max_width=max_width,
                          custom_attrs={"data-testid": test_id}),
        open=S.dialog == kind,
        on_open_change=S.dialog_changed,
    )


def _form(on_submit: Any, *children: rx.Component) -> rx.Component:
    """A dialog's form: the refusal note, the fields and the buttons (checked on the server only)."""
    return rx.form(
        rx.vstack(_dialog_error(), *children, spacing="3", width="100%"),
        on_submit=on_submit,
        reset_on_submit=False,
        no_validate=True,
    )


def _create_dialog() -> rx.Component:
    return _dialog(
        "create", "New staff member",
        rx.dialog.description(
            "The account can sign in at once. Administrators set up two-step sign-in at their first sign-in.",
            size="2",
            color="var(--gray-11)",
            margin_bottom="1rem",
        ),
        _form(
            S.create_staff,
            _field("Email", rx.input(name="email", type="email", auto_focus=True, auto_complete="off",
                                     max_length=254, width="100%", id="new-email"), "email"),
            rx.hstack(
                _field("First name", rx.input(name="first_name", max_length=150, width="100%",
                                              id="new-first-name"), "first_name"),
                _field("Last name", rx.input(name="last_name", max_length=150, width="100%",
                                             id="new-last-name"), "last_name"),
                spacing="3",
                width="100%",
            ),
            _field(
                "Role",
                rx.select.root(
                    rx.select.trigger(placeholder="Choose a role", width="100%", id="new-role"),
                    rx.select.content(*role_options()),
                    name="role",
                    default_value="SUPPORT",
                ),
                "role",
            ),
            _field("Initial password", rx.input(name="password", type="password", auto_complete="new-password",
                                                max_length=256, width="100%", id="new-password"),
                   "password", PASSWORD_RULE),
            _dialog_buttons("Create account", "create-submit"),
        ),
        test_id="create-dialog",
        max_width="32rem",
    )


def _role_dialog() -> rx.Component:
    new_label = rx.match(S.role_choice, *[(r, ROLE_LABELS[r]) for r in STAFF_ROLE_ORDER], "")
    return _dialog(
        "role", "Change role",
        rx.dialog.description(
            "Choose the new role of ", rx.text.strong(S.target_name), " (", S.target_email, ").",
            size="2",
            margin_bottom="1rem",
        ),
        rx.vstack(
            _dialog_error(),
            rx.el.label(
                rx.text("Role", size="2", weight="medium", as_="div", margin_bottom="0.3rem"),
                rx.select.root(
                    rx.select.trigger(width="100%", id="role-choice"),
                    rx.select.content(*role_options()),
                    value=S.role_choice,
                    on_change=S.choose_role,
                ),
                display="block",
                width="100%",
            ),
            rx.cond(
                S.role_choice != S.target_role,
                rx.text(
                    S.target_name, " changes from ", rx.text.strong(S.target_detail), " to ",
                    rx.text.strong(new_label), ". Their screens and permissions change with their next action.",
                    size="2",
                    color="var(--gray-11)",
                ),
                rx.text("This is their current role.", size="2", color="var(--gray-11)"),
            ),
            _dialog_buttons("Change role", "role-submit", type="button",
                            on_click=S.change_role(S.target_id, S.role_choice),
                            disabled=S.role_choice == S.target_role),
            spacing="3",
            width="100%",
        ),
        test_id="role-dialog",
    )


def _password_dialog() -> rx.Component:
    return _dialog(
        "password", "Reset password",
        rx.dialog.description(
            "Set a new password for ", rx.text.strong(S.target_name), " (", S.target_email, "). ",
            "Their failed-attempt lockout is cleared and every session of theirs ends at once.",
            size="2",
            margin_bottom="1rem",
        ),
        _form(
            lambda form_data: S.reset_password(S.target_id, form_data),
            _field("New password", rx.input(name="new_password", type="password", auto_focus=True,
                                            auto_complete="new-password", max_length=256, width="100%",
                                            id="reset-password"),
                   "new_password", PASSWORD_RULE),
            _dialog_buttons("Set password", "password-submit"),
        ),
        test_id="password-dialog",
    )


def _who() -> rx.Component:
    return rx.text.strong(S.target_name, " (", S.target_email, ")")


def _confirm(kind: str, title: str, description: rx.Component, confirm_label: str, on_confirm: rx.event.EventSpec,
             test_id: str, *, danger: bool = True) -> rx.Component:
    return confirm_dialog(open=S.dialog == kind, on_open_change=S.dialog_changed, title=title,
                          description=description, confirm_label=confirm_label, on_confirm=on_confirm, busy=S.busy,
                          error=S.dialog_error, danger=danger, test_id=test_id)


def _confirm_dialogs() -> list[rx.Component]:
    return [
        _confirm(
            "deactivate", "Deactivate this account?",
            rx.text(_who(), " can no longer sign in, and every session of theirs ends at once. "
                    "You can reactivate the account later.", size="2"),
            "Deactivate and sign out", S.deactivate(S.target_id), "deactivate-dialog",
        ),
        _confirm(
            "reactivate", "Reactivate this account?",
            rx.text(_who(), " can sign in again with their current password.", size="2"),
            "Reactivate", S.reactivate(S.target_id), "reactivate-dialog", danger=False,
        ),
        _confirm(
            "two_factor", "Reset two-step sign-in?",
            rx.text("The authenticator app of ", _who(), " stops working here, and every session of theirs ends "
                    "at once. They set up a new authenticator at their next sign-in.", size="2"),
            "Reset two-step sign-in", S.reset_two_factor(S.target_id), "two-factor-dialog",
        ),
        _confirm(
            "revoke", "End this session?",
            rx.text("The session of ", _who(), " on ", S.target_detail, " ends at once; they must sign in again.",
                    rx.cond(S.target_is_current,
                            rx.text.strong(" This is your own session: you will be signed out.")),
                    size="2"),
            "End session", S.revoke_session(S.target_id), "revoke-dialog",
        ),
    ]


def dialogs() -> list[rx.Component]:
    """Every dialog of the screen (each renders only while open)."""
    return [_create_dialog(), _role_dialog(), _password_dialog(), *_confirm_dialogs()]
