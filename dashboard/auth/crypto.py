"""Encryption of small secrets at rest (TOTP seeds), with AES-256-GCM.

The key is derived from ``settings.secret_key`` with HKDF-SHA256, one key per *purpose*, so a
secret encrypted for one use cannot be decrypted as another. The caller also binds each ciphertext
to its row (``context``, e.g. the user id) as associated data: a value copied to another row does
not decrypt there.

Stored form: ``v1.<base64url(nonce || ciphertext+tag)>``. Changing ``DASHBOARD_SECRET_KEY`` makes
stored values unreadable (the affected users must enrol again).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dashboard.config import get_settings

VERSION = "v1"
_NONCE_BYTES = 12
_SALT = b"dashboard.crypto.v1"


class DecryptionError(Exception):
    """The stored value is malformed, was made with another key, or belongs to another row."""


@lru_cache(maxsize=16)
def _derive(secret_key: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose.encode())
    return hkdf.derive(secret_key.encode())


def _key(purpose: str) -> bytes:
    return _derive(get_settings().secret_key, purpose)


def encrypt(plaintext: str, *, purpose: str, context: bytes = b"") -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key(purpose)).encrypt(nonce, plaintext.encode(), context)
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(stored: str, *, purpose: str, context: bytes = b"") -> str:
    if not isinstance(stored, str) or not stored.startswith(VERSION + "."):
        raise DecryptionError("unknown format")
    try:
        raw = base64.urlsafe_b64decode(stored[len(VERSION) + 1 :].encode())
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("malformed value") from exc
    if len(raw) <= _NONCE_BYTES + 16:
        raise DecryptionError("malformed value")
    try:
        plain = AESGCM(_key(purpose)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context)
    except InvalidTag as exc:
        raise DecryptionError("wrong key or context") from exc
    return plain.decode()


def keyed_digest(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of ``value`` (hex) under the key of ``purpose``: a stable lookup key that does
    not reveal the value to someone who can read the database but not the secret key."""
    return hmac.new(_key(purpose), value.encode(), hashlib.sha256).hexdigest()
