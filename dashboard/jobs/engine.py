"""The procrastinate app, its connection pool and the worker loop.

The app is built at import (tasks register on it with ``@app.task``) but connects only when opened:
``open_app(url)`` hands it a psycopg pool on the database the rest of the dashboard uses. Every module
that defines tasks is listed in ``TASK_MODULES`` so that a worker (and ``defer`` from the web process)
knows them all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import procrastinate
from dashboard.db import to_libpq_url

log = logging.getLogger(__name__)

TASK_MODULES = ("dashboard.jobs.schedules",)
QUEUES = ("default", "schedules")
STALLED_AFTER_SECONDS = 30.0

app = procrastinate.App(connector=procrastinate.PsycopgConnector(), import_paths=list(TASK_MODULES))


async def open_app(url: str, *, max_size: int = 4) -> procrastinate.App:
    """Connect the app to ``url`` with a pool of its own (workers LISTEN on one of its connections).
    The connector is swapped the way procrastinate's ``replace_connector`` does it, for the process's
    lifetime instead of a block."""
    connector = procrastinate.PsycopgConnector(
        conninfo=to_libpq_url(url), min_size=1, max_size=max_size,
        kwargs={"application_name": "dashboard-jobs"},
    )
    app.connector = connector
    app.job_manager.connector = connector
    await app.open_async()
    return app


async def close_app() -> None:
    await app.close_async()


async def run_worker(url: str, *, concurrency: int = 2, queues: Sequence[str] | None = None,
                     wait: bool = True, name: str | None = None) -> None:
    """Run a worker until SIGINT/SIGTERM (``wait=True``), or until the queues are empty (``wait=False``:
    tests and one-off catch-up runs)."""
    await open_app(url, max_size=concurrency + 2)
    try:
        await app.run_worker_async(
            queues=list(queues) if queues else None,
            concurrency=concurrency,
            wait=wait,
            name=name,
            install_signal_handlers=wait,
            # A worker that stops sending heartbeats for this long is taken for dead: its running jobs
            # are handed back by the ``retry_stalled_jobs`` schedule (dashboard/jobs/schedules.py).
            stalled_worker_timeout=STALLED_AFTER_SECONDS,
        )
    finally:
        await close_app()


def main(url: str, *, concurrency: int, queues: Sequence[str] | None, once: bool) -> int:
    try:
        asyncio.run(run_worker(url, concurrency=concurrency, queues=queues, wait=not once))
    except KeyboardInterrupt:
        return 130
    return 0


