"""The plain-HTTP part of the backend, mounted in front of Reflex's own routes through
``rx.App(api_transformer=build_auth_app())`` (``dashboard/dashboard.py``)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from dashboard.web.auth import auth_routes
from dashboard.web.downloads import download_routes
from dashboard.web.headers import SecurityHeaders
from dashboard.web.health import health_routes
from dashboard.web.private_files import private_file_routes


def build_auth_app() -> Starlette:
    """Sign-in endpoints, the private-file and download routes and ``/healthz`` (the name is kept from when this
    app held the sign-in endpoints only).

    Reflex mounts its own backend (and, in production, the built pages) inside this app, so the
    ``SecurityHeaders`` middleware covers every HTTP response the backend sends."""
    routes = [*auth_routes(), *private_file_routes(), *download_routes(), *health_routes()]
    return Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])
