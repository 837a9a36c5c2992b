"""The app's answers to exceptions Reflex reports (``rx.App(frontend_exception_handler=...,
backend_exception_handler=...)``), issue 12 finding 8.

Reflex's own event handlers are reachable by any websocket client, signed in or not: ``setvar`` (on every
state) and ``handle_frontend_exception`` (the browser reporting an error). Junk sent to them (an unknown
var name, a missing argument, megabytes of made-up "stack trace") used to write a full traceback, or the
client's text verbatim, to the log for every message: an anonymous client could fill the log.

- ``frontend_exception_handler``: one line, at most ``MAX_REPORT`` characters, line breaks shown as
  ``⏎``; what a browser says is a hint, never trusted as a multi-line log entry.
- ``backend_exception_handler``: an exception raised only inside Reflex's frames (junk that never reached
  our code) is one warning line without a traceback, and the client gets a plain "could not be done"
  toast. An exception that passed through the dashboard's own code is a bug: it keeps its traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType

import reflex as rx
from reflex.event import EventSpec

log = logging.getLogger("dashboard.ui.events")
MAX_REPORT = 300
REFUSED = "That request could not be processed. Reload the page if this keeps happening."
FAILED = "Something went wrong on the server. Try again; if it keeps happening, tell an administrator."
_OURS = str(Path(__file__).resolve().parents[1]) + "/"  # the dashboard package


def one_line(text: object, limit: int = MAX_REPORT) -> str:
    flat = " ⏎ ".join(str(text).splitlines()) if text is not None else ""
    return flat if len(flat) <= limit else flat[:limit] + f"… ({len(flat) - limit} more characters)"


def _through_our_code(tb: TracebackType | None) -> bool:
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith(_OURS):
            return True
        tb = tb.tb_next
    return False


def frontend_exception_handler(exception: Exception) -> None:
    log.warning("browser reported an error: %s", one_line(exception))


def backend_exception_handler(exception: Exception) -> EventSpec | None:
    seen: set[int] = set()
    current: BaseException | None = exception
    while current is not None and id(current) not in seen:  # the cause chain too (payload conversion)
        seen.add(id(current))
        if _through_our_code(current.__traceback__):
            log.error("event handler failed", exc_info=exception)
            return rx.toast.error(FAILED)
        current = current.__cause__ or current.__context__
    log.warning("refused an event the server could not apply: %s: %s", type(exception).__name__,
                one_line(exception, 200))
    return rx.toast.error(REFUSED)
