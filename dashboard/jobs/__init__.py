"""Background work on procrastinate, a job queue that lives in PostgreSQL (issue 16).

Why procrastinate: it needs no server beyond the database the dashboard already has (jobs, locks and
periodic schedules are rows and functions in PostgreSQL; workers wake on LISTEN/NOTIFY), it scales by
starting more worker processes on any machine that reaches the database, and it gives retries with
backoff, per-task locks (two jobs with one lock never run at once) and queueing locks (at most one
waiting job per lock) without code of ours. Its schema is created by an Alembic migration like every
other table (``migrations/versions/*_job_engine.py``).

- ``engine``: the procrastinate app, opening it, running a worker.
- ``schedules``: the periodic jobs (daily snapshot with catch-up, audit checkpoint and nightly verify,
  sweeping expired downloads). Each run is recorded in ``scheduled_runs`` (``runs``).
- ``runs``: the record of each scheduled run and the queue's health figures for the overview.

Workers: ``python -m dashboard.cli worker`` (``scripts/start.sh`` starts one beside the dashboard).
"""
