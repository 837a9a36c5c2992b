"""Test harness: a real PostgreSQL for every test.

- Server: ``TEST_DATABASE_URL`` when set (CI uses the machine's server on 127.0.0.1:5432), else an
  embedded server under ``.data/test-pg`` that this test run starts.
- Once per run, a database ``dash_tpl_<pid>`` is migrated with ``alembic upgrade head`` and used as
  the template for the others.
- ``db``: a SQLModel session inside an outer transaction that is rolled back after the test, so each
  test sees the empty migrated schema and leaves nothing behind.
- ``fresh_db_url``: a brand-new database copied from the template, for tests that must commit from
  several connections (concurrency, bulk COPY); dropped afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from dashboard.db import make_engine, to_libpq_url, to_sqlalchemy_url

ROOT = Path(__file__).resolve().parent.parent


def _server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        return to_sqlalchemy_url(url)
    from dashboard.cli.devdb import start_embedded

    return to_sqlalchemy_url(start_embedded(ROOT / ".data" / "test-pg", keep_running=False))


def _admin_conn(server_url: str) -> psycopg.Connection:
    admin = make_url(server_url).set(database="postgres", drivername="postgresql")
    return psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True)


def _url_for(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    with _admin_conn(server_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        tpl = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{tpl}')
    return _url_for(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with _admin_conn(server_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str, revision: str = "heads", *, direction: str = "upgrade") -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    getattr(command, direction)(cfg, revision)


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    try:
        return _server_url()
    except Exception as exc:  # fail loudly: never skip for a missing database
        raise RuntimeError(f"PostgreSQL is required for the tests and could not be reached: {exc}") from exc


@pytest.fixture(scope="session")
def template_db(pg_server_url: str) -> Iterator[str]:
    """Name of a migrated database to copy from."""
    name = f"dash_tpl_{os.getpid()}"
    url = create_database(pg_server_url, name)
    migrate(url)
    # Connections to a template block CREATE DATABASE ... TEMPLATE: make sure none remain.
    yield name
    drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def test_db_url(pg_server_url: str, template_db: str) -> Iterator[str]:
    name = f"dash_test_{os.getpid()}"
    url = create_database(pg_server_url, name, template=template_db)
    yield url
    drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def engine(test_db_url: str) -> Iterator[Engine]:
    eng = make_engine(test_db_url, pool_size=5, max_overflow=5)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def fresh_db_url(pg_server_url: str, template_db: str) -> Iterator[str]:
    """A new migrated database for a test that commits from several connections."""
    name = f"dash_fresh_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server_url, name, template=template_db)
    yield url
    drop_database(pg_server_url, name)


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Iterator[Engine]:
    eng = make_engine(fresh_db_url, pool_size=5, max_overflow=10)
    yield eng
    eng.dispose()


@pytest.fixture
def app_engine(fresh_engine: Engine) -> Iterator[Engine]:
    """A fresh database that the app itself uses (``dashboard.db``): for handlers and endpoints
    that commit through their own connections. Restores the app's engine afterwards."""
    from dashboard import db as dashboard_db

    previous = dashboard_db._engine
    dashboard_db.set_engine(fresh_engine)
    yield fresh_engine
    dashboard_db.set_engine(previous)


class Clock:
    """A settable clock for sign-in, sessions and staff changes (``dashboard.auth.rules.utcnow``)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Starts one second into a 30-second TOTP step, so "a few seconds later" stays in that step."""
    from dashboard.auth import rules

    fake = Clock(datetime.fromtimestamp((int(time.time()) // 30) * 30 + 1, UTC))
    monkeypatch.setattr(rules, "utcnow", fake)
    return fake


def libpq(url: str) -> str:
    return to_libpq_url(url)


@pytest.fixture
def private_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point private storage at a temporary folder for this test."""
    from dashboard.config import get_settings

    folder = tmp_path / "private"
    folder.mkdir()
    monkeypatch.setattr(get_settings(), "private_files_dir", folder)
    return folder


@pytest.fixture(autouse=True)
def audit_checkpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test signs its audit checkpoints into its own folder (never the project's .data/)."""
    from dashboard.config import get_settings

    folder = tmp_path / "audit-checkpoints"
    monkeypatch.setattr(get_settings(), "audit_checkpoint_dir", folder)
    return folder


__all__ = ["create_database", "drop_database", "migrate", "libpq", "event"]
