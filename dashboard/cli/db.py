"""``migrate``, ``db-url``, ``db-stop``: the database the dashboard uses.

``DATABASE_URL`` when set, else the embedded PostgreSQL under ``.data/pg`` (``dashboard.cli.devdb``),
started on first use.
"""

from __future__ import annotations

import argparse

from dashboard.db import migrate_url, resolve_database_url


def _migrate(args: argparse.Namespace) -> int:
    migrate_url(resolve_database_url())
    print("database migrated to head")
    return 0


def _db_url(args: argparse.Namespace) -> int:
    print(resolve_database_url())
    return 0


def _db_stop(args: argparse.Namespace) -> int:
    from dashboard.cli.devdb import stop_embedded
    from dashboard.config import get_settings

    settings = get_settings()
    if settings.database_url:
        print("DATABASE_URL is set: not stopping an external server")
        return 0
    stop_embedded(settings.embedded_pg_dir)
    print("embedded PostgreSQL stopped")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("migrate", help="apply all migrations (alembic upgrade head)")
    p.set_defaults(func=_migrate)

    p = sub.add_parser("db-url", help="print the database URL in use")
    p.set_defaults(func=_db_url)

    p = sub.add_parser("db-stop", help="stop the embedded PostgreSQL (when DATABASE_URL is unset)")
    p.set_defaults(func=_db_stop)
