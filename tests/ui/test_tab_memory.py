"""Anonymous tabs cost next to nothing (issue 12, finding 1): tab state lives in memory, never in
pickle files; an anonymous tab's tree lives ``ANONYMOUS_SECONDS`` and at most ``ANONYMOUS_PER_ADDRESS``
of them per client address (``ANONYMOUS_TOTAL`` in all) are kept; a signed-in tab's tree is kept for
the session's idle limit and never dropped to make room. The memory figure is measured by
scripts/bench-tabs.py (it needs a running server)."""

from __future__ import annotations

import asyncio
import time
import uuid

from reflex.istate.manager.token import BaseStateToken
from reflex.state import State
from reflex_base.config import get_config

import dashboard.dashboard as app_module
from dashboard.config import get_settings
from dashboard.ui import session_guard
from dashboard.ui.auth_state import AuthState
from dashboard.ui.session_guard import ANONYMOUS_PER_ADDRESS, ANONYMOUS_SECONDS, TabStateManager


def test_the_app_keeps_tab_state_in_memory_not_on_disk() -> None:
    assert get_config().state_manager_mode == "memory"
    manager = app_module.app._state_manager
    assert isinstance(manager, TabStateManager)
    assert manager.token_expiration == get_settings().session_idle_minutes * 60


async def _open_tab(manager: TabStateManager, *, address: str, signed: bool = False) -> BaseStateToken:
    token = BaseStateToken(ident=str(uuid.uuid4()), cls=State)
    async with manager.modify_state(token) as root:
        root.router = root.router.__class__.from_router_data(
            {"headers": {}, "pathname": "/login", "ip": address, "token": token.ident, "sid": "s"})
        if signed:
            root.get_substate(AuthState.get_full_name().split("."))._session_key = "k" * 32
    return token


def test_anonymous_trees_are_short_lived_and_capped_per_address() -> None:
    async def go() -> None:
        manager = TabStateManager(token_expiration=1800)
        officer = await _open_tab(manager, address="198.51.100.1", signed=True)
        mine = [await _open_tab(manager, address="198.51.100.1") for _ in range(ANONYMOUS_PER_ADDRESS + 15)]
        other = await _open_tab(manager, address="203.0.113.9")
        kept = {t.cache_key for t in mine} & manager.states.keys()
        assert len(kept) == ANONYMOUS_PER_ADDRESS, "the oldest anonymous trees of that address were dropped"
        assert {t.cache_key for t in mine[-ANONYMOUS_PER_ADDRESS:]} == kept
        assert officer.cache_key in manager.states and other.cache_key in manager.states
        now = time.time()
        for t in mine[-ANONYMOUS_PER_ADDRESS:] + [other]:
            assert manager._token_expires_at[t.cache_key][0] <= now + ANONYMOUS_SECONDS
        assert manager._token_expires_at[officer.cache_key][0] > now + 1700
        # the expiry loop drops what is past its deadline
        for key, (_, token) in list(manager._token_expires_at.items()):
            if key != officer.cache_key:
                manager._token_expires_at[key] = (now - 1, token)
        manager._purge_expired_tokens()
        assert set(manager.states) == {officer.cache_key} and not manager._anonymous
        await manager.close()

    asyncio.run(go())


def test_the_total_of_anonymous_trees_is_capped(monkeypatch) -> None:
    monkeypatch.setattr(session_guard, "ANONYMOUS_TOTAL", 5)

    async def go() -> None:
        manager = TabStateManager(token_expiration=1800)
        tabs = [await _open_tab(manager, address=f"198.51.100.{i}") for i in range(12)]
        assert set(manager.states) == {t.cache_key for t in tabs[-5:]}
        await manager.close()

    asyncio.run(go())
