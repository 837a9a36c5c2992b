"""The overview's counts: exact, one statement, and served by indexes."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.core.errors import NotAllowed, NotAuthenticated
from dashboard.overview.queries import COUNT_KEYS, overview_counts
from tests.e2e.data import insert_waiting_work

SUPPORT = Actor(user_id=uuid.uuid4(), email="sam@staff.test", role="SUPPORT")  # the least: every role may read it


def _counts(db: Session) -> dict[str, int]:
    return overview_counts(db, actor=SUPPORT)


def _sent_by(db: Session, work: Callable[[Session], object]) -> list[tuple[str, object]]:
    """The statements (and parameters) ``work(db)`` sends, leaving out the test's savepoints."""
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
            sent.append((statement, parameters))

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        work(db)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


def test_overview_counts_are_zero_on_an_empty_database(db: Session) -> None:
    assert _counts(db) == {key: 0 for key in COUNT_KEYS}


def test_overview_counts_only_waiting_items(db: Session) -> None:
    expected = insert_waiting_work(db)

    assert _counts(db) == expected


def test_overview_counts_run_as_one_statement(db: Session) -> None:
    assert len(_sent_by(db, _counts)) == 1


def test_overview_counts_need_an_officer() -> None:
    """Refused before any database work: without an actor, or for a caller who is not signed in."""
    with pytest.raises(NotAuthenticated):
        overview_counts(None, actor=None)
    with pytest.raises(NotAllowed):
        overview_counts(None, actor=Actor(user_id=None, email="x@y.z", role="SUPPORT"))


def test_overview_counts_can_use_an_index_for_every_queue(db: Session) -> None:
    """With sequential scans priced out, no table of the statement is read in full: every filter
    matches an index (the partial "pending" ones need the statuses inline, not as parameters)."""
    [(statement, parameters)] = _sent_by(db, _counts)
    assert not parameters, "the statuses should be inline literals"

    db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in db.execute(text("EXPLAIN " + statement)))

    assert "Seq Scan" not in plan, plan
