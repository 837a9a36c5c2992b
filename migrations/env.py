"""Alembic environment: targets ``SQLModel.metadata`` with type comparison on."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from dashboard import models
from dashboard.db import make_engine, resolve_database_url

config = context.config
target_metadata = models.metadata


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """The job engine's tables (``procrastinate_*``) are created from procrastinate's own schema by a
    migration of ours, not from SQLModel metadata: autogenerate and ``alembic check`` leave them alone."""
    return not (type_ == "table" and name and name.startswith("procrastinate_"))


def _url() -> str:
    return config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or resolve_database_url()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        compare_server_default=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        include_name=include_name,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
