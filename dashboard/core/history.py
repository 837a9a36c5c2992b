"""Status history (seed 003 TransactionStatusHistory, polymorphic over ``ReviewableEntity``).

``record_status_change()`` adds one ``status_history`` row in the caller's transaction. A "change"
to the same status is refused (the table's CHECK says so too). ``created_at`` is the statement's
``clock_timestamp()``, not ``now()`` (the transaction's start): the rows one transaction writes (a
payout retried and failed again, the documents approved with their case) keep their order on every
timeline that orders by it.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.models import StatusHistory
from dashboard.models.enums import ReviewableEntity
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput
from dashboard.core.outbox import json_safe


def record_status_change(
    session: Session,
    *,
    entity_type: ReviewableEntity | str,
    entity_id: uuid.UUID | str,
    from_status: str | None,
    to_status: str,
    actor: Actor | None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> StatusHistory:
    try:
        kind = ReviewableEntity(entity_type)
    except ValueError:
        raise InvalidInput(f"history: unknown entity type {str(entity_type)[:40]!r}") from None
    try:
        ident = entity_id if isinstance(entity_id, uuid.UUID) else uuid.UUID(str(entity_id))
    except ValueError:
        raise InvalidInput("history: entity_id must be a UUID") from None
    if not to_status or from_status == to_status:
        raise InvalidInput("history: a status change needs a new, different status")
    row = StatusHistory(
        entity_type=kind.value,
        entity_id=ident,
        from_status=str(from_status) if from_status is not None else None,
        to_status=str(to_status),
        reason=reason,
        actor_id=actor.user_id if actor else None,
        details=json_safe(details) if details is not None else None,
        created_at=sa.func.clock_timestamp(),
    )
    session.add(row)
    session.flush()
    return row
