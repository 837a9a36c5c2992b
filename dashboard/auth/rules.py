"""The vocabulary of signing in: limits, messages, results, and the cleaning of what a request sends.

No database work here. The clock is ``utcnow``: every sign-in and session function (and the staff
actions) reads the time through ``rules.utcnow()``, so a test replaces it in one place with
``monkeypatch.setattr(rules, "utcnow", ...)``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from dashboard.config import get_settings
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput, NotAuthenticated
from dashboard.models import User
from dashboard.models.enums import Role, TwoFactorMethod

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
PENDING_SESSION = timedelta(minutes=10)  # time to type a code, or to set up an authenticator app
TOUCH_EVERY = timedelta(minutes=1)  # last_active_at is written at most this often
MAX_EMAIL_LENGTH = 254
MAX_USER_AGENT_LENGTH = 512
MAX_TOKEN_LENGTH = 128
TWO_FACTOR_REQUIRED_ROLES = frozenset({Role.ADMIN})

BAD_CREDENTIALS = "Email or password is incorrect."
NOT_BACK_OFFICE = "This account cannot sign in to the back office."
DEACTIVATED = "This account has been deactivated. Ask an administrator to reactivate it."
SESSION_EXPIRED = "Your session has expired. Please sign in again."
SESSION_ENDED = "You have been signed out. Please sign in again."
TWO_FACTOR_PENDING = "Please finish signing in with your authenticator code."
TWO_FACTOR_NOW_REQUIRED = "Your account now needs two-step sign-in. Please sign in again to set it up."
WRONG_CURRENT_PASSWORD = "Your current password is not correct."
BAD_CODE = "The code is not correct. Enter the current code from your authenticator app."
CODE_REUSED = "This code has already been used. Wait for the next code."
TWO_FACTOR_UNREADABLE = "Two-step sign-in cannot be checked for this account. Ask an administrator to reset it."

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


def too_many_attempts() -> str:
    """The one answer to a throttled attempt and to a locked staff account (it names no account)."""
    minutes = max(get_settings().signin_window_minutes, int(LOCKOUT.total_seconds() // 60))
    return f"Too many sign-in attempts. Wait {minutes} minutes and try again."


def utcnow() -> datetime:
    """The clock of sign-in, sessions and staff changes (replace it in tests)."""
    return datetime.now(UTC)


# --- results ----------------------------------------------------------------------------------
class SignInStep(StrEnum):
    SIGNED_IN = "SIGNED_IN"
    TOTP_REQUIRED = "TOTP_REQUIRED"
    TOTP_ENROLMENT_REQUIRED = "TOTP_ENROLMENT_REQUIRED"


@dataclass(frozen=True)
class SignInResult:
    """What a sign-in step gives the page. Keep ``token`` in the browser (it is the session);
    ``actor`` is set only when ``step`` is ``SIGNED_IN``."""

    step: SignInStep
    token: str
    expires_at: datetime
    actor: Actor | None = None

    @property
    def signed_in(self) -> bool:
        return self.step is SignInStep.SIGNED_IN


@dataclass(frozen=True)
class TotpEnrollment:
    """Show ``provisioning_uri`` as a QR code and ``secret`` for typing in by hand. Never store
    them in the browser's state beyond the set-up screen."""

    secret: str
    provisioning_uri: str
    issuer: str
    account_name: str


class AccountLocked(NotAuthenticated):
    def __init__(self, locked_until: datetime) -> None:
        self.locked_until = locked_until
        when = locked_until.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        super().__init__(f"Too many failed sign-in attempts. This account is locked until {when}.")


# --- input cleaning (shared with the staff screen) ----------------------------------------------
def normalise_email(email: object) -> str:
    """A lower-cased, trimmed email address of plausible shape, else ``InvalidInput``."""
    if not isinstance(email, str):
        raise InvalidInput("Enter a valid email address.")
    value = email.strip().lower()
    if not value or len(value) > MAX_EMAIL_LENGTH or "\x00" in value or not _EMAIL.fullmatch(value):
        raise InvalidInput("Enter a valid email address.")
    return value


def clean_ip(value: object) -> str | None:
    """A valid IP address for the INET column, or None (the value comes from request headers)."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        return str(ipaddress.ip_address(value.strip().split("%", 1)[0]))
    except ValueError:
        return None


def clean_user_agent(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value[:MAX_USER_AGENT_LENGTH] or None


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iOS"), ("iPad", "iOS"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_device(user_agent: str | None) -> str:
    """A short label such as "Chrome on Windows" for the sessions list."""
    if not user_agent:
        return "Unknown device"
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or user_agent[:60]


def hash_token(token: str) -> str:
    """What the database keeps of a session token (``active_sessions.token_hash``)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_hash(token: object) -> str:
    """The hash of a token a browser presented; a malformed one is an expired session."""
    if not isinstance(token, str) or not 16 <= len(token) <= MAX_TOKEN_LENGTH:
        raise NotAuthenticated(SESSION_EXPIRED)
    return hash_token(token)


# --- two-factor and session lifetimes -----------------------------------------------------------
def has_totp(user: User) -> bool:
    """Authenticator-app two-factor is on (EMAIL/SMS methods of the customer apps do not count)."""
    return bool(user.two_factor_enabled and user.two_factor_method == TwoFactorMethod.AUTHENTICATOR
                and user.two_factor_secret)


def two_factor_required(role: str | None) -> bool:
    return role in TWO_FACTOR_REQUIRED_ROLES


def absolute_lifetime() -> timedelta:
    return timedelta(hours=get_settings().session_absolute_hours)


def idle_timeout() -> timedelta:
    return timedelta(minutes=get_settings().session_idle_minutes)
