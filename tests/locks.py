"""A real barrier for race tests: the second party runs on a second connection, and the test waits until
PostgreSQL shows that connection blocked on the lock the first one holds (never a ``sleep()``)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard.core.errors import DomainError

LOCK_WAIT_SECONDS = 10.0


def backend_pid(session: Session) -> int:
    return session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def wait_until_blocked_on_a_lock(engine: Engine, pid: int, worker: threading.Thread) -> None:
    """The barrier: return once the backend ``pid`` waits for a lock (a lock it asked for and was not
    granted in ``pg_locks``, and ``wait_event_type = 'Lock'`` in ``pg_stat_activity``); fail the test if
    it never does within ``LOCK_WAIT_SECONDS`` or its thread ends first. Each probe runs in its own
    transaction (``pg_stat_activity`` is a snapshot per transaction)."""
    probe = sa.text(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = :pid AND NOT granted) "
        "AND EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = :pid AND wait_event_type = 'Lock')"
    )
    polled = threading.Event()  # never set: its timed wait paces the probes
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(probe, {"pid": pid}).scalar_one():
                return
        if not worker.is_alive():
            pytest.fail("the second party finished without waiting for the lock")
        polled.wait(0.02)
    pytest.fail(f"the second party's connection (pid {pid}) never waited for the lock")


def race(engine: Engine, first: Session, second: Callable[[Session], Any]) -> dict[str, Any]:
    """Run ``second`` in a thread, on a second connection, while ``first`` holds the row lock; once that
    connection is seen blocked on the lock, commit ``first`` and let ``second`` finish. Returns
    ``{"result": ...}``: what ``second`` returned, or the message of the domain error it raised (and its
    class name as ``"error"``)."""
    outcome: dict[str, Any] = {}
    pids: queue.Queue[int] = queue.Queue()

    def run() -> None:
        with Session(engine) as s2:
            try:
                with s2.begin():
                    pids.put(backend_pid(s2))
                    outcome["result"] = second(s2)
            except DomainError as exc:  # the refusal the second party gets once the first has committed
                outcome["result"] = str(exc)
                outcome["error"] = type(exc).__name__

    worker = threading.Thread(target=run)
    worker.start()
    try:
        wait_until_blocked_on_a_lock(engine, pids.get(timeout=LOCK_WAIT_SECONDS), worker)
    finally:
        first.commit()
        first.close()
        worker.join(LOCK_WAIT_SECONDS)
    assert not worker.is_alive(), "the second party did not finish once the lock was released"
    return outcome
