"""``GET /_download/<token>``: an export's file, for the sign-in session that asked for it, once.

The session is resolved from the HttpOnly cookie exactly as for private files (401 without one); the
token is taken in one transaction (``core.downloads.take``: another session's, an expired or a used
token is 404). The export was audited when the file was made. Sent as an attachment, never cached, and
deleted from the private folder once sent.
"""

from __future__ import annotations

import logging

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from dashboard.core import downloads
from dashboard.core.errors import DomainError, NotAuthenticated
from dashboard.db import run_db
from dashboard.web.private_files import SECURITY_HEADERS, _actor, _plain

log = logging.getLogger(__name__)


def _unlink(path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("download: could not delete %s", path.name)


async def serve_download(request: Request) -> Response:
    token = str(request.path_params.get("token", ""))
    try:
        actor = await _actor(request)
        found = await run_db(downloads.take, actor=actor, token=token)
    except NotAuthenticated as exc:
        log.warning("download refused (not signed in): %s", exc)
        return _plain(401, "Sign in to download this file.")
    except DomainError as exc:
        log.warning("download refused: %s", exc)
        return _plain(404, downloads.GONE)
    except Exception:
        log.exception("download: serving a file failed")
        return _plain(500, "The file could not be read.")
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{found.file_name}"'}
    return FileResponse(found.path, media_type=found.media_type, headers=headers,
                        background=BackgroundTask(_unlink, found.path))


def download_routes() -> list[Route]:
    return [Route(downloads.PREFIX + "{token}", serve_download, methods=["GET"])]
