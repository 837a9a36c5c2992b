"""Memory per 1,000 anonymous tabs (issue 12, finding 1), measured in one process through the app's own
state manager and middleware chain: each tab is a new tab token whose first event is the hydrate of
/login with no cookie, as a browser opening the sign-in page; the snapshot the browser would get is built.
Prints this process's RSS before, right after, and after the anonymous expiry.

    .venv/bin/python scripts/bench-tabs.py [--tabs 1000] [--wait 100]

(Run it from the repository root; the app is imported as `reflex run` does. The anonymous tabs never touch
the database.)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
import uuid
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def open_tabs(app, n: int) -> None:
    from reflex.istate.delta import _resolve_delta
    from reflex.istate.manager.token import BaseStateToken
    from reflex.state import State
    from reflex_base.event import Event
    from reflex_base.utils.format import format_event_handler

    hydrate = format_event_handler(State.event_handlers["hydrate_and_load"])
    for i in range(n):
        token = BaseStateToken(ident=str(uuid.uuid4()), cls=State)
        async with app.state_manager.modify_state(token) as root:
            root.router_data = {"headers": {"origin": "http://127.0.0.1:3000", "user-agent": "bench"},
                                "pathname": "/login", "asPath": "/login", "query": {}, "token": token.ident,
                                "sid": uuid.uuid4().hex, "ip": f"198.51.100.{i % 200}"}
            root._update_router_vars(root.router_data, {})
            await app._preprocess(root, Event(name=hydrate, payload={}))
            await _resolve_delta(root.dict())
            root._clean()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tabs", type=int, default=1000)
    ap.add_argument("--wait", type=float, default=100)
    args = ap.parse_args()
    import dashboard.dashboard as app_module

    app = app_module.app
    mib = 1024 * 1024
    rss = lambda: psutil.Process().memory_info().rss  # noqa: E731

    async def run() -> None:
        await open_tabs(app, 20)  # warm-up
        gc.collect()
        before = rss()
        started = time.monotonic()
        await open_tabs(app, args.tabs)
        took = time.monotonic() - started
        gc.collect()
        after = rss()
        kept = len(getattr(app.state_manager, "states", {}) or {})
        await asyncio.sleep(args.wait)
        gc.collect()
        later = rss()
        left = len(getattr(app.state_manager, "states", {}) or {})
        print(f"state manager: {type(app.state_manager).__name__}; {args.tabs} tabs hydrated in {took:.1f} s")
        print(f"RSS before: {before / mib:.1f} MiB")
        print(f"RSS after {args.tabs} tabs: {after / mib:.1f} MiB (+{(after - before) / mib:.1f} MiB), "
              f"trees kept: {kept}")
        print(f"RSS {args.wait:.0f} s later: {later / mib:.1f} MiB (+{(later - before) / mib:.1f} MiB), "
              f"trees kept: {left}")

    asyncio.run(run())


if __name__ == "__main__":
    main()
