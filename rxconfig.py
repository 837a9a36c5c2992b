"""Reflex configuration. Nothing here calls the network; scripts/reflex-env.sh exports the variables
that switch off Reflex's own network calls (telemetry, version check, registry probe, bun path).

Ports: ``reflex run`` (dev) serves the frontend on 3000 and the backend on 8000;
``reflex run --env prod`` serves both on one port (3000, or ``--frontend-port N``).
"""

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
