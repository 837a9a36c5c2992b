"""Issue 12, finding 8: junk sent by anonymous clients to Reflex's own handlers (``setvar``,
``handle_frontend_exception``) is answered plainly and logged as one short line, never a traceback.

Each junk call runs what Reflex runs for the event (the handler's function on a fresh, anonymous state
tree); an exception it raises goes to the app's ``backend_exception_handler``, as Reflex's event
processor does. ``handle_frontend_exception`` reaches the app's ``frontend_exception_handler``.
"""

from __future__ import annotations

import inspect
import logging
import uuid

import pytest
import reflex as rx
from reflex.state import FrontendEventExceptionState
from reflex_base import constants

import dashboard.dashboard as app_module
from dashboard.groups.state import GroupsState
from dashboard.ui.auth_state import AuthState

FAKE_TRACE = "Error: boom\n" + "    at Component (http://x/app.js:1:1)\n" * 5000


def _anonymous(cls: type) -> rx.State:
    root = rx.State(_reflex_internal_init=True)
    root._update_router_vars({constants.RouteVar.HEADERS: {"user-agent": "pytest"},
                              constants.RouteVar.CLIENT_IP: "127.0.0.1", constants.RouteVar.PATH: "/",
                              constants.RouteVar.CLIENT_TOKEN: uuid.uuid4().hex}, {})
    return root.get_substate(cls.get_full_name().split("."))


def _run(state: rx.State, name: str, *args: object) -> object:
    """One event as Reflex processes it: the handler's function, then the app's exception handler."""
    app = app_module.app
    try:
        result = type(state).event_handlers[name].fn(state, *args)
        if inspect.isgenerator(result):
            list(result)
        return None
    except Exception as exc:  # what the event processor hands to the app
        return app.backend_exception_handler(exc)


JUNK = [
    (GroupsState, "setvar", ("no_such_var", "x")),
    (GroupsState, "setvar", (1, 2)),
    (GroupsState, "setvar", ("tab",)),
    (GroupsState, "setvar", ("tab", {"$ne": None})),
    (GroupsState, "setvar", ("open_id", "'; DROP TABLE users; --")),
    (AuthState, "setvar", ("__class__", FAKE_TRACE)),
    (FrontendEventExceptionState, "handle_frontend_exception", (FAKE_TRACE, FAKE_TRACE)),
    (FrontendEventExceptionState, "handle_frontend_exception", ({"x": 1},)),
    (FrontendEventExceptionState, "handle_frontend_exception", ()),
    (FrontendEventExceptionState, "handle_frontend_exception", (None, None, None)),
]


@pytest.mark.parametrize(("cls", "name", "args"), JUNK, ids=[f"{c.__name__}.{n}-{i}" for i, (c, n, _) in enumerate(JUNK)])
def test_junk_to_reflex_handlers_is_one_short_line_and_changes_nothing(caplog, cls, name, args) -> None:
    state = _anonymous(cls)
    before = {k: v for k, v in state.dict().items()}
    with caplog.at_level(logging.DEBUG):
        answer = _run(state, name, *args)
    for record in caplog.records:
        text = record.getMessage()
        assert record.exc_info is None and "Traceback" not in text, text[:300]
        assert "\n" not in text and len(text) <= 600, text[:300]
    assert answer is None or isinstance(answer, rx.event.EventSpec)
    assert state.dict() == before


def test_a_bug_in_our_own_code_keeps_its_traceback(caplog) -> None:
    def handler() -> None:
        raise RuntimeError("a real bug")

    handler.__code__ = handler.__code__.replace(co_filename=app_module.__file__)  # as if in dashboard/
    try:
        handler()
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR):
            app_module.app.backend_exception_handler(exc)
    assert any(r.exc_info for r in caplog.records)
