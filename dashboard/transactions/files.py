"""Payment proofs, two entries of the private-file route table (``dashboard/web/private_files.py``):
the proof image of a gift-card order and the receipt of a deposit or withdrawal."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.permissions import Perm, requires
from dashboard.core.storage import ServedFile
from dashboard.transactions.queries import proof_file


def _proof(session: Session, actor: Actor, kind: str, item_id: Any) -> ServedFile:
    """``proof_file`` checks ``transactions.view``, finds the file through the item's stored key and
    audits the view (``transactions.proof_viewed``)."""
    found = proof_file(session, actor=actor, kind=kind, item_id=item_id)
    return ServedFile(found.path, found.media_type, found.file_name)


@requires(Perm.TRANSACTIONS_VIEW)
def gift_card_proof(session: Session, *, actor: Actor, item_id: Any) -> ServedFile:
    return _proof(session, actor, "gift-card", item_id)


@requires(Perm.TRANSACTIONS_VIEW)
def transaction_proof(session: Session, *, actor: Actor, item_id: Any) -> ServedFile:
    return _proof(session, actor, "transaction", item_id)
