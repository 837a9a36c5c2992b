"""Treasury queues: bulk decisions on the selected items: the confirmation's preview (how many are
still pending, and their total) and the decisions themselves, each item in its own transaction
(``actions.decide``), with a report per item. Bad input is refused before anything is written.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.decisions import parse_expected
from dashboard.core.errors import DomainError, InvalidInput, NotAuthenticated
from dashboard.core.permissions import Perm, requires
from dashboard.db import session_scope
from dashboard.models.enums import label
from dashboard.transactions.actions import decide
from dashboard.transactions.queue_sql import spec
from dashboard.transactions.rules import (
    MODEL, PENDING, Action, Queue, clean_ids, clean_reason, parse_action, parse_id, parse_queue, value_text,
)

log = logging.getLogger(__name__)
Sessions = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class BulkPreview:
    count: int
    total: str
    skipped: int  # selected items no longer pending


@dataclass
class BulkReport:
    results: list[dict[str, str]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return sum(1 for r in self.results if r["outcome"] == "done")

    @property
    def summary(self) -> str:
        n = len(self.results)
        return f"{self.done} of {n} item{'s' if n != 1 else ''} done, {n - self.done} not changed."


@requires(Perm.TRANSACTIONS_APPROVE)
def bulk_preview(session: Session, *, actor: Actor, queue: Any, item_ids: Any) -> BulkPreview:
    """How many of the selected items are still pending and their total (for the confirmation)."""
    q = parse_queue(queue)
    ids = clean_ids(item_ids)
    s = spec(q)
    row = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(s.amount_col), 0))
        .where(s.table.c.id.in_(ids), s.table.c.status.in_(PENDING[q]))
    ).one()
    return BulkPreview(count=int(row[0]), total=value_text(q, row[1]), skipped=len(ids) - int(row[0]))


@requires(Perm.TRANSACTIONS_APPROVE)
def decide_many(session: Session, *, actor: Actor, queue: Any, item_ids: Any, action: Any, reason: Any = None,
                expected_statuses: Any = None, sessions: Sessions = session_scope) -> BulkReport:
    """Decide each item in its own transaction (``sessions()`` gives one committed-on-exit session);
    report per item what happened. ``session`` only reads the references of the items left unchanged.
    ``expected_statuses``: {item id: the status its row showed}; an item that changed since is skipped."""
    q = parse_queue(queue)
    ids = clean_ids(item_ids)
    seen = _expected_statuses(expected_statuses, ids)
    act = parse_action(action)
    why = clean_reason(reason, required=act is Action.DECLINE)
    report = BulkReport()
    for ident in ids:
        try:
            with sessions() as own:
                out = decide(own, actor=actor, queue=q, item_id=ident, action=act, reason=why,
                             expected_status=seen.get(ident))
            report.results.append({"id": str(ident), "reference": out.reference, "outcome": "done",
                                   "status": label(out.status), "message": out.message})
        except NotAuthenticated:
            raise
        except DomainError as exc:
            report.results.append({"id": str(ident), "reference": _reference(session, q, ident),
                                   "outcome": "skipped", "status": "", "message": str(exc)})
        except Exception:
            log.exception("bulk decision failed for %s %s", q.value, ident)
            report.results.append({"id": str(ident), "reference": _reference(session, q, ident),
                                   "outcome": "failed", "status": "",
                                   "message": "The server could not process this item; nothing was changed."})
    return report


def _expected_statuses(value: Any, ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    """The status each selected row showed (untrusted input: parsed, keyed by the parsed ids)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > len(ids):
        raise InvalidInput("The statuses of the selected items could not be read. Refresh the list.")
    out = {parse_id(k): parse_expected(v) for k, v in value.items()}
    if not set(out) <= set(ids):
        raise InvalidInput("The statuses of the selected items could not be read. Refresh the list.")
    return out


def _reference(session: Session, q: Queue, ident: uuid.UUID) -> str:
    model = MODEL[q]
    try:
        with session.begin_nested():
            found = session.execute(sa.select(model.reference).where(model.id == ident)).scalar_one_or_none()
    except Exception:  # pragma: no cover - best effort only
        return str(ident)[:8]
    return found or str(ident)[:8]
