"""Sign-in accounts for the browser tests: one per staff role, a group officer, and a customer.

Hashes use few bcrypt rounds (verification reads the cost from the hash), so creating them is quick.
The ADMIN has an authenticator enrolled with a known secret, so a test can compute its codes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from passlib.hash import bcrypt_sha256
from sqlmodel import Session

from dashboard.models import Group, GroupMembership, User
from dashboard.auth import totp

PASSWORD = "e2e-password-123"
ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# login key -> (email, role, platform)
ACCOUNTS: dict[str, tuple[str, str]] = {
    "ADMIN": ("admin@e2e.test", "ADMIN"),
    "COMPLIANCE": ("compliance@e2e.test", "COMPLIANCE"),
    "TREASURER": ("treasurer@e2e.test", "TREASURER"),
    "MANAGER": ("manager@e2e.test", "MANAGER"),
    "SUPPORT": ("support@e2e.test", "SUPPORT"),
    "GROUP_OFFICER": ("officer@e2e.test", "CUSTOMER"),
    "CUSTOMER": ("customer@e2e.test", "CUSTOMER"),
}


def email_for(key: str) -> str:
    return ACCOUNTS[key][0]


def insert_accounts(session: Session) -> None:
    password_hash = bcrypt_sha256.using(rounds=4).hash(PASSWORD)
    users: dict[str, User] = {}
    for key, (email, role) in ACCOUNTS.items():
        staff = role != "CUSTOMER"
        user = User(
            email=email,
            first_name=key.title().replace("_", " "),
            last_name="Tester",
            role=role,
            platform="STAFF" if staff else "TREASURY",
            account_type=None if staff else "STOCK",
            password_hash=password_hash,
        )
        session.add(user)
        users[key] = user
    session.flush()

    admin = users["ADMIN"]
    admin.two_factor_enabled = True
    admin.two_factor_method = "AUTHENTICATOR"
    admin.two_factor_secret = totp.encrypt_secret(ADMIN_TOTP_SECRET, admin.id)

    group = Group(name="E2E savings circle", created_by=users["GROUP_OFFICER"].id)
    session.add(group)
    session.flush()
    session.add(
        GroupMembership(
            group_id=group.id,
            user_id=users["GROUP_OFFICER"].id,
            role_in_group="OWNER",
            joined_at=datetime.now(UTC),
        )
    )
    session.flush()
