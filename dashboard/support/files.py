"""Ticket attachments, one entry of the private-file route table (``dashboard/web/private_files.py``)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.permissions import Perm, requires
from dashboard.core.storage import ServedFile
from dashboard.support.queries import attachment_file

# shown in the browser; every other served type (plain text) comes as a download
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})


@requires(Perm.SUPPORT_VIEW)
def attachment(session: Session, *, actor: Actor, item_id: Any) -> ServedFile:
    """The attachment of one support message for staff with ``support.view``; ``attachment_file``
    checks the permission, refuses types that are not served, and audits the view
    (``support.attachment_viewed``)."""
    found = attachment_file(session, actor=actor, message_id=item_id)
    return ServedFile(found.path, found.media_type, found.file_name, inline=found.media_type in INLINE_TYPES)
