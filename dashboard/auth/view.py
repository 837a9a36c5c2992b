"""The sign-in pages: ``/login`` (email and password) and ``/login/2fa`` (the authenticator code, or
setting one up). Both forms are plain HTML forms posting to the HTTP endpoints; see ``state.py``."""

from __future__ import annotations

import reflex as rx

from dashboard.auth.state import LoginState, TwoFactorState
from dashboard.ui import screens as routes
from dashboard.ui.components.native_form import native_form
from dashboard.ui.components.page import icon_tile

CODE_LENGTH = 6


def _brand() -> rx.Component:
    return rx.hstack(
        icon_tile("landmark", icon_size=20, color="white", background="var(--accent-9)"),
        rx.vstack(
            rx.text(routes.PRODUCT_NAME, size="4", weight="bold"),
            rx.text(routes.PRODUCT_TAGLINE, size="1", color="var(--gray-11)"),
            spacing="0",
        ),
        align="center",
        spacing="3",
        margin_bottom="1.25rem",
    )


def _frame(*children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(rx.vstack(_brand(), *children, spacing="4", width="100%"), width="100%", max_width="26rem", size="3"),
        min_height="100vh",
        padding="1.5rem",
        background_color="var(--gray-2)",
    )


def _message(text: rx.Var, info: rx.Var | bool = False) -> rx.Component:
    return rx.cond(
        text != "",
        rx.callout.root(
            rx.callout.icon(rx.icon(rx.cond(info, "info", "triangle_alert"))),
            rx.callout.text(text),
            color_scheme=rx.cond(info, "blue", "red"),
            variant="surface",
            role="alert",
            width="100%",
        ),
    )


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.el.label(
        rx.text(label, size="2", weight="medium", margin_bottom="0.35rem", as_="div"),
        control,
        display="block",
        width="100%",
    )


def _post_form(action: str, *fields: rx.Component, hidden: dict[str, rx.Var],
               submit: tuple[str, str]) -> rx.Component:
    """A plain HTML form posting to a sign-in endpoint: its fields, hidden values, and the button
    (text, id)."""
    text, button_id = submit
    return native_form(
        rx.vstack(
            *fields,
            *[rx.el.input(type="hidden", name=name, value=value) for name, value in hidden.items()],
            rx.button(text, type="submit", size="3", width="100%", id=button_id),
            spacing="4",
            width="100%",
        ),
        action=action,
        width="100%",
    )


def login_page() -> rx.Component:
    return _frame(
        rx.heading("Sign in", as_="h1", size="6"),
        _message(LoginState.message, LoginState.message_is_info),
        _post_form(
            routes.AUTH_LOGIN,
            _field(
                "Email",
                rx.input(name="email", type="email", required=True, auto_focus=True, auto_complete="username",
                         max_length=255, size="3", width="100%", id="email"),
            ),
            _field(
                "Password",
                rx.input(name="password", type="password", required=True, auto_complete="current-password",
                         max_length=256, size="3", width="100%", id="password"),
            ),
            hidden={"next": LoginState.next_path},
            submit=("Sign in", "sign-in"),
        ),
        rx.text(
            "For back-office staff and group officers. Customer accounts sign in on their own platform.",
            size="1",
            color="var(--gray-11)",
        ),
    )


def second_factor_page() -> rx.Component:
    enrol = TwoFactorState.mode == "enrol"
    return _frame(
        rx.heading(rx.cond(enrol, "Set up two-step sign-in", "Two-step sign-in"), as_="h1", size="6"),
        _message(TwoFactorState.message),
        rx.cond(
            enrol,
            rx.vstack(
                rx.text(
                    "Your role needs an authenticator app. Scan this code with it (or type the key), "
                    "then enter the 6-digit code it shows.",
                    size="2",
                    color="var(--gray-11)",
                ),
                rx.cond(
                    TwoFactorState.qr_data_uri != "",
                    rx.image(src=TwoFactorState.qr_data_uri, alt="QR code for the authenticator app", width="11rem",
                             height="11rem"),
                    rx.spinner(size="3"),
                ),
                rx.code(TwoFactorState.secret, size="2", id="totp-secret"),
                spacing="3",
                align="center",
                width="100%",
            ),
            rx.text("Enter the 6-digit code from your authenticator app.", size="2", color="var(--gray-11)"),
        ),
        _post_form(
            routes.AUTH_TOTP,
            _field(
                "Code",
                rx.input(name="code", required=True, auto_focus=True, auto_complete="one-time-code",
                         input_mode="numeric", pattern="[0-9]{6}", max_length=CODE_LENGTH, size="3",
                         width="100%", id="code"),
            ),
            hidden={"mode": TwoFactorState.mode, "next": TwoFactorState.next_path},
            submit=("Continue", "verify"),
        ),
        rx.link("Start again", href=routes.LOGIN, size="2"),
    )
