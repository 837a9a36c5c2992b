"""Issue 12, finding 7: other officers' event times while one officer verifies the chain / exports.

Drives page states in one event loop, as the server does: one AuditState runs "Verify chain" or
"Export CSV" (the handler function itself: works for a plain or a background handler), while 5 other
signed-in officers each send light events (``set_detail_open``: the guard's session check, one database
round trip) back to back for as long as the long action runs. Prints p50/p95/max of the light events
that overlapped the long action, and idle figures. Run from a checkout (it uses tests/ui/signin.py):

    DATABASE_URL=postgresql://.../scratch .venv/bin/python -m dashboard.cli audit fill --rows 300000
    DATABASE_URL=postgresql://.../scratch .venv/bin/python scripts/bench_longwork.py

The websocket send is not part of it: before the fix the export's data URL was also serialised and
sent as one message on the event loop, which this harness does not count (so "before" is flattering).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.audit.state import AuditState  # noqa: E402
from dashboard.db import get_engine  # noqa: E402
from tests.ui.signin import page_state, sign_in_state  # noqa: E402

OTHERS = 5


def _state(role: str = "COMPLIANCE") -> AuditState:
    state = page_state(AuditState)
    sign_in_state(state, get_engine(), role, path="/audit")
    return state


async def _drain(gen) -> None:
    async for _ in gen:
        pass


async def _light(state: AuditState, until: asyncio.Event, times: list[float], minimum: int) -> None:
    handler = type(state).event_handlers["set_detail_open"].fn
    n = 0
    while not until.is_set() or n < minimum:
        started = time.perf_counter()
        await _drain(handler(state, False))
        if not until.is_set():
            times.append(time.perf_counter() - started)
        n += 1
        await asyncio.sleep(0.01)


def _figures(label: str, times: list[float], heavy: float | None = None) -> None:
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    extra = f", the long action took {heavy:.1f} s" if heavy is not None else ""
    print(f"{label:<22} n={len(times):4d}  p50={statistics.median(times) * 1000:7.1f} ms  "
          f"p95={p95 * 1000:7.1f} ms  max={times[-1] * 1000:7.1f} ms{extra}", flush=True)


async def _scenario(name: str | None, others: list[AuditState]) -> None:
    done = asyncio.Event()
    times: list[float] = []
    if name is None:
        tasks = [asyncio.create_task(_light(o, done, times, 0)) for o in others]
        await asyncio.sleep(3)
        done.set()
        await asyncio.gather(*tasks)
        _figures("idle", times)
        return
    heavy = _state()
    started = time.perf_counter()
    long_task = asyncio.create_task(_drain(type(heavy).event_handlers[name].fn(heavy)))
    tasks = [asyncio.create_task(_light(o, done, times, 0)) for o in others]
    await long_task
    took = time.perf_counter() - started
    done.set()
    await asyncio.gather(*tasks)
    _figures(f"during {name}", times, took)


async def main() -> None:
    others = [_state() for _ in range(OTHERS)]
    await _scenario(None, others)
    for name in ("verify_chain", "export_csv"):
        await _scenario(name, others)


if __name__ == "__main__":
    asyncio.run(main())
