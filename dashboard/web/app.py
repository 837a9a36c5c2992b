"""The plain-HTTP part of the backend, mounted in front of Reflex's own routes through
``rx.App(api_transformer=build_auth_app())`` (``dashboard/dashboard.py``)."""

from __future__ import annotations

from starlette.applications import Starlette

from dashboard.web.auth import auth_routes
from dashboard.web.health import health_routes
from dashboard.web.private_files import private_file_routes


def build_auth_app() -> Starlette:
    """Sign-in endpoints, the private-file routes and ``/healthz`` (the name is kept from when this
    app held the sign-in endpoints only)."""
    return Starlette(routes=[*auth_routes(), *private_file_routes(), *health_routes()])
