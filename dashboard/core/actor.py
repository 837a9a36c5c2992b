"""Who is acting: resolved on the server from the session stored in the database, never from
anything the browser sends."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None  # None for the system (jobs, CLI without an account)
    email: str | None
    role: str | None  # a Role value, or permissions.GROUP_OFFICER
    session_id: uuid.UUID | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def can(self, perm: str) -> bool:
        from dashboard.core.permissions import has_permission

        return has_permission(self.role, perm)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        from dashboard.core.permissions import SYSTEM

        return cls(user_id=None, email=name, role=SYSTEM)
