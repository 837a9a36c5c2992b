"""The Reflex app: theme and one page per entry of the screen registry (``dashboard/ui/screens.py``).

Reflex imports this module (``<app_name>/<app_name>.py``). Importing it builds the app and registers
every page; it opens no database connection (the engine is made on the first query). The plain-HTTP
endpoints (sign-in, private files) are mounted in front of Reflex's backend.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import reflex as rx

from dashboard.ui import screens, session_guard
from dashboard.ui.exception_handlers import backend_exception_handler, frontend_exception_handler
from dashboard.web.app import build_auth_app

FAVICON = "favicon.svg"  # in assets/

# The Radix theme (light, indigo accent) is configured in rxconfig.py (RadixThemesPlugin).
app = rx.App(
    html_lang="en",
    head_components=[rx.el.link(rel="icon", href="/" + FAVICON, type="image/svg+xml")],
    api_transformer=build_auth_app(),
    # junk sent to Reflex's own handlers (setvar, handle_frontend_exception) is one log line, no traceback
    frontend_exception_handler=frontend_exception_handler,
    backend_exception_handler=backend_exception_handler,
)


def resolve(ref: str) -> Any:
    """``"package.module:Name.attr"`` -> the object it names."""
    module, _, path = ref.partition(":")
    target: Any = import_module(module)
    for part in path.split("."):
        target = getattr(target, part)
    return target


for _screen in screens.ALL_SCREENS:
    app.add_page(
        resolve(_screen.page),
        route=_screen.route,
        title=f"{_screen.title} · {screens.PRODUCT_NAME}",
        image=FAVICON,
        on_load=resolve(_screen.on_load),
    )

# Tab state bound to the sign-in that loaded it; anonymous tabs kept short and few (ui/session_guard.py).
session_guard.install(app)
