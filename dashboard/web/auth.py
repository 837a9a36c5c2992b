"""Sign-in over plain HTTP, so the session token only ever travels in an HttpOnly cookie.

The login form posts here (a normal browser form post, not a websocket event); these endpoints call
the auth service, set or clear the ``bo_session`` cookie (HttpOnly, SameSite=Strict, Secure over
https) and redirect. Errors come back as a short code in the query string that the login page maps
to a fixed message: nothing the request sent is ever echoed into the page.

``auth_routes()`` is mounted in front of Reflex's backend by ``dashboard/web/app.py``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from dashboard.config import get_settings
from dashboard.core.errors import Conflict, DomainError, InvalidInput, NotAuthenticated
from dashboard.core.session_cookie import SESSION_COOKIE, token_from_cookie_header
from dashboard.db import run_db, session_scope
from dashboard.auth import passwords
from dashboard.auth import rules as auth
from dashboard.auth.sessions import sign_out
from dashboard.auth.signin import confirm_totp_enrollment, sign_in, verify_second_factor
from dashboard.auth.throttle import TooManyAttempts, admit
from dashboard.ui import screens as routes

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 16 * 1024

# code -> message shown on the login pages. Only these codes are ever put in a URL.
MESSAGES: dict[str, str] = {
    "invalid": auth.BAD_CREDENTIALS,
    "refused": auth.NOT_BACK_OFFICE,
    "deactivated": auth.DEACTIVATED,
    # throttled (any account) and a locked staff account: one answer, so neither names an account
    "locked": auth.too_many_attempts(),
    "expired": auth.SESSION_EXPIRED,
    "signed_out": "You are signed out.",
    "input": "Enter your email and password.",
    "code": auth.BAD_CODE,
    "code_reused": auth.CODE_REUSED,
    "code_input": "Enter the 6-digit code from your authenticator app.",
    "totp_unreadable": auth.TWO_FACTOR_UNREADABLE,
    "totp_restart": "Start the authenticator set-up again: sign in once more.",
    "origin": "The sign-in came from another site and was refused. Open the dashboard's own sign-in page.",
    "server": "Signing in failed on the server. Try again in a moment.",
}
_BY_MESSAGE = {
    auth.BAD_CREDENTIALS: "invalid",
    auth.NOT_BACK_OFFICE: "refused",
    auth.DEACTIVATED: "deactivated",
    auth.SESSION_EXPIRED: "expired",
    auth.SESSION_ENDED: "expired",
    auth.TWO_FACTOR_PENDING: "expired",
    auth.TWO_FACTOR_NOW_REQUIRED: "expired",
    auth.BAD_CODE: "code",
    auth.CODE_REUSED: "code_reused",
    auth.TWO_FACTOR_UNREADABLE: "totp_unreadable",
}


def safe_next(value: object) -> str:
    """Only a local path of this site; anything else (other hosts, ``//x``, schemes) becomes ``/``."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or len(value) > 300:
        return routes.OVERVIEW
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value or any(ord(c) < 32 for c in value):
        return routes.OVERVIEW
    if parts.path.startswith(("/_auth", routes.LOGIN)):
        return routes.OVERVIEW
    return value


def landing_page(actor, next_path: str) -> str:
    """Where a fresh sign-in goes: the page asked for, or the officer's home screen (group officers
    have no overview: they land on their group approvals)."""
    if next_path == routes.OVERVIEW and actor is not None and not actor.can("overview.view"):
        return routes.GROUPS
    return next_path


def _origin_ok(request: Request) -> bool:
    """Refuse cross-site form posts: the Origin (or Referer) must be the configured dashboard origin
    (``DASHBOARD_ALLOWED_ORIGIN``). Never the request's own Host: a client chooses that header, so an
    Origin matching it proves nothing."""
    origin = request.headers.get("origin") or ""
    if not origin or origin == "null":
        referer = request.headers.get("referer") or ""
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return bool(origin) and origin.rstrip("/") == get_settings().allowed_origin.rstrip("/")


def _redirect(path: str, request: Request | None = None, **params: str) -> RedirectResponse:
    """A 303 to a page of the dashboard. Relative when this backend also serves the pages (prod);
    in development the backend runs on another port, so the redirect names the dashboard's origin."""
    query = {k: v for k, v in params.items() if v}
    target = path + (("?" + urlencode(query)) if query else "")
    if request is not None:
        dashboard = get_settings().allowed_origin.rstrip("/")
        if f"{request.url.scheme}://{request.url.netloc}" != dashboard:
            target = dashboard + target
    return RedirectResponse(target, status_code=303)


def _set_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or get_settings().is_production,
    )


def _clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict",
        secure=request.url.scheme == "https" or get_settings().is_production,
    )


