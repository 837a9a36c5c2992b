"""Rules every decision shares (issue 12, findings 4 and 5).

- **No decision on a stale view.** A decision carries the status the officer saw (``expected_status``,
  from the page state's vars, never from the browser's text). The action compares it with the row's
  status *under the row lock* and refuses with ``Conflict`` when they differ, so a second tab that still
  shows PENDING cannot complete an item that moved to AWAITING_SECOND_APPROVAL meanwhile.
  ``None`` means the caller showed nothing (command line, jobs): not compared.
- **Cooling-off for the second approver.** An account that was created, or whose role, password or
  two-step sign-in an administrator changed (``users.credentials_changed_at``, set by the staff
  actions), cannot give a second (checking) approval for ``settings.second_approver_cooling_off_hours``
  (0 switches the rule off). One administrator could otherwise create (or re-key) two approver accounts
  and run maker-checker alone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.config import get_settings
from dashboard.core.actor import Actor
from dashboard.core.errors import Conflict, InvalidInput, NotAllowed
from dashboard.models import User
from dashboard.models.enums import label

_STATUS = re.compile(r"[A-Z][A-Z_]{0,39}")
STALE = "This item changed since you opened it: it is now {now}. Reopen it to see what changed."


def utcnow() -> datetime:
    """The rule's clock (tests may replace it)."""
    return datetime.now(UTC)


def parse_expected(value: Any) -> str | None:
    """The status the officer saw, as untrusted input: ``None`` (not shown) or a status code."""
    if value is None:
        return None
    if not isinstance(value, str) or not _STATUS.fullmatch(value):
        raise InvalidInput("The status you saw could not be read. Reopen the item.")
    return value


def check_seen(current: str, expected: Any) -> None:
    """Refuse (``Conflict``) when the row's status is no longer the one the officer saw."""
    seen = parse_expected(expected)
    if seen is not None and seen != current:
        raise Conflict(STALE.format(now=label(current).lower() or current))


def check_second_approver(session: Session, actor: Actor) -> None:
    """Refuse (``NotAllowed``) a second approval by an account still in its cooling-off period."""
    hours = get_settings().second_approver_cooling_off_hours
    if hours <= 0 or actor.user_id is None:
        return
    changed = session.execute(sa.select(User.credentials_changed_at).where(User.id == actor.user_id)).scalar()
    if changed is None:
        return
    until = changed + timedelta(hours=hours)
    if utcnow() < until:
        raise NotAllowed(
            f"Your account was created, or its role, password or two-step sign-in was changed, on "
            f"{changed.astimezone(UTC):%Y-%m-%d %H:%M} UTC: it cannot give a second approval until "
            f"{until.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({hours} h cooling-off). Another officer must give it.")
