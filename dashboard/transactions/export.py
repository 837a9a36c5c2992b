"""Treasury queues: the CSV export of a filtered queue (``transactions.export``).

The page reads the queue in keyset chunks of ``EXPORT_CHUNK`` rows (with a progress bar), at most
``MAX_EXPORT_ROWS``, then records one audit entry and builds the file: UTF-8 with a BOM, CRLF, and
cells a spreadsheet would run as formulas neutralised. ``export_csv`` does it all in one call.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.listing import Page
from dashboard.core.permissions import Perm, requires
from dashboard.audit import chain as audit
from dashboard.audit.export import neutralise_formulas
from dashboard.transactions.queue_sql import count_query, read_page
from dashboard.transactions.rules import (
    AUDIT_TARGET, EXPORT_CHUNK, MAX_EXPORT_ROWS, QUEUE_LABELS, filters_of, parse_queue,
)

EXPORT_COLUMNS = ("reference", "created", "status", "email", "kind", "method", "amount", "value", "rate", "id")


@requires(Perm.TRANSACTIONS_VIEW)
def count_filtered(session: Session, *, actor: Actor, queue: Any, filters: Any) -> int:
    """How many items the filtered queue holds (the export's progress bar)."""
    q = parse_queue(queue)
    return int(session.execute(count_query(q, filters_of(q, filters))).scalar_one())


@requires(Perm.TRANSACTIONS_EXPORT)
def export_chunk(session: Session, *, actor: Actor, queue: Any, filters: Any, after: Any = None,
                 limit: int = EXPORT_CHUNK) -> Page[dict[str, str]]:
    """One chunk of the filtered queue for the CSV export (keyset, like the pages)."""
    q = parse_queue(queue)
    return read_page(session, q, filters_of(q, filters), after, limit)


def to_csv(rows: Iterable[Mapping[str, str]]) -> bytes:
    """CSV (UTF-8 with BOM, CRLF) of export rows; cells a spreadsheet would run as formulas are
    neutralised."""
    frame = pd.DataFrame(list(rows), columns=list(EXPORT_COLUMNS)).fillna("")
    frame = neutralise_formulas(frame.astype(str))
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\r\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@requires(Perm.TRANSACTIONS_EXPORT)
def record_export(session: Session, *, actor: Actor, queue: Any, filters: Any, rows: int) -> None:
    q = parse_queue(queue)
    audit.record(session, actor=actor, action="transactions.exported", target_type=AUDIT_TARGET[q],
                 description=f"Exported {rows:,} pending {QUEUE_LABELS[q].lower()} to CSV",
                 details={"queue": q.value, "filters": filters_of(q, filters).describe(), "rows": rows})


@requires(Perm.TRANSACTIONS_EXPORT)
def export_csv(session: Session, *, actor: Actor, queue: Any, filters: Any) -> bytes:
    """The whole filtered queue as CSV in one call (small exports, tests); audited."""
    rows: list[dict[str, str]] = []
    after = None
    while True:
        chunk = export_chunk(session, actor=actor, queue=queue, filters=filters, after=after)
        rows += chunk.rows
        if chunk.next_cursor is None or len(rows) >= MAX_EXPORT_ROWS:
            break
        after = chunk.next_cursor
    record_export(session, actor=actor, queue=queue, filters=filters, rows=len(rows))
    return to_csv(rows)
