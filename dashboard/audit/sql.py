"""The audit filters as SQL conditions that stay index ranges at a million rows (read by the list, the
timeline and the export). Newest first is ``seq`` descending everywhere.

- actor id: ``(actor_id, seq)``. Actor e-mail substring: the distinct e-mails in the log are walked
  with a loose index scan on ``(actor_email, seq)`` (one probe per distinct e-mail), matched, and the
  page is read with ``actor_email IN (...)``.
- action: exact on ``(action, seq)``; a prefix (``kyc.``) is turned into the list of distinct actions
  it matches, the same way.
- target: ``(target_type, target_id, seq)``.
- date range (whole UTC days, inclusive): ``created_at`` never decreases along ``seq`` (``record()``
  guarantees it), so the range is first turned into a ``seq`` range with two probes of the
  ``created_at`` index; every other index then serves the date filter as a range on its ``seq``
  column. The ``created_at`` condition is kept as well, so no row outside the range can show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.audit.rules import Query
from dashboard.core.listing import like_pattern
from dashboard.models import ActivityLog

DISTINCT_WALK_CAP = 5_000  # beyond this many distinct e-mails/actions, filter row by row instead

LOG = ActivityLog.__table__
COLUMNS = LOG.c

_WALK_SQL = """
WITH RECURSIVE walk(val, n) AS (
    SELECT min({col}), 1 FROM activity_logs
    UNION ALL
    SELECT (SELECT min({col}) FROM activity_logs WHERE {col} > walk.val), walk.n + 1
    FROM walk WHERE walk.val IS NOT NULL AND walk.n < :cap
)
SELECT val, n FROM walk
"""


def _distinct(session: Session, column: str) -> list[str] | None:
    """Every distinct value of an indexed column, one index probe each; None past the cap."""
    rows = session.execute(sa.text(_WALK_SQL.format(col=column)), {"cap": DISTINCT_WALK_CAP}).all()
    if rows and rows[-1][0] is not None and rows[-1][1] >= DISTINCT_WALK_CAP:
        return None
    return [val for val, _ in rows if val is not None]


def _one_of(session: Session, column: str, wanted: Callable[[str], bool], row_by_row: Any) -> Any | None:
    """``column IN (the distinct values wanted)`` (an index probe each); ``row_by_row`` when there are too
    many distinct values to walk; None when no value is wanted (nothing can match)."""
    values = _distinct(session, column)
    if values is None:
        return row_by_row
    matching = [value for value in values if wanted(value)]
    return COLUMNS[column].in_(matching) if matching else None


def _seq_bounds(session: Session, start: datetime | None, end: datetime | None) -> tuple[int, int] | None:
    """The first and last seq inside [start, end), or None when no entry falls in it."""
    in_range = []
    if start is not None:
        in_range.append("created_at >= :start")
    if end is not None:
        in_range.append("created_at < :end")
    where = " AND ".join(in_range)
    row = session.execute(
        sa.text(
            "SELECT "
            f"(SELECT min(seq) FROM activity_logs WHERE created_at = (SELECT min(created_at) FROM activity_logs WHERE {where})), "
            f"(SELECT max(seq) FROM activity_logs WHERE created_at = (SELECT max(created_at) FROM activity_logs WHERE {where}))"
        ),
        {"start": start, "end": end},
    ).one()
    if row[0] is None:
        return None
    return int(row[0]), int(row[1])


def conditions(session: Session, q: Query) -> list[Any] | None:
    """WHERE conditions for the filters; None when nothing can match (no query needed)."""
    c = COLUMNS
    conds: list[Any] = []
    if q.actor_id is not None:
        conds.append(c.actor_id == q.actor_id)
    # text matches become "one of these distinct values" (index-friendly); None: nothing can match
    matches: list[tuple[str, Callable[[str], bool], Any]] = []
    if q.actor_text:
        needle = q.actor_text.lower()
        matches.append(("actor_email", lambda email: needle in email.lower(),
                        c.actor_email.ilike(like_pattern(q.actor_text), escape="\\")))
    if q.action_prefix:
        prefix = q.action_prefix
        matches.append(("action", lambda action: action.startswith(prefix),
                        c.action.startswith(prefix, autoescape=True)))
    for column, wanted, row_by_row in matches:
        narrowed = _one_of(session, column, wanted, row_by_row)
        if narrowed is None:
            return None
        conds.append(narrowed)
    if q.action:
        conds.append(c.action == q.action)
    if q.target_type:
        conds.append(c.target_type == q.target_type)
    if q.target_id:
        conds.append(c.target_id == q.target_id)
    if q.start is not None or q.end is not None:
        bounds = _seq_bounds(session, q.start, q.end)
        if bounds is None:
            return None
        conds.append(c.seq.between(*bounds))
        if q.start is not None:
            conds.append(c.created_at >= q.start)
        if q.end is not None:
            conds.append(c.created_at < q.end)
    return conds
