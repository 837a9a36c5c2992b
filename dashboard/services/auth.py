"""TEMPORARY re-exports for modules outside the auth domain that still import ``dashboard.services.auth``
(``web_auth.py``, ``private_files*.py``, ``auth_cli.py``, each being moved by another branch). The
code lives in ``dashboard/auth/``: delete this file once they import from there."""

from dashboard.auth.passwords import validate_new_password
from dashboard.auth.rules import (
    BAD_CODE,
    BAD_CREDENTIALS,
    CODE_REUSED,
    DEACTIVATED,
    NOT_BACK_OFFICE,
    SESSION_ENDED,
    SESSION_EXPIRED,
    TWO_FACTOR_NOW_REQUIRED,
    TWO_FACTOR_PENDING,
    TWO_FACTOR_UNREADABLE,
    AccountLocked,
    SignInResult,
    SignInStep,
    absolute_lifetime,
    normalise_email,
)
from dashboard.auth.sessions import resolve_session, sign_out
from dashboard.auth.signin import confirm_totp_enrollment, sign_in, verify_second_factor

__all__ = [
    "BAD_CODE", "BAD_CREDENTIALS", "CODE_REUSED", "DEACTIVATED", "NOT_BACK_OFFICE", "SESSION_ENDED",
    "SESSION_EXPIRED", "TWO_FACTOR_NOW_REQUIRED", "TWO_FACTOR_PENDING", "TWO_FACTOR_UNREADABLE", "AccountLocked",
    "SignInResult", "SignInStep", "absolute_lifetime", "confirm_totp_enrollment", "normalise_email",
    "resolve_session", "sign_in", "sign_out", "validate_new_password", "verify_second_factor",
]
