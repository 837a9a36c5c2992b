"""The officer's session cookie: its name and how its token is read from a ``Cookie`` header.

Set and cleared by the sign-in endpoints (``dashboard/web/auth.py``, HttpOnly); read there, by the
private-file routes (``dashboard/web/private_files.py``) and by the websocket guard
(``dashboard/ui/auth_state.py``). No reflex here, so the plain-HTTP side never loads it.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

SESSION_COOKIE = "bo_session"


def token_from_cookie_header(header: str | None) -> str | None:
    if not header or len(header) > 8192:
        return None
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(SESSION_COOKIE)
    value = morsel.value if morsel else ""
    return value if 20 <= len(value) <= 200 else None
