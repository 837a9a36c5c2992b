"""The transactional outbox (seed 003): events for the customer-facing platforms.

``emit()`` adds one ``outbox_events`` row **in the caller's transaction**, so the event is published
(later, by a relay) if and only if the change it describes commits. The payload is made JSON-safe
here: ``Decimal`` and dates become strings, UUIDs their text; floats are refused (money is never a
float).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session

from dashboard.models import OutboxEvent
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput

MAX_NAME = 64


def json_safe(value: Any) -> Any:
    """A JSON-safe copy of ``value``: Decimal as its exact text, datetimes as UTC ISO text."""
    if value is None or isinstance(value, (bool, int, str)) and not isinstance(value, Enum):
        return value
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        raise InvalidInput("outbox payloads carry no floats: pass money as Decimal")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return str(value)


def emit(
    session: Session,
    *,
    event_type: str,
    aggregate_type: str,
    aggregate_id: Any,
    payload: dict[str, Any],
    actor: Actor | None,
    target_platform: str | None = None,
) -> OutboxEvent:
    """Add one pending event in the current transaction and return it (flushed)."""
    if not isinstance(event_type, str) or not 3 <= len(event_type) <= 100:
        raise InvalidInput("outbox: event_type must be 3-100 characters")
    if not isinstance(aggregate_type, str) or not 1 <= len(aggregate_type) <= MAX_NAME:
        raise InvalidInput("outbox: aggregate_type must be 1-64 characters")
    aggregate = str(aggregate_id) if aggregate_id is not None else ""
    if not 1 <= len(aggregate) <= MAX_NAME:
        raise InvalidInput("outbox: aggregate_id must be 1-64 characters")
    if not isinstance(payload, dict):
        raise InvalidInput("outbox: payload must be a dict")
    actor = actor or Actor.system()
    event = OutboxEvent(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate,
        target_platform=target_platform,
        payload=json_safe(payload),
        details={"actor_id": json_safe(actor.user_id), "actor_email": actor.email, "actor_role": actor.role},
        correlation_id=actor.correlation_id,
    )
    session.add(event)
    session.flush()
    return event
