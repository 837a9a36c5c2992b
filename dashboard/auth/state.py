"""The states of the sign-in pages (``/login`` and ``/login/2fa``).

The forms post straight to the plain-HTTP endpoints (``dashboard/web/auth.py``), so the session token
only ever lives in an HttpOnly cookie. These states only read the outcome code from the URL and map it
to a fixed message; nothing from the URL is shown as is. Both handlers are public: nobody is signed in
yet, so they call the sign-in functions with the cookie's token rather than as an actor.
"""

from __future__ import annotations

import reflex as rx

from dashboard.auth import signin
from dashboard.core.errors import DomainError
from dashboard.db import run_db
from dashboard.ui import screens as routes
from dashboard.ui.auth_state import AuthState, public, token_from_cookie_header
from dashboard.web.auth import MESSAGES, landing_page, safe_next


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
        self.loading = True
        yield
        try:
            enrolment = await run_db(
                signin.begin_totp_enrollment,
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
