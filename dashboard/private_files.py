"""Plain-HTTP routes that serve private files (KYC documents, payment proofs, attachments) to an
authorised officer only, mounted beside the sign-in endpoints. Each route resolves the officer from
the HttpOnly session cookie, checks the permission against the target row, audits the view, and
answers with ``Cache-Control: no-store``. Nothing here is served from a public folder.

- ``GET /_private/kyc/{document_id}``: one KYC document file (``kyc.documents.view``), for the case
  view's ``<img src>``. 401 without a valid session, 403 without the permission, 404 for an id that is
  not a UUID or names no document (or a file missing from storage). The file path comes only from the
  document row's stored key, through ``storage.path_for`` (no traversal possible from the URL).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from dashboard.db import run_db
from dashboard.services import kyc as kyc_service
from dashboard.core.errors import DomainError, InvalidInput, NotAllowed, NotAuthenticated, NotFound

log = logging.getLogger(__name__)

KYC_DOCUMENT_ROUTE = "/_private/kyc/{document_id}"
SECURITY_HEADERS = {
    "Cache-Control": "no-store, private",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _plain(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status, headers=dict(SECURITY_HEADERS))


def _client(request: Request) -> dict[str, str | None]:
    return {
        "ip_address": request.client.host if request.client else None,
        "user_agent": (request.headers.get("user-agent") or "")[:500] or None,
    }


async def _actor(request: Request):
    from dashboard.services.auth import resolve_session
    from dashboard.ui.auth_state import token_from_cookie_header

    token = token_from_cookie_header(request.headers.get("cookie"))
    if token is None:
        raise NotAuthenticated("Please sign in.")
    return await run_db(resolve_session, token=token, **_client(request))


async def kyc_document(request: Request) -> Response:
    try:
        actor = await _actor(request)
    except NotAuthenticated:
        return _plain(401, "Sign in to view this document.")
    except Exception:
        log.exception("private file: resolving the session failed")
        return _plain(500, "The server could not check your session.")
    try:
        found = await run_db(kyc_service.document_file, actor=actor, document_id=request.path_params.get("document_id"))
    except NotAuthenticated:
        return _plain(401, "Sign in to view this document.")
    except NotAllowed:
        return _plain(403, "You do not have permission to view KYC documents.")
    except (NotFound, InvalidInput):
        return _plain(404, "Not found.")
    except DomainError:
        return _plain(404, "Not found.")
    except Exception:
        log.exception("private file: serving a KYC document failed")
        return _plain(500, "The document could not be read.")
    safe_name = "".join(c for c in found.file_name if c.isalnum() or c in "._-")[:100] or "document"
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'inline; filename="{safe_name}"'}
    if found.mime_type == "application/pdf":  # the browser's PDF viewer does not run in a sandbox
        headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return FileResponse(found.path, media_type=found.mime_type, headers=headers)


def private_routes() -> list[Route]:
    """The routes to mount (filled by the screens that show private files)."""
    return [Route(KYC_DOCUMENT_ROUTE, kyc_document, methods=["GET"])]
