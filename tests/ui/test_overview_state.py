"""The overview page state, driven in plain pytest: the on_load handler against a real database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
import reflex as rx
from sqlalchemy import Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session

import dashboard.dashboard  # noqa: F401  (builds the app and its state tree once per process)
from dashboard import db as dashboard_db
from dashboard.db import make_engine
from dashboard.overview.queries import COUNT_KEYS
from dashboard.overview.state import DB_ERROR, NO_VALUE, OverviewState
from dashboard.overview.view import CARDS
from tests.e2e.data import insert_waiting_work
from tests.ui.signin import sign_in_state


def _overview_state() -> OverviewState:
    root = rx.State(_reflex_internal_init=True)
    return root.get_substate(OverviewState.get_full_name().split("."))


def _load(state: OverviewState) -> list[bool]:
    """Run the on_load handler to the end; return ``loading`` as seen at each yield."""

    async def drive() -> list[bool]:
        seen = []
        async for _ in state.load_overview():
            seen.append(state.loading)
        return seen

    return asyncio.run(drive())


@pytest.fixture
def use_engine() -> Iterator[Callable[[Engine], None]]:
    """Point the app at a given engine for one test, then restore whatever it had."""
    previous = dashboard_db._engine

    def use(engine: Engine) -> None:
        dashboard_db.set_engine(engine)

    yield use
    dashboard_db.set_engine(previous)


def test_overview_shows_zeros_on_an_empty_database(fresh_engine: Engine, use_engine) -> None:
    use_engine(fresh_engine)
    state = _overview_state()
    sign_in_state(state, fresh_engine, "ADMIN")

    seen_loading = _load(state)

    assert seen_loading == [True], "the page shows its skeleton while the counts are read"
    assert state.loading is False
    assert state.error == ""
    assert state.counts == {key: "0" for key in COUNT_KEYS}
    assert state.checked_at.endswith("UTC")


def test_overview_shows_the_waiting_work_as_strings(fresh_engine: Engine, use_engine) -> None:
    # The handler reads through its own connection, so the rows are committed, in a database of
    # this test's own (the shared test database stays empty for the other tests).
    with Session(fresh_engine) as session:
        expected = insert_waiting_work(session)
        session.commit()
    use_engine(fresh_engine)
    state = _overview_state()
    sign_in_state(state, fresh_engine, "TREASURER")

    _load(state)

    assert state.error == ""
    assert state.counts == {key: str(value) for key, value in expected.items()}
    assert all(isinstance(value, str) for value in state.counts.values())


def test_overview_formats_large_counts_with_separators(fresh_engine: Engine, use_engine, monkeypatch) -> None:
    from dashboard.overview import queries as overview

    monkeypatch.setattr(overview, "overview_counts", lambda session, *, actor: {key: 1234567 for key in COUNT_KEYS})
    use_engine(fresh_engine)
    state = _overview_state()
    sign_in_state(state, fresh_engine, "MANAGER")

    _load(state)

    assert set(state.counts.values()) == {"1,234,567"}


def test_overview_says_so_when_the_counts_cannot_be_read(fresh_engine: Engine, use_engine, monkeypatch,
                                                         caplog) -> None:
    from dashboard.overview import queries as overview

    def broken(session, *, actor):
        raise RuntimeError("relation does not exist")

    monkeypatch.setattr(overview, "overview_counts", broken)
    use_engine(fresh_engine)
    state = _overview_state()
    sign_in_state(state, fresh_engine, "SUPPORT")

    _load(state)

    assert state.loading is False
    assert state.error == DB_ERROR
    assert state.counts == {key: NO_VALUE for key in COUNT_KEYS}
    assert state.checked_at == ""
    assert "OverviewState: " in caplog.text and "relation does not exist" in caplog.text  # logged by _run


def test_with_the_database_unreachable_nothing_loads_and_no_error_escapes(use_engine, caplog) -> None:
    """Even the session cannot be checked: the guard says so and the handler body never runs."""
    unreachable = make_engine(
        "postgresql://postgres@127.0.0.1:9/none", poolclass=NullPool, connect_args={"connect_timeout": 2}
    )
    use_engine(unreachable)
    state = _overview_state()
    from tests.ui.signin import present_cookie

    present_cookie(state, "x" * 43)

    _load(state)

    assert state.counts == {key: NO_VALUE for key in COUNT_KEYS}
    assert "resolving the session failed" in caplog.text
    unreachable.dispose()


def test_without_a_session_the_overview_sends_to_sign_in(fresh_engine: Engine, use_engine) -> None:
    use_engine(fresh_engine)
    state = _overview_state()

    _load(state)

    assert state.signed_in is False
    assert state.counts == {key: NO_VALUE for key in COUNT_KEYS}


def test_overview_state_exposes_only_its_load_handler() -> None:
    """Any client can call any public handler: this state must offer nothing but the read. Reflex
    adds ``setvar`` to every state; it can only call ``set_<var>`` setters, and there are none."""
    public = {name for name in OverviewState.event_handlers if not name.startswith("_")}

    assert public == {"load_overview", "setvar"}
    state = _overview_state()
    for var in ("loading", "error", "counts", "checked_at"):
        with pytest.raises(AttributeError, match="no attribute 'set_"):
            state.setvar(var, "forged")


def test_every_count_of_the_service_has_a_card() -> None:
    assert list(CARDS) == list(COUNT_KEYS)
