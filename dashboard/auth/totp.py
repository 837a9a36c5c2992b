"""Time-based one-time passwords (RFC 6238 through pyotp): 6 digits, 30-second steps, one step of
clock drift either way (``valid_window=1``).

The seed is stored encrypted (``crypto``, bound to the user's id). A code is accepted at most once:
the caller stores the time step of the last accepted code (``users.preferences['totp_last_step']``)
and refuses any code of that step or an earlier one.
"""

from __future__ import annotations

import hmac
import re
import uuid
from datetime import datetime

import pyotp

from dashboard.auth import crypto
from dashboard.core.errors import InvalidInput

ISSUER = "Back Office"
DIGITS = 6
INTERVAL = 30
VALID_WINDOW = 1
LAST_STEP_KEY = "totp_last_step"  # in users.preferences
_PURPOSE = "totp-secret"
_CODE = re.compile(r"[0-9]{6}")
CODE_MESSAGE = "Enter the 6-digit code from your authenticator app."


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits


def provisioning_uri(secret: str, account_name: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account_name, issuer_name=ISSUER
    )


def encrypt_secret(secret: str, user_id: uuid.UUID) -> str:
    return crypto.encrypt(secret, purpose=_PURPOSE, context=user_id.bytes)


def decrypt_secret(stored: str, user_id: uuid.UUID) -> str:
    """Raises ``crypto.DecryptionError`` when the value cannot be read."""
    return crypto.decrypt(stored, purpose=_PURPOSE, context=user_id.bytes)


def normalise_code(code: object) -> str:
    """The code as 6 digits (spaces and dashes people type are ignored), else ``InvalidInput``."""
    if not isinstance(code, str) or len(code) > 20:
        raise InvalidInput(CODE_MESSAGE)
    cleaned = code.replace(" ", "").replace("-", "").strip()
    if not _CODE.fullmatch(cleaned):
        raise InvalidInput(CODE_MESSAGE)
    return cleaned


def step_at(at: datetime) -> int:
    return int(at.timestamp()) // INTERVAL


def code_at(secret: str, at: datetime) -> str:
    """The code an authenticator app shows at ``at`` (used by tests and diagnostics)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).generate_otp(step_at(at))


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step within the window whose code equals ``code``, or None. Every candidate is
    compared (in constant time), so the answer's timing does not depend on which one matched."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    now_step = step_at(at)
    found: int | None = None
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found