async def _form(request: Request) -> dict[str, str]:
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        raise InvalidInput("too large")
    form = await request.form(max_files=0, max_fields=10)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def client_info(request: Request) -> dict[str, str | None]:
    """The caller's address and browser, as the session rows and the audit log record them."""
    return {
        "ip_address": request.client.host if request.client else None,
        "user_agent": (request.headers.get("user-agent") or "")[:500] or None,
    }


def _after_step(request: Request, result: auth.SignInResult, next_path: str) -> Response:
    lifetime = int(auth.absolute_lifetime().total_seconds())
    if result.step is auth.SignInStep.SIGNED_IN:
        response: Response = _redirect(landing_page(result.actor, next_path), request)
    else:
        mode = "enrol" if result.step is auth.SignInStep.TOTP_ENROLMENT_REQUIRED else "verify"
        response = _redirect(routes.LOGIN_2FA, request, mode=mode, next=next_path)
        lifetime = 15 * 60
    _set_cookie(response, request, result.token, lifetime)
    return response


def _password_step(**kwargs: object) -> auth.SignInResult:
    with session_scope() as session:
        return sign_in(session, **kwargs)


async def _sign_in(form: dict[str, str], request: Request) -> auth.SignInResult:
    """Throttle first (its own short transaction), then the password step in the bounded password
    pool, so a flood of sign-ins never holds the threads and connections officers' requests use."""
    client = client_info(request)
    await run_db(admit, email=form.get("email"), **client)
    return await passwords.in_hashing_pool(_password_step, email=form.get("email"), password=form.get("password"),
                                           **client)


async def login(request: Request) -> Response:
    if not _origin_ok(request):
        return _redirect(routes.LOGIN, request, error="origin")
    try:
        form = await _form(request)
    except Exception:
        return _redirect(routes.LOGIN, request, error="input")
    next_path = safe_next(form.get("next"))
    try:
        result = await _sign_in(form, request)
    except (auth.AccountLocked, TooManyAttempts):
        return _redirect(routes.LOGIN, request, error="locked", next=next_path)
    except NotAuthenticated as exc:
        return _redirect(routes.LOGIN, request, error=_BY_MESSAGE.get(str(exc), "invalid"), next=next_path)
    except InvalidInput as exc:
        code = "invalid" if str(exc) == auth.BAD_CREDENTIALS else "input"
        return _redirect(routes.LOGIN, request, error=code, next=next_path)
    except Exception:
        log.exception("sign-in failed on the server")
        return _redirect(routes.LOGIN, request, error="server", next=next_path)
    return _after_step(request, result, next_path)


async def second_factor(request: Request) -> Response:
    if not _origin_ok(request):
        return _redirect(routes.LOGIN, request, error="origin")
    token = token_from_cookie_header(request.headers.get("cookie"))
    try:
        form = await _form(request)
    except Exception:
        form = {}
    next_path = safe_next(form.get("next"))
    mode = "enrol" if form.get("mode") == "enrol" else "verify"
    if token is None:
        return _redirect(routes.LOGIN, request, error="expired", next=next_path)
    step = confirm_totp_enrollment if mode == "enrol" else verify_second_factor
    try:
        result = await run_db(step, token=token, code=form.get("code"), **client_info(request))
    except auth.AccountLocked:
        response = _redirect(routes.LOGIN, request, error="locked", next=next_path)
        _clear_cookie(response, request)
        return response
    except NotAuthenticated as exc:
        code = _BY_MESSAGE.get(str(exc), "expired")
        if code in ("code", "code_reused"):
            return _redirect(routes.LOGIN_2FA, request, mode=mode, error=code, next=next_path)
        response = _redirect(routes.LOGIN, request, error=code, next=next_path)
        _clear_cookie(response, request)
        return response
    except InvalidInput:
        return _redirect(routes.LOGIN_2FA, request, mode=mode, error="code_input", next=next_path)
    except Conflict:
        response = _redirect(routes.LOGIN, request, error="totp_restart", next=next_path)
        _clear_cookie(response, request)
        return response
    except DomainError:
        return _redirect(routes.LOGIN_2FA, request, mode=mode, error="code", next=next_path)
    except Exception:
        log.exception("second factor failed on the server")
        return _redirect(routes.LOGIN_2FA, request, mode=mode, error="server", next=next_path)
    return _after_step(request, result, next_path)


async def logout(request: Request) -> Response:
    token = token_from_cookie_header(request.headers.get("cookie"))
    if token is not None and _origin_ok(request):
        try:
            await run_db(sign_out, token=token, **client_info(request))
        except Exception:
            log.exception("sign-out failed on the server")
    response = _redirect(routes.LOGIN, request, error="signed_out")
    _clear_cookie(response, request)
    return response


def auth_routes() -> list[Route]:
    """The sign-in, second-factor and sign-out endpoints (form posts)."""
    return [
        Route(routes.AUTH_LOGIN, login, methods=["POST"]),
        Route(routes.AUTH_TOTP, second_factor, methods=["POST"]),
        Route(routes.AUTH_LOGOUT, logout, methods=["POST"]),
    ]
