"""Sign a page state in, for state tests driven in plain pytest.

The guard (``dashboard.ui.auth_state.guarded``) reads the session token from ``self.router.headers.cookie``
and resolves it against ``active_sessions`` in the database, exactly as for a browser. So a test:

1. makes a staff account (``staff_user``; ADMIN gets an authenticator, as its role requires),
2. opens a fully signed-in session row for it (``open_session`` returns the raw token),
3. gives the state the cookie (``present_cookie``), plus the page URL when the handler reads it.

``sign_in_state`` does 1-3 in one call, committing through its own connection so the handler's
``run_db`` (another connection) sees the rows.

    state = page_state(StaffState)
    officer = sign_in_state(state, engine, "ADMIN", path="/staff")
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

import reflex as rx
from passlib.hash import bcrypt_sha256
from reflex.istate.data import RouterData
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import models as m
from dashboard.auth import totp
from dashboard.auth.rules import describe_device, hash_token
from dashboard.core.session_cookie import SESSION_COOKIE
from tests import factories

PASSWORD = "ui-test-password-123"
ORIGIN = "http://localhost:3000"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
CLIENT_IP = "192.0.2.44"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

S = TypeVar("S", bound=rx.State)


@dataclass(frozen=True)
class SignedIn:
    user_id: uuid.UUID
    email: str
    role: str
    token: str
    session_id: uuid.UUID


def page_state(state_cls: type[S]) -> S:
    """A fresh state tree (one browser tab) and the page state of ``state_cls`` in it."""
    root = rx.State(_reflex_internal_init=True)
    return root.get_substate(state_cls.get_full_name().split("."))


_FAST_HASH: str | None = None


def _password_hash() -> str:
    global _FAST_HASH
    if _FAST_HASH is None:
        _FAST_HASH = bcrypt_sha256.using(rounds=4).hash(PASSWORD)
    return _FAST_HASH


def staff_user(session: Session, role: str = "ADMIN", **kw: Any) -> m.User:
    """A staff account able to sign in (ADMIN: with an authenticator enrolled)."""
    values: dict[str, Any] = {"role": role, "platform": "STAFF", "password_hash": _password_hash()}
    values.update(kw)
    user = factories.user(session, **values)
    if role == "ADMIN" and "two_factor_secret" not in kw:
        user.two_factor_enabled = True
        user.two_factor_method = "AUTHENTICATOR"
        user.two_factor_secret = totp.encrypt_secret(TOTP_SECRET, user.id)
        session.add(user)
        session.flush()
    return user


def open_session(session: Session, user: m.User, *, user_agent: str = USER_AGENT, ip: str = CLIENT_IP,
                 device: str | None = None) -> tuple[str, m.ActiveSession]:
    """A signed-in session row (second step done) for ``user``; returns (raw token, row)."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = m.ActiveSession(
        user_id=user.id,
        token_hash=hash_token(token),
        device=device or describe_device(user_agent),
        ip_address=ip,
        user_agent=user_agent,
        two_factor_verified=True,
        created_at=now,
        last_active_at=now,
        expires_at=now + timedelta(hours=8),
    )
    session.add(row)
    session.flush()
    return token, row


def present_cookie(state: rx.State, token: str | None, *, path: str = "/",
                   query: dict[str, str] | None = None) -> None:
    """Make ``state.router`` look like a browser tab on ``path?query`` that sent the session cookie."""
    as_path = path + ("?" + urlencode(query) if query else "")
    headers = {"origin": ORIGIN, "user-agent": USER_AGENT, "host": "localhost:3000"}
    if token is not None:
        headers["cookie"] = f"theme=light; {SESSION_COOKIE}={token}"
    state.router = RouterData.from_router_data(
        {
            "headers": headers,
            "pathname": path,
            "asPath": as_path,
            "query": dict(query or {}),
            "token": str(uuid.uuid4()),
            "sid": uuid.uuid4().hex,
            "ip": CLIENT_IP,
        }
    )


def sign_in_state(state: rx.State, engine: Engine, role: str = "ADMIN", *, path: str = "/",
                  query: dict[str, str] | None = None, **user_kw: Any) -> SignedIn:
    """Create a ``role`` account with an open session (committed) and give ``state`` its cookie."""
    with Session(engine, expire_on_commit=False) as session:
        user = staff_user(session, role, **user_kw)
        token, row = open_session(session, user)
        session.commit()
        signed = SignedIn(user_id=user.id, email=user.email, role=role, token=token, session_id=row.id)
    present_cookie(state, token, path=path, query=query)
    return signed


# --- driving handlers ---------------------------------------------------------------------------
def run_handler(call: Any) -> list[Any]:
    """Run one handler call (``state.load()``) to its end; return every event it yielded
    (lists flattened, bare ``yield`` skipped)."""
    import asyncio

    async def drive() -> list[Any]:
        events: list[Any] = []
        async for event in call:
            if event is None:
                continue
            events.extend(event if isinstance(event, list) else [event])
        return events

    return asyncio.run(drive())


def _handler_name(event: Any) -> str:
    return getattr(getattr(getattr(event, "handler", None), "fn", None), "__qualname__", "")


def call(state: Any, name: str, *args: Any) -> Any:
    """The call of handler ``name`` on ``state`` for ``run_handler``: a background handler cannot be
    called through the instance (Reflex refuses chaining), so this goes through its function."""
    return type(state).event_handlers[name].fn(state, *args)


def downloads(events: list[Any], state: Any = None) -> list[tuple[str, bytes]]:
    """(filename, content) of every ``rx.download`` among ``events``: a data URL is decoded; a
    ``/_download/<token>`` URL is fetched from the plain-HTTP app with ``state``'s session cookie."""
    import base64
    import json
    import re

    found = []
    for event in events:
        if _handler_name(event) == "_download":
            args = {name._js_expr: json.loads(str(value)) for name, value in event.args}
            url = args["url"]
            if url.startswith("/_download/"):
                from dashboard.core.session_cookie import token_from_cookie_header
                from tests.service.private_files_client import client

                response = client(token_from_cookie_header(state.router.headers.cookie)).get(url)
                assert response.status_code == 200, response.text
                assert response.headers["cache-control"].startswith("no-store")
                name = re.search(r'filename="([^"]+)"', response.headers["content-disposition"]).group(1)
                found.append((name, response.content))
                continue
            found.append((args.get("filename", ""), base64.b64decode(url.split("base64,", 1)[1])))
    return found


def toast_texts(events: list[Any]) -> list[str]:
    """The JavaScript of every toast among ``events`` (the message is inside, JSON-escaped)."""
    texts = []
    for event in events:
        if _handler_name(event) != "_call_function":
            continue
        args = {name._js_expr: value for name, value in event.args}
        script = str(args.get("function", ""))
        if "__toast" in script:
            texts.append(script)
    return texts


def toasted(events: list[Any], message: str, kind: str = "") -> bool:
    """Whether a toast (of ``kind``: "error", "success", ...) carrying ``message`` was yielded."""
    import json

    needle = json.dumps(message)[1:-1]
    return any(needle in t and (not kind or f'["{kind}"]' in t) for t in toast_texts(events))


def redirected_to(events: list[Any]) -> list[str]:
    paths = []
    for event in events:
        if _handler_name(event) == "_redirect":
            args = {name._js_expr: value for name, value in event.args}
            paths.append(str(args.get("path", "")).strip('"'))
    return paths
