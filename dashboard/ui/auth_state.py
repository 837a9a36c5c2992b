"""The signed-in officer, resolved on the server for every event.

The session token lives in an **HttpOnly** cookie set by ``dashboard/web/auth.py``; page scripts can
never read it. Every event arrives over the websocket whose handshake carried that cookie, and
Reflex takes the headers from the connection itself (not from anything the client sends in the
event), so ``self.router.headers.cookie`` is the real cookie of the browser that sent the event.

Every public handler of every page state is wrapped by ``guarded(perm)`` (or ``public()``): it
resolves the officer from the session row in the database, checks the permission, and only then
runs the handler with ``current_actor()`` available. A handler without a decision fails the
permission-matrix test. This module imports nothing from the pages.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from dashboard.core.actor import Actor
from dashboard.core.errors import DomainError, NotAllowed, NotAuthenticated
from dashboard.core.permissions import Perm
from dashboard.core.session_cookie import token_from_cookie_header
from dashboard.db import run_db
from dashboard.ui import screens

log = logging.getLogger(__name__)
T = TypeVar("T")

ROLE_LABELS = {
    "ADMIN": "Administrator",
    "COMPLIANCE": "Compliance officer",
    "TREASURER": "Treasurer",
    "MANAGER": "Manager",
    "SUPPORT": "Support agent",
    "GROUP_OFFICER": "Group officer",
}
PUBLIC = screens.PUBLIC
# ``guarded(SCREEN)``: the permission of the screen the state declares (``screen = screens.X_SCREEN``),
# so a handler shared by every list screen still checks the screen's own permission.
SCREEN = "<the screen's permission>"
# ``guarded(DIALOGS)``: the permission the state names in ``dialog_perm`` (the decision dialogs' own).
DIALOGS = "<the dialogs' permission>"
FAILED = "The server could not complete this. Nothing was changed; try again in a moment."

_current_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("current_actor", default=None)
# Tests register a list here to observe each guard's decision: (handler name, outcome).
decisions: contextvars.ContextVar[list[tuple[str, str]] | None] = contextvars.ContextVar("decisions", default=None)


def current_actor() -> Actor:
    actor = _current_actor.get()
    if actor is None:  # a handler that forgot its guard: refuse rather than act as nobody
        raise NotAuthenticated("Please sign in.")
    return actor


def permission_of(state_cls: type, handler: Callable[..., Any]) -> str | None:
    """The permission a guarded handler checks when it runs on ``state_cls`` (None: unguarded)."""
    perm = getattr(handler, "__permission__", None)
    if perm == SCREEN:
        screen = getattr(state_cls, "screen", None)
        return screen.perm if isinstance(screen, screens.Screen) else None
    if perm == DIALOGS:
        named = getattr(state_cls, "dialog_perm", None)
        return named if isinstance(named, str) and named != DIALOGS else None
    return perm


def _note(name: str, outcome: str) -> None:
    seen = decisions.get()
    if seen is not None:
        seen.append((name, outcome))


class AuthState(rx.State):
    """Base of every page state. Display copies of who is signed in (never trusted for decisions)."""

    signed_in: bool = False
    officer_email: str = ""
    officer_name: str = ""
    officer_role: str = ""
    officer_role_label: str = ""
    officer_permissions: list[str] = []
    access_error: str = ""
    # Which sign-in this tab's page states were loaded under: a hash of the session row's id (never
    # the token), backend-only. Empty: no session, so every page state holds only its defaults.
    _session_key: str = ""

    async def _resolve_actor(self) -> Actor:
        from dashboard.auth.sessions import resolve_session

        token = token_from_cookie_header(self.router.headers.cookie)
        if token is None:
            raise NotAuthenticated("Please sign in.")
        return await run_db(
            resolve_session,
            token=token,
            ip_address=self.router.session.client_ip or None,
            user_agent=(self.router.headers.user_agent or "")[:500] or None,
        )

    def _show_officer(self, actor: Actor) -> None:
        self.signed_in = True
        self.officer_email = actor.email or ""
        self.officer_role = actor.role or ""
        self.officer_role_label = ROLE_LABELS.get(actor.role or "", actor.role or "")
        self.officer_name = actor.email or ""
        from dashboard.core.permissions import permissions_for

        self.officer_permissions = sorted(p.value for p in permissions_for(actor.role))

    async def _run(self, fn: Callable[..., T], /, *, into: str = "", failure: str = FAILED,
                   **kwargs: Any) -> tuple[bool, T | None]:
        """Run a query or action as the signed-in officer, off the event loop: ``(True, result)``.

        A domain error (bad input, a stale view, not allowed on this row) is the officer's message: with
        ``into`` it goes into that var and ``(False, None)`` comes back; without, it propagates and
        ``guarded`` shows it as a toast. Anything unexpected is logged and becomes ``failure``. This is
        the one place pages turn errors into messages.
        """
        try:
            return True, await run_db(fn, actor=current_actor(), **kwargs)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            if not into:
                raise
            setattr(self, into, str(exc))
        except Exception:
            log.exception("%s: %s failed", type(self).__name__, getattr(fn, "__qualname__", fn))
            if not into:
                raise DomainError(failure) from None
            setattr(self, into, failure)
        return False, None

    def _auth_root(self) -> AuthState:
        state: Any = unproxied(self)
        while type(state) is not AuthState:
            state = state.parent_state
        return state

    async def _bind_session(self, actor: Actor | None) -> bool:
        """Bind this tab to the session presented now (None: no valid session). When it is not the
        session that loaded the page states, every page state of the tab (this one, its siblings,
        their backend vars) goes back to its defaults first. True when something was cleared."""
        key = session_key(actor)
        auth = self._auth_root()
        if auth._session_key == key and key:
            return False
        for state_cls in _page_state_classes():  # loaded, so a lazily loading manager clears them too
            await auth.get_state(state_cls)
        auth.reset()
        auth._session_key = key
        return True

    def _signed_out(self) -> None:
        self.signed_in = False
        self.officer_email = self.officer_name = self.officer_role = self.officer_role_label = ""
        self.officer_permissions = []


def unproxied(state: Any) -> Any:
    """The state itself: a background event's handler gets it wrapped in Reflex's ``StateProxy``."""
    from reflex.istate.proxy import StateProxy

    return state.__wrapped__ if isinstance(state, StateProxy) else state


def session_key(actor: Actor | None) -> str:
    if actor is None or actor.session_id is None:
        return ""
    return hashlib.sha256(b"tab-session:" + str(actor.session_id).encode()).hexdigest()[:32]


def _page_state_classes() -> list[type[rx.State]]:
    found, todo = [], list(AuthState.get_substates())
    while todo:
        state_cls = todo.pop()
        found.append(state_cls)
        todo.extend(state_cls.get_substates())
    return found


def _login_redirect(state: AuthState) -> rx.event.EventSpec:
    path = state.router.url.path or "/"
    target = screens.LOGIN + (f"?next={path}" if path.startswith("/") and not path.startswith("//") else "")
    return rx.redirect(target)


INVALID = "That request is not valid."


def guarded(perm: Perm | str, *, opens_page: bool = False,
            background: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the handler only for a signed-in officer holding ``perm`` (or anyone, for ``PUBLIC``).

    Denied calls change nothing: the handler body never runs; a denied page load (``opens_page``)
    also replaces the page's content with an access-denied notice. Domain errors raised by the
    services become a toast with their message. A call whose arguments do not fit the handler's
    signature (wrong number, unknown keyword) is refused with ``INVALID`` before the body runs.

    ``background=True`` makes it a Reflex background event (``@rx.event(background=True)``): it runs
    without holding the tab's state lock, so the tab's other events go on while it works; the guard
    still decides first, changing state only inside ``async with self`` (as the body must too).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        is_gen = inspect.isasyncgenfunction(fn)
        is_coro = inspect.iscoroutinefunction(fn)
        if not (is_gen or is_coro):
            raise TypeError(f"{fn.__qualname__}: guarded handlers must be async (database work off the event loop)")
        name = fn.__qualname__

        signature = inspect.signature(fn)

        @functools.wraps(fn)
        async def handler(self: AuthState, *args: Any, **kwargs: Any):
            actor: Actor | None = None
            needed = permission_of(type(unproxied(self)), handler)
            if needed is None:  # a shared handler on a state that declares no screen: refuse
                log.error("%s.%s: no screen permission declared", type(self).__name__, fn.__name__)
                _note(name, "error")
                yield rx.toast.error(FAILED)
                return
            if needed != PUBLIC:
                try:
                    actor = await self._resolve_actor()
                except NotAuthenticated as exc:
                    _note(name, "unauthenticated")
                    async with self:
                        await self._bind_session(None)
                    yield [rx.toast.warning(str(exc)), _login_redirect(self)]
                    return
                except Exception:
                    log.exception("resolving the session failed in %s", name)
                    _note(name, "error")
                    yield rx.toast.error("The server could not check your session. Try again in a moment.")
                    return
                allowed = actor.can(needed)
                message = "" if allowed else "You do not have permission to do this."
                async with self:
                    await self._bind_session(actor)
                    self._show_officer(actor)
                    if opens_page:
                        self.access_error = message
                if not allowed:
                    _note(name, "denied")
                    yield rx.toast.error(message)
                    return
            try:
                signature.bind(self, *args, **kwargs)
            except TypeError:
                _note(name, "invalid")
                log.info("%s: refused a call with arguments that do not fit", name)
                yield rx.toast.error(INVALID)
                return
            _note(name, "allowed")
            token = _current_actor.set(actor)
            try:
                if is_gen:
                    async for event in fn(self, *args, **kwargs):
                        yield event
                else:
                    result = await fn(self, *args, **kwargs)
                    if result is not None:
                        yield result
            except NotAllowed as exc:
                yield rx.toast.error(str(exc))
            except NotAuthenticated as exc:
                async with self:
                    await self._bind_session(None)
                yield [rx.toast.warning(str(exc)), _login_redirect(self)]
            except DomainError as exc:
                yield rx.toast.error(str(exc))
            except Exception:  # one place for the unexpected: logged, a plain message, nothing half-shown
                log.exception("%s.%s failed", type(self).__name__, fn.__name__)
                yield rx.toast.error(FAILED)
            finally:
                try:
                    _current_actor.reset(token)
                except ValueError:  # resumed in another context: just clear it
                    _current_actor.set(None)

        handler.__permission__ = perm  # type: ignore[attr-defined]
        if background:
            return rx.event(background=True)(handler)
        return handler

    return decorate


def public() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return guarded(PUBLIC)
