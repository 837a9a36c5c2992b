"""Password hashing through the passlib API (the maintained ``libpass`` fork, which works with
bcrypt 5), bcrypt with cost 12 as seed 001 asks.

New hashes use ``bcrypt_sha256``: bcrypt (cost 12) over an HMAC-SHA256 of the password, because
bcrypt itself reads only 72 bytes and bcrypt 5 refuses longer input outright. Plain ``bcrypt``
hashes (as the platforms' seeds store them) still verify and are flagged for rehash."""

from __future__ import annotations

from passlib.context import CryptContext

MIN_PASSWORD_LENGTH = 12

_context = CryptContext(
    schemes=["bcrypt_sha256", "bcrypt"],
    deprecated=["bcrypt"],
    bcrypt_sha256__rounds=12,
    bcrypt__rounds=12,
)


def hash_password(password: str) -> str:
    return _context.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        return False
    try:
        return _context.verify(password, password_hash)
    except (ValueError, TypeError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _context.needs_update(password_hash)
