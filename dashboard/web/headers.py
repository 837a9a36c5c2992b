"""Security headers on every HTTP response of the backend (the plain-HTTP routes, Reflex's own routes
and, in production, the built pages Reflex serves from the same port).

- ``Content-Security-Policy`` with ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``: no other
  site may frame the dashboard (clickjacking). The page policy allows the app's own scripts plus
  ``'unsafe-inline'``/``'unsafe-eval'``: Reflex's built pages carry inline bootstrap scripts and run
  server-sent scripts (toasts, downloads) through ``eval``; a stricter policy would break the app.
  Everything else is limited to the dashboard's own origin (websocket included).
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.

A response that already names a header keeps its own (private files send a stricter, sandboxing CSP).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", PAGE_CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    """ASGI middleware: add ``HEADERS`` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in HEADERS if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
