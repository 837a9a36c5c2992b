"""The audit log as a CSV file: the current filters, newest first, every column of the chain, cells a
spreadsheet would run as formulas neutralised. The export is itself audited (``audit.export``) in the
caller's transaction. Long work on a big log: the page streams it into a private file in a worker
process (``export_download``) and the browser fetches it once from ``/_download/<token>``."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard.audit import chain
from dashboard.audit.rules import MAX_EXPORT_ROWS, AuditFilters, parse_filters, whole_number
from dashboard.audit.sql import COLUMNS as _c
from dashboard.audit.sql import conditions
from dashboard.core import downloads
from dashboard.core.actor import Actor
from dashboard.core.audit_actions import AuditAction
from dashboard.core.permissions import Perm, requires

EXPORT_COLUMNS = (
    "seq", "created_at_utc", "actor_email", "actor_role", "actor_id", "action", "target_type", "target_id",
    "description", "before", "after", "details", "ip_address", "user_agent", "session_id", "correlation_id",
    "id", "prev_hash", "row_hash",
)
_EXPORT_SELECT = (
    _c.seq,
    sa.func.to_char(sa.func.timezone("UTC", _c.created_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    _c.actor_email, _c.actor_role, sa.cast(_c.actor_id, sa.Text), _c.action, _c.target_type, _c.target_id,
    _c.description, sa.cast(_c.before, sa.Text), sa.cast(_c.after, sa.Text), sa.cast(_c.details, sa.Text),
    sa.func.abbrev(_c.ip_address), _c.user_agent, sa.cast(_c.session_id, sa.Text),
    sa.cast(_c.correlation_id, sa.Text), sa.cast(_c.id, sa.Text), _c.prev_hash, _c.row_hash,
)
_FORMULA_START = r"^[=+\-@\t\r]"
EXPORT_CHUNK = 5_000


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to every text cell a spreadsheet would run as a formula (= + - @ tab CR).
    Numbers are left alone; the input frame is not modified."""
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if not (col.dtype == object or pd.api.types.is_string_dtype(col)):
            continue
        try:
            risky = col.str.match(_FORMULA_START, na=False).astype(bool)
        except AttributeError:  # no text in this column
            continue
        if risky.any():
            out[name] = col.mask(risky, "'" + col.astype(str))
    return out


class _Hashing(io.RawIOBase):
    """Writes through to ``out`` and keeps the SHA-256 of everything written."""

    def __init__(self, out: BinaryIO) -> None:
        self.out, self.sha = out, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.sha.update(data)
        return self.out.write(data)


def _write(session: Session, q: AuditFilters, max_rows: int, out: BinaryIO) -> tuple[int, bool, str]:
    """Stream the filtered log into ``out`` as CSV, ``EXPORT_CHUNK`` rows at a time (a server-side
    cursor: memory stays flat). Returns (rows written, truncated, SHA-256 of the file)."""
    sink = _Hashing(out)
    header = ",".join(EXPORT_COLUMNS) + "\r\n"
    sink.write(header.encode("utf-8"))
    written, truncated = 0, False
    conds = conditions(session, q)
    if conds is not None:
        stmt = sa.select(*_EXPORT_SELECT).where(*conds).order_by(_c.seq.desc()).limit(max_rows + 1)
        result = session.execute(stmt.execution_options(yield_per=EXPORT_CHUNK))
        for chunk in result.partitions():
            rows = [tuple(r) for r in chunk]
            if written + len(rows) > max_rows:
                rows, truncated = rows[: max_rows - written], True
            if rows:
                frame = neutralise_formulas(pd.DataFrame(rows, columns=list(EXPORT_COLUMNS), dtype=object).fillna(""))
                buffer = io.StringIO()
                # CRLF (RFC 4180): with "\n" alone, Python's csv would leave a lone CR in a cell unquoted
                frame.to_csv(buffer, index=False, header=False, lineterminator="\r\n")
                sink.write(buffer.getvalue().encode("utf-8"))
                written += len(rows)
        result.close()
    return written, truncated, sink.sha.hexdigest()


def _record(session: Session, actor: Actor, q: AuditFilters, rows: int, max_rows: int, truncated: bool,
            sha256: str) -> None:
    chain.record(
        session,
        actor=actor,
        action=AuditAction.AUDIT_EXPORT,
        target_type="activity_logs",
        description=f"Exported {rows:,} audit entries as CSV" + (" (truncated)" if truncated else ""),
        details={"filters": q.shown or {}, "rows": rows, "max_rows": max_rows, "truncated": truncated,
                 "sha256": sha256},
    )


@requires(Perm.AUDIT_EXPORT)
def export_csv(
    session: Session,
    *,
    actor: Actor,
    filters: AuditFilters | Mapping[str, Any] | None = None,
    max_rows: int = MAX_EXPORT_ROWS,
) -> bytes:
    """The filtered log as UTF-8 CSV, newest first, at most ``max_rows`` rows. Needs AUDIT_EXPORT.

    The export itself is audited (``audit.export``: filters, row count, SHA-256 of the file) in the
    caller's transaction. Cells that a spreadsheet would evaluate are neutralised with a leading ``'``.
    """
    q = parse_filters(filters)
    max_rows = whole_number("max_rows", max_rows, MAX_EXPORT_ROWS)
    out = io.BytesIO()
    rows, truncated, sha256 = _write(session, q, max_rows, out)
    _record(session, actor, q, rows, max_rows, truncated, sha256)
    return out.getvalue()


@requires(Perm.AUDIT_EXPORT)
def export_download(
    session: Session,
    *,
    actor: Actor,
    filters: AuditFilters | Mapping[str, Any] | None = None,
    file_name: str = "audit-log.csv",
    max_rows: int = MAX_EXPORT_ROWS,
    base: Path | None = None,
) -> tuple[str, int]:
    """``export_csv`` streamed into a private file and offered to the officer's session (long work: run it
    with ``run_long``). Audited once, here. Returns (the ``/_download/...`` URL, rows)."""
    q = parse_filters(filters)
    max_rows = whole_number("max_rows", max_rows, MAX_EXPORT_ROWS)
    key = downloads.new_key()
    try:
        with downloads.open_file(key, base=base) as out:
            rows, truncated, sha256 = _write(session, q, max_rows, out)
        _record(session, actor, q, rows, max_rows, truncated, sha256)
        return downloads.offer(session, actor=actor, key=key, file_name=file_name, base=base), rows
    except BaseException:
        downloads.discard(key, base=base)
        raise
