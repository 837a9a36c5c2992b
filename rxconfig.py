"""Reflex configuration. Nothing here calls the network; scripts/reflex-env.sh exports the variables
that switch off Reflex's own network calls (telemetry, version check, registry probe, bun path).

Ports: ``reflex run`` (dev) serves the frontend on 3000 and the backend on 8000;
``reflex run --env prod`` serves both on one port (3000, or ``--frontend-port N``).
"""

import os

import reflex as rx
from reflex.plugins import SitemapPlugin

from dashboard.config import get_settings

_settings = get_settings()

config = rx.Config(
    app_name="dashboard",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # The database is ours (dashboard.db, Alembic in migrations/): Reflex must not manage it, so no
    # db_url here (Reflex would then check and migrate the schema itself).
    db_url=None,
    # CORS and the websocket handshake accept only the dashboard's own origin (default: any, with
    # credentials). Set DASHBOARD_ALLOWED_ORIGIN to the URL people open, e.g. https://backoffice.example.
    cors_allowed_origins=[_settings.allowed_origin],
    default_color_mode="light",
    # Tab state lives in memory (one backend process), or in Redis when REFLEX_REDIS_URL is set (several
    # workers/hosts; keep that Redis private): never in pickle files under .states/ on disk.
    state_manager_mode="redis" if os.environ.get("REFLEX_REDIS_URL") else "memory",
    # A signed-in tab's state is kept as long as its session may stay idle: past that the session has
    # ended and the state would be cleared on its next event anyway. Anonymous tabs: 60 s (ui/session_guard.py).
    redis_token_expiration=_settings.session_idle_minutes * 60,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(
                appearance="light",
                accent_color="indigo",
                gray_color="slate",
                radius="medium",
                scaling="100%",
                panel_background="solid",
            )
        ),
    ],
    # No sitemap for an internal back office (and no "enabled by default" warning at start-up).
    disable_plugins=[SitemapPlugin],
)
