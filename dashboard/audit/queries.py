"""The audit screen's reads: a page of the filtered log, a record's timeline, the chain's summary and
its full verification. Filtered, ordered and paged in SQL on indexed keys, newest first by ``seq``
(see ``sql.py``), returned as display strings (``entries.py``). Every function needs AUDIT_VIEW.
The CSV export is ``export.py``; the writer every action calls is ``chain.record``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.audit.entries import ENTRY_COLUMNS, AuditEntry, AuditPage, entry, when
from dashboard.audit.rules import (
    MAX_PAGE,
    AuditFilters,
    clean_text,
    parse_filters,
    record_type,
    seq_cursor,
    whole_number,
)
from dashboard.audit.sql import COLUMNS as _c
from dashboard.audit.sql import conditions
from dashboard.audit.verify import ChainCheck, checkpoint_status, verify_chain
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput
from dashboard.core.permissions import Perm, requires

_COUNT_CAP = 10_000  # the summary counts exactly up to this many entries, then estimates


@requires(Perm.AUDIT_VIEW)
def list_entries(
    session: Session,
    *,
    actor: Actor,
    filters: AuditFilters | Mapping[str, Any] | None = None,
    after_seq: int | str | None = None,
    before_seq: int | str | None = None,
    limit: int = 50,
) -> AuditPage:
    """One page of the audit log, newest first. ``after_seq``: the page older than that cursor
    (``next_cursor``); ``before_seq``: the page newer than it (``prev_cursor``)."""
    q = parse_filters(filters)
    limit = whole_number("limit", limit, MAX_PAGE)
    after = seq_cursor("after_seq", after_seq)
    before = seq_cursor("before_seq", before_seq)
    if after is not None and before is not None:
        raise InvalidInput("give either after_seq or before_seq, not both")

    conds = conditions(session, q)
    if conds is None:
        return AuditPage([], False, None, None)
    stmt = sa.select(*ENTRY_COLUMNS).where(*conds)
    if before is not None:
        stmt = stmt.where(_c.seq > before).order_by(_c.seq.asc()).limit(limit + 1)
        rows = session.execute(stmt).all()
        newer = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        entries = [entry(r) for r in rows]
        return AuditPage(
            entries,
            has_more=bool(entries),  # the page we came from is older
            next_cursor=entries[-1].seq if entries else None,
            prev_cursor=entries[0].seq if entries and newer else None,
        )
    if after is not None:
        stmt = stmt.where(_c.seq < after)
    rows = session.execute(stmt.order_by(_c.seq.desc()).limit(limit + 1)).all()
    has_more = len(rows) > limit
    entries = [entry(r) for r in rows[:limit]]
    return AuditPage(
        entries,
        has_more=has_more,
        next_cursor=entries[-1].seq if entries and has_more else None,
        prev_cursor=entries[0].seq if entries and after is not None else None,
    )


@requires(Perm.AUDIT_VIEW)
def timeline_for(
    session: Session,
    *,
    actor: Actor,
    target_type: str,
    target_id: Any,
    limit: int = 100,
) -> list[AuditEntry]:
    """The most recent ``limit`` entries about one record, newest first."""
    target_type = clean_text("target_type", target_type, 64).lower()
    target_id = clean_text("target_id", "" if target_id is None else str(target_id), 64)
    if not target_type or not target_id:
        raise InvalidInput("a timeline needs both the record type and its id")
    record_type(target_type)
    limit = whole_number("limit", limit, MAX_PAGE)
    stmt = (
        sa.select(*ENTRY_COLUMNS)
        .where(_c.target_type == target_type, _c.target_id == target_id)
        .order_by(_c.seq.desc())
        .limit(limit)
    )
    return [entry(r) for r in session.execute(stmt).all()]


@requires(Perm.AUDIT_VIEW)
def chain_status(session: Session, *, actor: Actor, checkpoint_dir: Path | None = None) -> dict[str, Any]:
    """A cheap summary for the page header: the chain's head, how many entries (exact up to 10,000,
    else PostgreSQL's estimate) and the last signed checkpoint (is its row still there, unchanged?).
    Shows nothing of the entries themselves; full verification is ``verify_chain``
    (``python -m dashboard.cli audit verify``)."""
    head = session.execute(
        sa.select(_c.seq, _c.row_hash, _c.created_at).order_by(_c.seq.desc()).limit(1)
    ).first()
    counted = session.execute(
        sa.text("SELECT count(*) FROM (SELECT 1 FROM activity_logs LIMIT :cap) AS capped"), {"cap": _COUNT_CAP}
    ).scalar_one()
    if counted < _COUNT_CAP:
        rows, exact = int(counted), True
    else:
        estimate = session.execute(
            sa.text(
                "SELECT GREATEST(c.reltuples::bigint, pg_stat_get_live_tuples(c.oid)) "
                "FROM pg_class c WHERE c.oid = 'activity_logs'::regclass"
            )
        ).scalar_one()
        rows, exact = max(int(estimate or 0), _COUNT_CAP), False
    return {
        "head_seq": int(head[0]) if head else None,
        "head_hash": head[1] if head else None,
        "head_at": when(head[2])[0] if head else None,
        "rows": rows,
        "rows_exact": exact,
        "rows_label": f"{rows:,}" if exact else f"about {rows:,}",
        "checkpoint": checkpoint_status(session, checkpoint_dir=checkpoint_dir),
    }


@requires(Perm.AUDIT_VIEW)
def verify_with_status(session: Session, *, actor: Actor,
                       checkpoint_dir: Path | None = None) -> tuple[ChainCheck, dict[str, Any]]:
    """Walk the whole chain (slow on a big log), then the summary of the chain as it now stands.
    ``checkpoint_dir`` is passed explicitly when this runs in a worker process (its settings are its own)."""
    return (verify_chain(session, actor=actor, checkpoint_dir=checkpoint_dir),
            chain_status(session, actor=actor, checkpoint_dir=checkpoint_dir))
