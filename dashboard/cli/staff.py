"""``python -m dashboard.cli create-admin``: make an ADMIN account (the first one, or for recovery).

The password comes from ``DASHBOARD_ADMIN_PASSWORD`` or is asked twice at the terminal (never a
command-line argument, which other users of the machine can read). Bad input exits with status 2
and a clear message, writing nothing. The new admin sets up two-step sign-in at first sign-in.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable

PASSWORD_ENV = "DASHBOARD_ADMIN_PASSWORD"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("create-admin", help="create an ADMIN account (password from "
                       f"{PASSWORD_ENV} or asked twice)")
    p.add_argument("--email", required=True)
    p.add_argument("--first-name", required=True)
    p.add_argument("--last-name", required=True)
    p.set_defaults(func=cmd_create_admin)


def _fail(message: str) -> int:
    print(f"create-admin: {message}", file=sys.stderr)
    return 2


def _read_password(prompt: Callable[[str], str] | None = None) -> str | None:
    prompt = prompt or getpass.getpass
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    if not sys.stdin.isatty():
        return None
    first = prompt("Password for the new administrator: ")
    second = prompt("Same password again: ")
    if first != second:
        raise ValueError("the two passwords are different")
    return first


def cmd_create_admin(args: argparse.Namespace) -> int:
    from dashboard.core.errors import DomainError
    from dashboard.auth.passwords import validate_new_password
    from dashboard.auth.rules import normalise_email
    from dashboard.staff.accounts import create_admin
    from dashboard.staff.rules import clean_name

    try:
        email = normalise_email(args.email)
        clean_name(args.first_name, "first name")
        clean_name(args.last_name, "last name")
        try:
            password = _read_password()
        except ValueError as exc:
            return _fail(str(exc))
        except (EOFError, KeyboardInterrupt):
            return _fail("no password given")
        if password is None:
            return _fail(f"set {PASSWORD_ENV} or run this command at a terminal to type the password")
        validate_new_password(password)
    except DomainError as exc:
        return _fail(str(exc))

    from dashboard.db import session_scope

    try:
        with session_scope() as session:
            user = create_admin(session, email=email, first_name=args.first_name,
                                      last_name=args.last_name, password=password)
            user_id = user.id
    except DomainError as exc:
        return _fail(str(exc))
    print(f"administrator {email} created (id {user_id}); set up two-step sign-in at the first sign-in")
    return 0
