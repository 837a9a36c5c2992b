"""Ticket attachments over plain HTTP, for staff with ``support.view`` only (issue 7).

- ``GET /_private/support/attachments/{message_id}``: the attachment of one support message.

The officer is resolved from the HttpOnly ``bo_session`` cookie on every request (as the websocket
guard does); 401 without a valid session, 403 without the permission, 404 for an id that is not a
UUID, a message without an attachment, a type that is not served, or a file missing from storage. The
path comes only from the message's stored key through ``storage.path_for`` (no traversal from the
URL). Every view is audited (``support.attachment_viewed``). Responses are never cached, never sniffed,
and sent as a download unless they are an image or a PDF.

Mounted by ``web_auth.build_auth_app`` with ``*support_routes()``.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from dashboard.db import run_db
from dashboard.private_files_payments import SECURITY_HEADERS, _actor, _plain
from dashboard.services import support as support_service
from dashboard.core.errors import (
    DomainError,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
)

log = logging.getLogger(__name__)

ATTACHMENT_ROUTE = "/_private/support/attachments/{message_id}"
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "application/pdf"})


async def attachment(request: Request) -> Response:
    message_id = request.path_params.get("message_id")
    try:
        actor = await _actor(request)
    except NotAuthenticated:
        return _plain(401, "Sign in to view this attachment.")
    except Exception:
        log.exception("support attachment: resolving the session failed")
        return _plain(500, "The server could not check your session.")
    try:
        found = await run_db(support_service.attachment_file, actor=actor, message_id=message_id)
    except NotAuthenticated:
        return _plain(401, "Sign in to view this attachment.")
    except NotAllowed:
        return _plain(403, "You do not have permission to view ticket attachments.")
    except (NotFound, InvalidInput, DomainError):
        return _plain(404, "Not found.")
    except Exception:
        log.exception("support attachment: serving %s failed", str(message_id)[:40])
        return _plain(500, "The attachment could not be read.")
    disposition = "inline" if found.media_type in INLINE_TYPES else "attachment"
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'{disposition}; filename="{found.file_name}"'}
    return FileResponse(found.path, media_type=found.media_type, headers=headers)


def support_routes() -> list[Route]:
    return [Route(ATTACHMENT_ROUTE, attachment, methods=["GET"])]
