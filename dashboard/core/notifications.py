"""Messages to customers (seed 002 notifications), written by back-office decisions in the same
transaction as the decision. The text is plain text, shown by the customer apps as text."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from dashboard.models import Notification
from dashboard.core.errors import InvalidInput

MAX_TITLE = 255
MAX_MESSAGE = 4000


def notify(session: Session, *, user_id: uuid.UUID | str, notification_type: str, title: str,
           message: str) -> Notification:
    try:
        uid = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        raise InvalidInput("notification: user_id must be a UUID") from None
    if not isinstance(notification_type, str) or not 1 <= len(notification_type) <= 50:
        raise InvalidInput("notification: type must be 1-50 characters")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        raise InvalidInput("notification: title must be 1-255 characters")
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE:
        raise InvalidInput("notification: message must be 1-4000 characters")
    row = Notification(user_id=uid, notification_type=notification_type, title=title.strip(),
                       message=message.strip())
    session.add(row)
    session.flush()
    return row
