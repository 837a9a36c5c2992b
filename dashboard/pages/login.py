"""Sign-in (``/login``) and the second step (``/login/2fa``).

The forms post straight to ``dashboard/web_auth.py`` (plain HTTP, so the session token only ever
lives in an HttpOnly cookie). These states only read the outcome code from the URL and map it to a
fixed message; nothing from the URL is shown as is.
"""

from __future__ import annotations

import reflex as rx

from dashboard.ui import screens as routes
from dashboard.ui.components.native_form import native_form
from dashboard.db import run_db
from dashboard.core.errors import DomainError
from dashboard.ui.auth_state import AuthState, public, token_from_cookie_header
from dashboard.web.auth import MESSAGES, landing_page, safe_next

CODE_LENGTH = 6


class LoginState(AuthState):
    message: str = ""
    message_is_info: bool = False
    next_path: str = routes.OVERVIEW

    def _read_query(self) -> None:
        params = self.router.url.query_parameters
        code = params.get("error", "")
        self.message = MESSAGES.get(code, "") if isinstance(code, str) else ""
        self.message_is_info = code == "signed_out"
        self.next_path = safe_next(params.get("next"))

    @public()
    async def load_login(self):
        """Show the outcome of the last attempt; skip the form when the session is still valid."""
        self._read_query()
        try:
            actor = await self._resolve_actor()
        except DomainError:
            self._signed_out()
            return
        except Exception:
            return
        self._show_officer(actor)
        return rx.redirect(landing_page(actor, self.next_path))


class TwoFactorState(AuthState):
    mode: str = "verify"  # "verify" or "enrol"
    message: str = ""
    next_path: str = routes.OVERVIEW
    secret: str = ""
    qr_data_uri: str = ""
    loading: bool = False

    @public()
    async def load_second_factor(self):
        """For a set-up, fetch a new authenticator secret for the pending session in the cookie."""
        params = self.router.url.query_parameters
        self.mode = "enrol" if params.get("mode") == "enrol" else "verify"
        self.message = MESSAGES.get(params.get("error", ""), "")
        self.next_path = safe_next(params.get("next"))
        self.secret = self.qr_data_uri = ""
        if self.mode != "enrol":
            return
        token = token_from_cookie_header(self.router.headers.cookie)
        if token is None:
            yield rx.redirect(routes.LOGIN + "?error=expired")
            return
        from dashboard.services import auth

        self.loading = True
        yield
        try:
            enrolment = await run_db(
                auth.begin_totp_enrollment,
                token=token,
                ip_address=self.router.session.client_ip or None,
                user_agent=(self.router.headers.user_agent or "")[:500] or None,
            )
        except DomainError as exc:
            self.loading = False
            self.message = str(exc)
            return
        self.secret = " ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
        self.qr_data_uri = _qr_svg(enrolment.provisioning_uri)
        self.loading = False


def _qr_svg(uri: str) -> str:
    """The otpauth URI as a QR code, an SVG data URI drawn in the page (no request anywhere)."""
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _brand() -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.icon("landmark", size=20, color="white"),
            width="2.25rem",
            height="2.25rem",
            border_radius="var(--radius-3)",
            background_color="var(--accent-9)",
        ),
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


def login_page() -> rx.Component:
    return _frame(
        rx.heading("Sign in", as_="h1", size="6"),
        _message(LoginState.message, LoginState.message_is_info),
        native_form(
            rx.vstack(
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
                rx.el.input(type="hidden", name="next", value=LoginState.next_path),
                rx.button("Sign in", type="submit", size="3", width="100%", id="sign-in"),
                spacing="4",
                width="100%",
            ),
            action=routes.AUTH_LOGIN,
            width="100%",
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
        native_form(
            rx.vstack(
                _field(
                    "Code",
                    rx.input(name="code", required=True, auto_focus=True, auto_complete="one-time-code",
                             input_mode="numeric", pattern="[0-9]{6}", max_length=CODE_LENGTH, size="3",
                             width="100%", id="code"),
                ),
                rx.el.input(type="hidden", name="mode", value=TwoFactorState.mode),
                rx.el.input(type="hidden", name="next", value=TwoFactorState.next_path),
                rx.button("Continue", type="submit", size="3", width="100%", id="verify"),
                spacing="4",
                width="100%",
            ),
            action=routes.AUTH_TOTP,
            width="100%",
        ),
        rx.link("Start again", href=routes.LOGIN, size="2"),
    )
