"""The record of scheduled runs (``scheduled_runs``) and the queue's health figures."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from dashboard.db import session_scope
from dashboard.models.jobs import ScheduledRun

log = logging.getLogger(__name__)

Outcome = tuple[bool, str, dict]


def record(name: str, work: Callable[[Session], Outcome]) -> Outcome:
    """Run ``work(session)`` in one transaction and record its outcome in another. An exception is
    recorded as a failed run (its work rolled back) and raised again, so the job engine retries it."""
    started = datetime.now(UTC)
    try:
        with session_scope() as session:
            outcome = work(session)
    except Exception as exc:
        _write(name, started, False, f"failed: {exc.__class__.__name__}: {exc}", {})
        raise
    _write(name, started, *outcome)
    return outcome


def _write(name: str, started: datetime, ok: bool, summary: str, details: dict) -> None:
    with session_scope() as session:
        session.add(ScheduledRun(name=name, started_at=started, finished_at=datetime.now(UTC), ok=ok,
                                 summary=summary, details=details))
    (log.info if ok else log.error)("scheduled run %s: %s", name, summary)


def last_run(session: Session, name: str) -> ScheduledRun | None:
    return session.execute(
        sa.select(ScheduledRun).where(ScheduledRun.name == name).order_by(ScheduledRun.started_at.desc()).limit(1)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class QueueHealth:
    queued: int  # waiting to run (todo), now or at a later time
    running: int  # doing
    failed: int  # failed for good (no retry left)
    oldest_queued_seconds: float | None  # how long the oldest job due now has been waiting


def queue_health(session: Session) -> QueueHealth:
    row = session.execute(sa.text(
        "WITH due AS (SELECT coalesce(j.scheduled_at, (SELECT min(e.at) FROM procrastinate_events e "
        "  WHERE e.job_id = j.id)) AS since FROM procrastinate_jobs j "
        "  WHERE j.status = 'todo' AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())) "
        "SELECT count(*) FILTER (WHERE status = 'todo'), count(*) FILTER (WHERE status = 'doing'), "
        "count(*) FILTER (WHERE status = 'failed'), "
        "(SELECT extract(epoch FROM now() - min(since)) FROM due) FROM procrastinate_jobs"
    )).one()
    return QueueHealth(int(row[0]), int(row[1]), int(row[2]), float(row[3]) if row[3] is not None else None)
