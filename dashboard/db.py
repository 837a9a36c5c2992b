"""Engine and sessions. One engine per process, built lazily from the settings.

Handlers never run database work on the event loop: they call ``run_db(fn, ...)``, which runs
``fn(session, ...)`` in a worker thread inside one transaction.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine
from sqlmodel import Session

from dashboard.config import get_settings

T = TypeVar("T")

_engine: Engine | None = None
_lock = threading.Lock()


def resolve_database_url() -> str:
    """``DATABASE_URL`` when set, else the embedded server under ``.data/pg`` (started if needed)."""
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    from dashboard.cli.devdb import start_embedded

    url = start_embedded(settings.embedded_pg_dir)
    return ensure_database(url, "dashboard")


def ensure_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server if missing; return its SQLAlchemy URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(to_sqlalchemy_url(server_url))
    admin = url.set(database="postgres", drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def migrate_url(url: str, revision: str = "heads") -> None:
    """``alembic upgrade`` the database at ``url`` (the CLI's ``migrate`` and the bench databases)."""
    from alembic import command
    from alembic.config import Config

    from dashboard.config import PROJECT_ROOT

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, revision)


def to_sqlalchemy_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def to_libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", get_settings().db_pool_size)
        kwargs.setdefault("max_overflow", 5)
        kwargs.setdefault("pool_pre_ping", True)
    return create_engine(to_sqlalchemy_url(url), **kwargs)


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = make_engine(resolve_database_url())
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Point the app at another engine (tests)."""
    global _engine
    _engine = engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        with session.begin():
            yield session


async def run_db(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``fn(session, *args, **kwargs)`` in a worker thread, in one transaction."""

    def work() -> T:
        with session_scope() as session:
            return fn(session, *args, **kwargs)

    return await asyncio.to_thread(work)
