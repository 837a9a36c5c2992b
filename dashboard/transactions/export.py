"""Treasury queues: the CSV export of a filtered queue (``transactions.export``).

The page reads the queue in keyset chunks of ``EXPORT_CHUNK`` rows (with a progress bar), at most
``MAX_EXPORT_ROWS``, appending each to a private file, then records one audit entry and offers the file at
``/_download/<token>`` (``finish_download``): UTF-8 with a BOM, CRLF, and
cells a spreadsheet would run as formulas neutralised. ``export_csv`` does it all in one call.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
from sqlmodel import Session

from dashboard.core import downloads
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


def write_rows(out: BinaryIO, rows: Iterable[Mapping[str, str]], *, first: bool) -> None:
    """Append export rows to ``out`` as CSV (UTF-8, CRLF; the first chunk starts with the BOM and the
    header); cells a spreadsheet would run as formulas are neutralised."""
    frame = pd.DataFrame(list(rows), columns=list(EXPORT_COLUMNS)).fillna("")
    frame = neutralise_formulas(frame.astype(str))
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=first, lineterminator="\r\n")
    out.write((("\ufeff" if first else "") + buffer.getvalue()).encode("utf-8"))


def to_csv(rows: Iterable[Mapping[str, str]]) -> bytes:
    """CSV (UTF-8 with BOM, CRLF) of export rows."""
    out = io.BytesIO()
    write_rows(out, rows, first=True)
    return out.getvalue()


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


@requires(Perm.TRANSACTIONS_EXPORT)
def finish_download(session: Session, *, actor: Actor, queue: Any, filters: Any, rows: int, key: str,
                    file_name: str, base: Path | None = None) -> str:
    """The page's export, written chunk by chunk into the private file ``key``: audited and offered to
    the officer's session in one transaction. Returns the ``/_download/...`` URL."""
    record_export(session, actor=actor, queue=queue, filters=filters, rows=rows)
    return downloads.offer(session, actor=actor, key=key, file_name=file_name, base=base)
