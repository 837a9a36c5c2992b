"""The job engine (dashboard/jobs): procrastinate's schema from the migration, the periodic jobs, the
record of each run, the queue's health, and a real worker running what is due against PostgreSQL."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from datetime import date, timedelta

import procrastinate
import pytest
from sqlalchemy import text
from sqlmodel import Session

from dashboard.audit import chain as audit
from dashboard.core.actor import Actor
from dashboard.jobs import engine as jobs_engine
from dashboard.jobs import runs, schedules
from dashboard.models import ScheduledRun

D = date(2026, 11, 29)


def _runs(engine, name: str) -> list[ScheduledRun]:
    with Session(engine) as s:
        return list(s.exec(text("SELECT name, ok, summary, details FROM scheduled_runs WHERE name = :n "
                                "ORDER BY started_at"), params={"n": name}).all())


# --- catch-up planning ------------------------------------------------------------------------------

def test_nothing_snapshotted_yet_means_yesterday_only() -> None:
    assert schedules.days_to_snapshot(None, D) == [D]


def test_up_to_date_means_nothing() -> None:
    assert schedules.days_to_snapshot(D, D) == []
    assert schedules.days_to_snapshot(D + timedelta(days=2), D) == []


def test_missed_days_are_caught_up_in_order() -> None:
    assert schedules.days_to_snapshot(D - timedelta(days=3), D) == [D - timedelta(days=2), D - timedelta(days=1), D]


def test_a_long_outage_is_caught_up_for_the_most_recent_days_only() -> None:
    days = schedules.days_to_snapshot(D - timedelta(days=400), D)
    assert len(days) == schedules.CATCH_UP_DAYS
    assert days[-1] == D and days[0] == D - timedelta(days=schedules.CATCH_UP_DAYS - 1)


# --- the record of runs -----------------------------------------------------------------------------

def test_a_run_is_recorded_with_its_outcome(app_engine) -> None:
    runs.record("unit_ok", lambda s: (True, "did it", {"n": 1}))
    [row] = _runs(app_engine, "unit_ok")
    assert row.ok is True and row.summary == "did it" and row.details == {"n": 1}


def test_a_failed_run_is_recorded_its_work_rolled_back_and_the_error_raised(app_engine) -> None:
    def work(session: Session):
        audit.record(session, actor=Actor.system("test"), action="portfolios.snapshot", description="half done")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        runs.record("unit_fail", work)
    [row] = _runs(app_engine, "unit_fail")
    assert row.ok is False and "RuntimeError: disk full" in row.summary
    with Session(app_engine) as s:
        assert s.exec(text("SELECT count(*) FROM activity_logs WHERE description = 'half done'")).one()[0] == 0


def test_last_run_is_the_newest(app_engine) -> None:
    runs.record("unit_last", lambda s: (True, "first", {}))
    runs.record("unit_last", lambda s: (False, "second", {}))
    with Session(app_engine) as s:
        last = runs.last_run(s, "unit_last")
    assert last is not None and last.summary == "second" and last.ok is False


# --- the schedules' work ----------------------------------------------------------------------------

def test_snapshot_catch_up_is_idempotent(app_engine) -> None:
    with Session(app_engine) as s, s.begin():
        first = schedules.catch_up_snapshots(s, yesterday=D)
    with Session(app_engine) as s, s.begin():
        second = schedules.catch_up_snapshots(s, yesterday=D)
    assert "snapshots" in first and "snapshots" in second
    with Session(app_engine) as s:
        actions = s.exec(text("SELECT count(*) FROM activity_logs WHERE action = 'portfolios.snapshot'")).one()[0]
    assert actions >= 1


def test_the_chain_check_signs_the_head_when_intact(app_engine, audit_checkpoints) -> None:
    with Session(app_engine) as s, s.begin():
        audit.record(s, actor=Actor.system("test"), action="portfolios.snapshot", description="an entry")
    with Session(app_engine) as s, s.begin():
        ok, summary, details = schedules.check_chain(s, whole=True)
    assert ok is True and "chain intact" in summary and "checkpoint signed" in summary
    assert details["rows_checked"] >= 1
    assert list(audit_checkpoints.glob("*"))


def test_the_chain_check_reports_a_tampered_row(app_engine) -> None:
    with Session(app_engine) as s, s.begin():
        audit.record(s, actor=Actor.system("test"), action="portfolios.snapshot", description="an entry")
    with app_engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("UPDATE activity_logs SET description = 'rewritten'"))
    with Session(app_engine) as s, s.begin():
        ok, summary, details = schedules.check_chain(s, whole=True)
    assert ok is False and "BROKEN" in summary and details["bad_seq"] is not None


# --- a real worker ----------------------------------------------------------------------------------

async def _defer_and_work(url: str, *tasks) -> list[int]:
    """Defer each task, then run a worker until the queue is empty. (The worker's own periodic deferrer
    may add the schedules whose tick is due now: the tests look at the jobs deferred here, by id.)"""
    await jobs_engine.open_app(url)
    try:
        ids = [await task.defer_async(timestamp=0) for task in tasks]
    finally:
        await jobs_engine.close_app()
    await jobs_engine.run_worker(url, concurrency=2, wait=False)
    return ids


def _status(engine, job_id: int) -> str:
    with Session(engine) as s:
        return s.exec(text("SELECT status::text FROM procrastinate_jobs WHERE id = :i"), params={"i": job_id}).one()[0]


def test_a_worker_runs_the_due_schedules_and_each_is_recorded(app_engine, fresh_db_url) -> None:
    ids = asyncio.run(_defer_and_work(fresh_db_url, schedules.sweep_downloads, schedules.audit_checkpoint))
    assert [_status(app_engine, i) for i in ids] == ["succeeded", "succeeded"]
    for name in ("sweep_downloads", "audit_checkpoint"):
        recorded = [r.ok for r in _runs(app_engine, name)]
        assert recorded and all(recorded), (name, recorded)
    with Session(app_engine) as s:
        health = runs.queue_health(s)
    assert health.queued == 0 and health.running == 0 and health.failed == 0


def test_a_schedule_waits_in_the_queue_at_most_once(app_engine, fresh_db_url) -> None:
    async def twice() -> None:
        await jobs_engine.open_app(fresh_db_url)
        try:
            await schedules.audit_verify.defer_async(timestamp=1)
            with pytest.raises(procrastinate.exceptions.AlreadyEnqueued):
                await schedules.audit_verify.defer_async(timestamp=2)
        finally:
            await jobs_engine.close_app()

    asyncio.run(twice())
    with Session(app_engine) as s:
        health = runs.queue_health(s)
    assert health.queued == 1 and health.oldest_queued_seconds is not None and health.oldest_queued_seconds >= 0


def test_jobs_of_a_dead_worker_go_back_to_the_queue(app_engine, fresh_db_url) -> None:
    """A worker killed mid-job leaves its job 'doing' and its heartbeat stops; the every-minute schedule
    hands the job back so another worker runs it."""
    with app_engine.begin() as conn:
        worker_id = conn.execute(text(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '10 minutes') RETURNING id"
        )).scalar_one()
        job_id = conn.execute(text(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, status, worker_id, args) "
            "VALUES ('schedules', 'sweep_downloads', 'doing', :w, '{\"timestamp\": 0}') RETURNING id"),
            {"w": worker_id}).scalar_one()

    async def retry() -> None:
        opened = await jobs_engine.open_app(fresh_db_url)
        try:
            await schedules.retry_stalled_jobs(SimpleNamespace(app=opened), timestamp=0)
        finally:
            await jobs_engine.close_app()

    asyncio.run(retry())
    asyncio.run(jobs_engine.run_worker(fresh_db_url, concurrency=1, wait=False))
    assert _status(app_engine, job_id) == "succeeded"
    recorded = [r.ok for r in _runs(app_engine, "sweep_downloads")]
    assert recorded and all(recorded)


def test_the_worker_command_runs_what_is_due_and_exits(app_engine, fresh_db_url, monkeypatch) -> None:
    from dashboard.cli.__main__ import main

    async def defer() -> int:
        await jobs_engine.open_app(fresh_db_url)
        try:
            return await schedules.sweep_downloads.defer_async(timestamp=0)
        finally:
            await jobs_engine.close_app()

    job_id = asyncio.run(defer())
    monkeypatch.setenv("DATABASE_URL", fresh_db_url)
    from dashboard.config import get_settings

    monkeypatch.setattr(get_settings(), "database_url", fresh_db_url)
    assert main(["worker", "--once", "--queue", "schedules"]) == 0
    assert _status(app_engine, job_id) == "succeeded"
