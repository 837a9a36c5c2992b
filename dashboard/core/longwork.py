"""Long work (a full audit-chain walk, a large export) in a small pool of worker *processes*.

A worker thread would take the work off the event loop but not off the interpreter: a CPU-bound walk
in pure Python holds the GIL and every other officer's event waits for it (measured: see
``dashboard/bench/longwork.py``). So long work runs in ``WORKERS`` (2) spawned processes, each with its
own engine on the same database; at most two long jobs run at once per server, the rest queue. The
function runs as ``fn(session, **kwargs)`` in one transaction, like ``run_db``; its arguments and
result cross the process boundary by pickling (module-level functions, plain data).
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session

T = TypeVar("T")
WORKERS = 2

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_engines: dict[str, Engine] = {}  # in a worker: one engine per database URL


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _reset() -> None:
    global _pool
    with _pool_lock:
        _pool = None


def _work(url: str, fn: Callable[..., T], kwargs: dict[str, Any]) -> T:
    from dashboard.db import make_engine

    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url, poolclass=NullPool)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return fn(session, **kwargs)


async def run_long(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """``fn(session, **kwargs)`` in one transaction, in a worker process, awaited without blocking."""
    from dashboard.db import get_engine

    url = get_engine().url.render_as_string(hide_password=False)
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(_executor(), functools.partial(_work, url, fn, kwargs))
    except BrokenProcessPool:  # a worker died (killed, out of memory): the next job gets a new pool
        _reset()
        raise
