"""A tab's state is bound to the sign-in that loaded it (issue 12, finding 2).

A tab token alone must never bring back what another session (or no session) loaded: officer A opens
the support inbox and a ticket, then the same state tree is presented again with no cookie, with
officer B's cookie, or with A's cookie after A's session was revoked. What the browser would receive
(the hydrate snapshot, or the delta of any other event) holds none of A's rows, and a handler B is
allowed to run starts from a clean page. Driven through the app's own middleware chain.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

import dashboard.dashboard as app_module
from dashboard import models as m
from dashboard.support.state import SupportState
from dashboard.ui.auth_state import AuthState
from reflex.istate.delta import _resolve_delta
from reflex.state import State
from reflex_base.event import Event
from reflex_base.utils.format import format_event_handler
from tests.ui.signin import page_state, present_cookie, run_handler, sign_in_state
from tests.ui.test_support_state import add_ticket

HYDRATE = format_event_handler(State.event_handlers["hydrate_and_load"])
MARKER = "QJXZ-PRIVATE"  # in the customer's message: no id, token or timestamp can contain it by chance


def _root(state: Any) -> State:
    return state._get_root_state()


def _opened_by_a(engine: Engine) -> tuple[SupportState, dict, Any]:
    ticket = add_ticket(engine, text=f"my card ends 4242 {MARKER}")
    state = page_state(SupportState)
    a = sign_in_state(state, engine, "SUPPORT", path="/support", query={"ticket": ticket["id"]})
    run_handler(state.load())
    assert state.open_id == ticket["id"] and ticket["email"] in json.dumps(state.rows)
    assert MARKER in json.dumps(state.messages)  # the secret is on screen before
    return state, ticket, a


def _event(state: Any, name: str, payload: dict | None = None) -> Any:
    """Run ``name`` through the app's middleware chain; return (update or None, the browser's snapshot)."""

    async def go() -> tuple[Any, str]:
        root = _root(state)
        update = await app_module.app._preprocess(root, Event(name=name, payload=payload or {}))
        return update, json.dumps(await _resolve_delta(root.dict()), default=str)

    return asyncio.run(go())


def _leaked(snapshot: str, *secrets: str) -> list[str]:
    """Each secret found in the snapshot, with what surrounds it (to say which state still held it)."""
    return [snapshot[max(0, i - 200):i + 60] for s in secrets if (i := snapshot.find(s)) >= 0]


def _assert_nothing_of(snapshot: str, ticket: dict, state: SupportState) -> None:
    assert _leaked(snapshot, ticket["email"], MARKER) == []
    assert state.rows == [] and state.open_id == "" and state.messages == []
    auth = _root(state).get_substate(AuthState.get_full_name().split("."))
    assert auth.signed_in is False and auth.officer_email == ""


def test_hydrate_without_a_cookie_gets_none_of_the_previous_rows(app_engine: Engine) -> None:
    state, ticket, _ = _opened_by_a(app_engine)
    present_cookie(state, None, path="/support")
    _, snapshot = _event(state, HYDRATE)
    _assert_nothing_of(snapshot, ticket, state)


def test_hydrate_with_another_officers_cookie_starts_clean(app_engine: Engine) -> None:
    state, ticket, _ = _opened_by_a(app_engine)
    sign_in_state(state, app_engine, "SUPPORT", path="/support")  # officer B, same tab token
    _, snapshot = _event(state, HYDRATE)
    assert _leaked(snapshot, ticket["email"], MARKER) == []
    assert state.rows == [] and state.open_id == "" and state.messages == []


def test_hydrate_after_the_session_was_revoked_starts_clean(app_engine: Engine) -> None:
    state, ticket, a = _opened_by_a(app_engine)
    with Session(app_engine) as session:
        session.execute(sa.update(m.ActiveSession).where(m.ActiveSession.id == a.session_id).values(revoked=True))
        session.commit()
    _, snapshot = _event(state, HYDRATE)
    _assert_nothing_of(snapshot, ticket, state)


def test_the_same_session_keeps_its_page_across_a_reconnect(app_engine: Engine) -> None:
    state, ticket, _ = _opened_by_a(app_engine)
    _, snapshot = _event(state, HYDRATE)
    assert ticket["email"] in snapshot and state.open_id == ticket["id"]


def test_an_allowed_handler_for_another_officer_starts_from_a_clean_page(app_engine: Engine) -> None:
    state, ticket, _ = _opened_by_a(app_engine)
    sign_in_state(state, app_engine, "SUPPORT", path="/support")  # B, without a reconnect
    run_handler(state.refresh())
    assert state.open_id == "" and state.messages == [] and state.customer == {}
    auth = _root(state).get_substate(AuthState.get_full_name().split("."))
    assert auth.officer_email != ticket["email"]


def test_a_builtin_event_from_a_stale_tab_sends_nothing_private(app_engine: Engine) -> None:
    state, ticket, _ = _opened_by_a(app_engine)
    present_cookie(state, None, path="/support")
    setvar = format_event_handler(SupportState.event_handlers["setvar"])
    _event(state, setvar, {"var_name": "loading", "value": False})
    assert state.rows == [] and state.open_id == "" and state.messages == []


def test_a_guarded_handler_without_a_session_clears_the_page(app_engine: Engine) -> None:
    state, ticket, _ = _opened_by_a(app_engine)
    present_cookie(state, None, path="/support")
    run_handler(state.refresh())
    assert state.rows == [] and state.open_id == "" and state.messages == []
