"""The audit log as a CSV file: the current filters, newest first, every column of the chain, cells a
spreadsheet would run as formulas neutralised. The export is itself audited (``audit.export``) in the
caller's transaction. Long work on a big log; it runs as it always did (a job engine comes later)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from dashboard.audit import chain
from dashboard.audit.rules import MAX_EXPORT_ROWS, AuditFilters, parse_filters, whole_number
from dashboard.audit.sql import COLUMNS as _c
from dashboard.audit.sql import conditions
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
    conds = conditions(session, q)
    rows: list[Any] = []
    if conds is not None:
        stmt = sa.select(*_EXPORT_SELECT).where(*conds).order_by(_c.seq.desc()).limit(max_rows + 1)
        rows = session.execute(stmt).all()
    truncated = len(rows) > max_rows
    rows = rows[:max_rows]
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(EXPORT_COLUMNS), dtype=object)
    frame = neutralise_formulas(frame.fillna(""))
    buffer = io.StringIO()
    # CRLF (RFC 4180): with "\n" alone, Python's csv would leave a lone CR in a cell unquoted
    frame.to_csv(buffer, index=False, lineterminator="\r\n")
    data = buffer.getvalue().encode("utf-8")
    chain.record(
        session,
        actor=actor,
        action=AuditAction.AUDIT_EXPORT,
        target_type="activity_logs",
        description=f"Exported {len(rows):,} audit entries as CSV" + (" (truncated)" if truncated else ""),
        details={
            "filters": q.shown or {},
            "rows": len(rows),
            "max_rows": max_rows,
            "truncated": truncated,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    return data
