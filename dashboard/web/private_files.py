"""Private files over plain HTTP: one route table, one handler.

Each kind of private file (KYC document, payment proof, ticket attachment) is one ``PrivateFile``
entry: its URL pattern, the domain function that authorises the officer against the row, locates the
file through the row's stored key (``storage.path_for``: no traversal from the URL) and audits the
view, and the words of its refusals. The handler, the same for every kind:

- resolves the officer from the HttpOnly ``bo_session`` cookie on every request (as the websocket
  guard does): 401 without a valid session;
- runs the kind's lookup in one transaction, so a file is only ever served with its view audited:
  401 / 403 (no permission) / 404 (an id that is not a UUID, an unknown row, a row without a file, a
  type that is not served, a file missing from storage) / 500;
- answers with the same security headers every time: never cached, never sniffed, a sandboxing CSP
  (not for KYC PDFs, whose viewer will not run sandboxed), ``Content-Disposition`` inline or as a
  download as the kind decides.

Nothing here is served from a public folder. Mounted by ``dashboard/web/app.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from dashboard.core.actor import Actor
from dashboard.core.errors import DomainError, NotAllowed, NotAuthenticated
from dashboard.core.session_cookie import token_from_cookie_header
from dashboard.core.storage import ServedFile
from dashboard.db import run_db
from dashboard.kyc import files as kyc_files
from dashboard.auth.sessions import resolve_session
from dashboard.support import files as support_files
from dashboard.transactions import files as transaction_files
from dashboard.web.auth import client_info

log = logging.getLogger(__name__)

SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
UNSANDBOXED_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
SECURITY_HEADERS = {
    "Cache-Control": "no-store, private",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": SANDBOX_CSP,
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@dataclass(frozen=True)
class PrivateFile:
    path: str  # URL pattern; the item's id is ``{item_id}``
    locate: Callable[..., ServedFile]  # (session, *, actor, item_id) -> the file, permission checked, view audited
    noun: str  # "document": "Sign in to view this document.", "The document could not be read."
    refused: str  # the 403 message


TABLE: tuple[PrivateFile, ...] = (
    PrivateFile("/_private/kyc/{item_id}", kyc_files.document,
                "document", "You do not have permission to view KYC documents."),
    PrivateFile("/_private/proofs/gift-card/{item_id}", transaction_files.gift_card_proof,
                "proof", "You do not have permission to view payment proofs."),
    PrivateFile("/_private/proofs/transaction/{item_id}", transaction_files.transaction_proof,
                "proof", "You do not have permission to view payment proofs."),
    PrivateFile("/_private/support/attachments/{item_id}", support_files.attachment,
                "attachment", "You do not have permission to view ticket attachments."),
)


def _plain(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status, headers=dict(SECURITY_HEADERS))


async def _actor(request: Request) -> Actor:
    token = token_from_cookie_header(request.headers.get("cookie"))
    if token is None:
        raise NotAuthenticated("Please sign in.")
    return await run_db(resolve_session, token=token, **client_info(request))


def _headers(found: ServedFile) -> dict[str, str]:
    disposition = "inline" if found.inline else "attachment"
    return {
        **SECURITY_HEADERS,
        "Content-Disposition": f'{disposition}; filename="{found.file_name}"',
        "Content-Security-Policy": SANDBOX_CSP if found.sandbox else UNSANDBOXED_CSP,
    }


async def serve(kind: PrivateFile, request: Request) -> Response:
    item_id: Any = request.path_params.get("item_id")
    try:
        actor = await _actor(request)
    except NotAuthenticated:
        return _plain(401, f"Sign in to view this {kind.noun}.")
    except Exception:
        log.exception("private file: resolving the session failed")
        return _plain(500, "The server could not check your session.")
    try:
        found = await run_db(kind.locate, actor=actor, item_id=item_id)
    except NotAuthenticated:
        return _plain(401, f"Sign in to view this {kind.noun}.")
    except NotAllowed:
        return _plain(403, kind.refused)
    except DomainError:  # not found, not a UUID, a type that is not served, a file missing
        return _plain(404, "Not found.")
    except Exception:
        log.exception("private file: serving %s %s failed", kind.path, str(item_id)[:40])
        return _plain(500, f"The {kind.noun} could not be read.")
    return FileResponse(found.path, media_type=found.media_type, headers=_headers(found))


def _endpoint(kind: PrivateFile) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        return await serve(kind, request)

    return endpoint


def private_file_routes() -> list[Route]:
    """One GET route per entry of ``TABLE``."""
    return [Route(kind.path, _endpoint(kind), methods=["GET"]) for kind in TABLE]
