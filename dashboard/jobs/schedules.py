"""The periodic jobs. Each is a procrastinate periodic task with a lock of its own name (two runs of one
schedule never overlap, and at most one waits in the queue), on the ``schedules`` queue. Procrastinate
defers each tick once however many workers run (``procrastinate_periodic_defers`` is unique per tick).

- ``snapshot_catch_up`` (daily, at ``DASHBOARD_SNAPSHOT_HOUR`` UTC): the portfolio snapshots of every
  day since the last one up to yesterday (a missed day, or a week the workers were down, is caught up;
  at most ``CATCH_UP_DAYS``); idempotent, like ``python -m dashboard.cli snapshot``.
- ``audit_checkpoint`` (hourly): check the last signed checkpoint and the rows after it, sign the head.
- ``audit_verify`` (nightly): walk the whole chain; admins see the result on the audit screen.
- ``sweep_downloads`` (every 10 minutes): forget expired download offers and delete their files.
- ``retry_stalled_jobs`` (every minute): jobs of a worker that stopped sending heartbeats (killed, host
  lost) go back to the queue.

Every run writes one ``scheduled_runs`` row (``runs.record``), failed runs included.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import procrastinate
import sqlalchemy as sa
from sqlmodel import Session

from dashboard.audit.checkpoint import sign_head
from dashboard.audit.verify import verify_chain
from dashboard.config import get_settings
from dashboard.core import downloads
from dashboard.core.actor import Actor
from dashboard.jobs import runs
from dashboard.jobs.engine import app
from dashboard.portfolios import snapshots

log = logging.getLogger(__name__)

CATCH_UP_DAYS = 31
ACTOR = Actor.system("jobs")


def _schedule(name: str, cron: str, *, pass_context: bool = False):
    """``@app.periodic`` + ``@app.task`` with the schedule's own lock and queueing lock."""

    def wrap(fn):
        task = app.task(name=name, queue="schedules", lock=name, queueing_lock=name, pass_context=pass_context)(fn)
        return app.periodic(cron=cron, periodic_id=name)(task)

    return wrap


def days_to_snapshot(last: date | None, yesterday: date) -> list[date]:
    """From the day after ``last`` to ``yesterday`` (at most ``CATCH_UP_DAYS`` days, the most recent
    ones); only yesterday when nothing was ever snapshotted."""
    if last is None or last >= yesterday:
        return [yesterday] if last is None else []
    first = max(last + timedelta(days=1), yesterday - timedelta(days=CATCH_UP_DAYS - 1))
    return [first + timedelta(days=i) for i in range((yesterday - first).days + 1)]


def catch_up_snapshots(session: Session, *, yesterday: date | None = None) -> str:
    yesterday = yesterday or snapshots.yesterday_utc()
    last = session.execute(sa.text("SELECT max(snapshot_date) FROM portfolio_daily_totals")).scalar_one()
    days = days_to_snapshot(last, yesterday)
    if not days:
        return f"snapshots: up to date (last day {last})"
    return snapshots.snapshot_days(session, days=days, actor=ACTOR).summary()


def check_chain(session: Session, *, whole: bool) -> tuple[bool, str, dict]:
    result = verify_chain(session, actor=ACTOR, since_checkpoint=not whole)
    db = session.execute(sa.text("SELECT current_database()")).scalar_one()
    details = {"rows_checked": result.rows_checked, "head_seq": result.last_seq, "kind": result.kind,
               "bad_seq": result.bad_seq, "seconds": round(result.elapsed, 3)}
    if not result.ok:
        log.error("audit chain check failed: %s", result.summary())
        return False, result.summary(), details
    return True, f"{result.summary()}; {sign_head(db, result, incremental=not whole)}", details


_hour = get_settings().snapshot_hour_utc


@_schedule("snapshot_catch_up", f"15 {_hour} * * *")
def snapshot_catch_up(timestamp: int) -> None:
    runs.record("snapshot_catch_up", lambda s: (True, catch_up_snapshots(s), {}))


@_schedule("audit_checkpoint", "5 * * * *")
def audit_checkpoint(timestamp: int) -> None:
    runs.record("audit_checkpoint", lambda s: check_chain(s, whole=False))


@_schedule("audit_verify", f"45 {(_hour + 1) % 24} * * *")
def audit_verify(timestamp: int) -> None:
    runs.record("audit_verify", lambda s: check_chain(s, whole=True))


@_schedule("sweep_downloads", "*/10 * * * *")
def sweep_downloads(timestamp: int) -> None:
    runs.record("sweep_downloads", lambda s: (True, f"{downloads.sweep(s):,} expired download(s) removed", {}))


@_schedule("retry_stalled_jobs", "* * * * *", pass_context=True)
async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> None:
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs():
        log.warning("job %s (%s) was running on a worker that stopped; retrying it", job.id, job.task_name)
        await manager.retry_job(job)
