"""Payment proofs over plain HTTP, for officers with ``transactions.view`` only (issue 5).

- ``GET /_private/proofs/gift-card/{order_id}``: the proof image of a gift-card order.
- ``GET /_private/proofs/transaction/{transaction_id}``: the receipt of a deposit or withdrawal.

The officer is resolved from the HttpOnly ``bo_session`` cookie on every request (as the websocket
guard does); 401 without a valid session, 403 without the permission, 404 for an id that is not a UUID,
an item without a proof, or a file missing from storage. The file path comes only from the item's
stored key through ``storage.path_for`` (no traversal from the URL). Every view is audited. Responses
are never cached and never sniffed.

Mounted by ``web_auth.build_auth_app`` with ``*payment_routes()``.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from dashboard.db import run_db
from dashboard.transactions import queries as tx_service
from dashboard.core.errors import DomainError, InvalidInput, NotAllowed, NotAuthenticated, NotFound

log = logging.getLogger(__name__)

GIFT_CARD_PROOF_ROUTE = "/_private/proofs/gift-card/{order_id}"
TRANSACTION_PROOF_ROUTE = "/_private/proofs/transaction/{transaction_id}"
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


async def _actor(request: Request):
    from dashboard.services.auth import resolve_session
    from dashboard.ui.auth_state import token_from_cookie_header

    token = token_from_cookie_header(request.headers.get("cookie"))
    if token is None:
        raise NotAuthenticated("Please sign in.")
    return await run_db(
        resolve_session,
        token=token,
        ip_address=request.client.host if request.client else None,
        user_agent=(request.headers.get("user-agent") or "")[:500] or None,
    )


async def _serve(request: Request, kind: str, item_id: object) -> Response:
    try:
        actor = await _actor(request)
    except NotAuthenticated:
        return _plain(401, "Sign in to view this proof.")
    except Exception:
        log.exception("payment proof: resolving the session failed")
        return _plain(500, "The server could not check your session.")
    try:
        found = await run_db(tx_service.proof_file, actor=actor, kind=kind, item_id=item_id)
    except NotAuthenticated:
        return _plain(401, "Sign in to view this proof.")
    except NotAllowed:
        return _plain(403, "You do not have permission to view payment proofs.")
    except (NotFound, InvalidInput, DomainError):
        return _plain(404, "Not found.")
    except Exception:
        log.exception("payment proof: serving %s %s failed", kind, str(item_id)[:40])
        return _plain(500, "The proof could not be read.")
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'inline; filename="{found.file_name}"'}
    return FileResponse(found.path, media_type=found.media_type, headers=headers)


async def gift_card_proof(request: Request) -> Response:
    return await _serve(request, "gift-card", request.path_params.get("order_id"))


async def transaction_proof(request: Request) -> Response:
    return await _serve(request, "transaction", request.path_params.get("transaction_id"))


def payment_routes() -> list[Route]:
    return [
        Route(GIFT_CARD_PROOF_ROUTE, gift_card_proof, methods=["GET"]),
        Route(TRANSACTION_PROOF_ROUTE, transaction_proof, methods=["GET"]),
    ]
