"""Plain-HTTP routes that serve private files (KYC documents, payment proofs, attachments) to an
authorised officer only, mounted beside the sign-in endpoints. Each route resolves the officer from
the HttpOnly session cookie, checks the permission against the target row, audits the view, and
answers with ``Cache-Control: no-store``. Nothing here is served from a public folder.
"""

from __future__ import annotations

from starlette.routing import Route


def private_routes() -> list[Route]:
    """The routes to mount (filled by the screens that show private files)."""
    return []
