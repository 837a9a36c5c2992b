"""Password hashing through the passlib API (the maintained ``libpass`` fork, which works with
bcrypt 5), bcrypt with cost 12 as seed 001 asks.

New hashes use ``bcrypt_sha256``: bcrypt (cost 12) over an HMAC-SHA256 of the password, because
bcrypt itself reads only 72 bytes and bcrypt 5 refuses longer input outright. Plain ``bcrypt``
hashes (as the platforms' seeds store them) still verify and are flagged for rehash.

The rule for a new password (``validate_new_password``) is here too: sign-in set-up, the staff
screen and the create-admin command all use it."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from passlib.context import CryptContext

from dashboard.core.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

_context = CryptContext(
    schemes=["bcrypt_sha256", "bcrypt"],
    deprecated=["bcrypt"],
    bcrypt_sha256__rounds=12,
    bcrypt__rounds=12,
)

# Checking a password costs ~0.3 s of CPU. Work that checks one (the sign-in step) runs in this
# pool, never in the event loop's default executor: a flood of sign-ins queues here (without a
# thread each) while signed-in officers' requests keep the default executor and the database pool.
HASHING_WORKERS = 2
_hashing_pool = ThreadPoolExecutor(max_workers=HASHING_WORKERS, thread_name_prefix="password-check")
T = TypeVar("T")


async def in_hashing_pool(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Await ``fn(*args, **kwargs)`` run in the bounded password pool (at most ``HASHING_WORKERS``
    at once)."""
    return await asyncio.get_running_loop().run_in_executor(_hashing_pool, functools.partial(fn, *args, **kwargs))


def hash_password(password: str) -> str:
    return _context.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        return False
    try:
        return _context.verify(password, password_hash)
    except (ValueError, TypeError):
        return False


def is_usable_hash(password_hash: str | None) -> bool:
    """A hash one of our schemes can check (not empty, not a disabled marker such as ``!``)."""
    return bool(password_hash) and _context.identify(password_hash, required=False) is not None


def needs_rehash(password_hash: str) -> bool:
    return _context.needs_update(password_hash)


def validate_new_password(password: object) -> str:
    """The password as typed (never stripped) when it may be set, else ``InvalidInput``."""
    if not isinstance(password, str):
        raise InvalidInput("Enter a password.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must have at most {MAX_PASSWORD_LENGTH} characters.")
    if "\x00" in password:
        raise InvalidInput("The password contains a character that is not allowed.")
    if not password.strip():
        raise InvalidInput("The password cannot be only spaces.")
    return password
