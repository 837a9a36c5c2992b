"""What a tab's state may hold and for how long (issue 12, findings 1 and 2).

**Bound to the sign-in.** Reflex keys a tab's state by the tab token alone, which the browser keeps in
sessionStorage and sends in the websocket URL. ``AuthState._session_key`` records which session loaded
the page states (a hash of the session row's id). ``SessionGuard`` runs before every event, ahead of
Reflex's own processing: on a (re)connect (the hydrate event, which sends the whole state tree) it
resolves the cookie of *this* connection against the database and, unless it is the same open session,
puts every page state back to its defaults before the snapshot is built. Other events from a tab that
holds a session's data get the same check unless their handler is ``guarded`` (which makes it itself,
see ``AuthState._bind_session``). Sign-out, expiry and revocation need no hook: the next event of that
tab finds no valid matching session.

**Anonymous tabs cost next to nothing.** Page states are only filled by guarded handlers, which refuse
anonymous callers, so an anonymous tab's tree holds only defaults. ``TabStateManager`` (the in-memory
manager, chosen in rxconfig.py when no Redis is configured: nothing on disk) keeps such a tree for
``ANONYMOUS_SECONDS`` only, at most ``ANONYMOUS_PER_ADDRESS`` per client address and
``ANONYMOUS_TOTAL`` in all, dropping the least recently used first. Dropping one loses nothing: it is
all defaults, and Reflex rebuilds and rehydrates it on the tab's next event.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import OrderedDict
from typing import Any

from reflex.app import App
from reflex.istate.manager.memory import StateManagerMemory
from reflex.istate.manager.token import BaseStateToken, StateToken
from reflex.middleware import Middleware
from reflex.state import BaseState, State
from reflex_base.event import Event
from reflex_base.utils.format import format_event_handler

from dashboard.core.errors import NotAuthenticated
from dashboard.ui.auth_state import AuthState

log = logging.getLogger(__name__)

ANONYMOUS_SECONDS = 60
ANONYMOUS_PER_ADDRESS = 20
ANONYMOUS_TOTAL = 200


def _hydrate_names() -> frozenset[str]:
    return frozenset(format_event_handler(State.event_handlers[n]) for n in ("hydrate", "hydrate_and_load"))


def _is_guarded(event: Event) -> bool:
    try:
        state_cls = event.state_cls
        handler = state_cls.event_handlers[event.name.rpartition(".")[2]]
    except Exception:
        return False
    return hasattr(handler.fn, "__permission__")


class SessionGuard(Middleware):
    """Clear the tab's page states before anything is sent when the session presented now is not the
    one that loaded them."""

    def __init__(self) -> None:
        self._hydrate = _hydrate_names()

    async def preprocess(self, app: App, state: BaseState, event: Event) -> None:
        auth = await state.get_state(AuthState)
        if event.name not in self._hydrate and (not auth._session_key or _is_guarded(event)):
            return None  # nothing private in the tab, or the handler's guard checks it
        try:
            actor = await auth._resolve_actor()
        except NotAuthenticated:
            actor = None
        except Exception:  # cannot tell who this is: send nothing of the previous session
            log.exception("resolving the session of a reconnecting tab failed")
            actor = None
        await auth._bind_session(actor)
        return None


@dataclasses.dataclass
class TabStateManager(StateManagerMemory):
    """The in-memory state manager, with a short life and a bounded number for anonymous trees."""

    # cache key -> (client address, token), least recently used first; trees per address
    _anonymous: OrderedDict[str, tuple[str, StateToken]] = dataclasses.field(default_factory=OrderedDict, init=False)
    _per_address: dict[str, int] = dataclasses.field(default_factory=dict, init=False)

    def _track_token(self, token: StateToken) -> None:
        super()._track_token(token)
        key = token.cache_key
        tree = self.states.get(key)
        if not isinstance(token, BaseStateToken) or tree is None:
            return
        auth = tree.substates.get(AuthState.get_name())
        if auth is None or auth._session_key:
            self._forget(key)
            return
        self._token_expires_at[key] = (time.time() + ANONYMOUS_SECONDS, token)
        address = _address_of(tree)
        self._forget(key)
        self._anonymous[key] = (address, token)
        self._per_address[address] = self._per_address.get(address, 0) + 1
        self._evict(address)

    def _forget(self, key: str) -> None:
        known = self._anonymous.pop(key, None)
        if known is not None:
            left = self._per_address[known[0]] - 1
            if left:
                self._per_address[known[0]] = left
            else:
                del self._per_address[known[0]]

    def _evict(self, address: str) -> None:
        """Drop the least recently used anonymous trees over the caps (never one in use)."""
        for key, (where, token) in list(self._anonymous.items()):
            over_total = len(self._anonymous) > ANONYMOUS_TOTAL
            if not over_total and self._per_address.get(address, 0) <= ANONYMOUS_PER_ADDRESS:
                return
            if not over_total and where != address:
                continue
            lock = self._states_locks.get(token.lock_key)
            if lock is not None and lock.locked():
                continue
            self._purge_token(token)

    def _purge_token(self, token: StateToken) -> None:
        self._forget(token.cache_key)
        super()._purge_token(token)

    async def _expire_states(self) -> None:
        """Reflex's loop, waking at least every ``ANONYMOUS_SECONDS / 2`` so that a short deadline set
        while it sleeps towards a long one is still kept."""
        try:
            while True:
                if (next_expires_at := self._purge_expired_tokens()) is None:
                    return
                await asyncio.sleep(max(0.0, min(next_expires_at - time.time(), ANONYMOUS_SECONDS / 2)))
        finally:
            if self._expiration_task is asyncio.current_task():
                self._expiration_task = None


def _address_of(tree: Any) -> str:
    try:
        return tree.router.session.client_ip or ""
    except Exception:
        return ""


def install(app: App) -> None:
    """Register the guard ahead of every other middleware; use ``TabStateManager`` in place of
    Reflex's in-memory manager (the Redis manager, for several workers, is left as it is)."""
    app.add_middleware(SessionGuard(), index=0)
    if type(app._state_manager) is StateManagerMemory:
        app._state_manager = TabStateManager(token_expiration=app._state_manager.token_expiration)
