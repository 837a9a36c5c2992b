"""KYC document files, one entry of the private-file route table (``dashboard/web/private_files.py``)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.permissions import Perm, requires
from dashboard.core.storage import ServedFile
from dashboard.kyc.queries import document_file

PDF = "application/pdf"


@requires(Perm.KYC_DOCUMENTS_VIEW)
def document(session: Session, *, actor: Actor, item_id: Any) -> ServedFile:
    """One KYC document for an officer with ``kyc.documents.view``; ``document_file`` checks the
    permission, finds the file through the row's stored key and audits the view (``kyc.document_viewed``)."""
    found = document_file(session, actor=actor, document_id=item_id)
    name = "".join(c for c in found.file_name if c.isalnum() or c in "._-")[:100] or "document"
    # the browser's PDF viewer does not run in a sandboxed document
    return ServedFile(found.path, found.mime_type, name, sandbox=found.mime_type != PDF)
