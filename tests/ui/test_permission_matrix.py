"""Every public handler of every page State, called directly (as any browser can) by every kind of
caller, compared with the permission table in ``dashboard/permissions.py``.

- A handler without a permission decision (``@guarded(perm)`` or ``@public()``) fails the test.
- Each handler is called with junk arguments too: a caller allowed to run it must get a clear
  message, never an unhandled exception.
- ``setvar`` (which Reflex puts on every state) must not change anything.
"""

from __future__ import annotations

import asyncio
import inspect
import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import reflex as rx
from passlib.hash import bcrypt_sha256
from reflex_base import constants
from sqlalchemy import Engine
from sqlmodel import Session

import dashboard.dashboard  # noqa: F401  (builds the app and its state tree once per process)
from dashboard import db as dashboard_db
from dashboard.models import ActiveSession, Group, GroupMembership, User
from dashboard.core.permissions import GROUP_OFFICER, has_permission
from dashboard.auth import totp
from dashboard.auth.rules import hash_token
from dashboard.core.session_cookie import SESSION_COOKIE
from dashboard.ui.auth_state import PUBLIC, AuthState, decisions, permission_of

# Handlers Reflex itself puts on states; ours are everything else.
FRAMEWORK_HANDLERS = {"setvar", "set_is_hydrated", "hydrate", "hydrate_and_load"}

CALLERS = ["ANONYMOUS", "ADMIN", "COMPLIANCE", "TREASURER", "MANAGER", "SUPPORT", GROUP_OFFICER, "CUSTOMER"]

JUNK_ARGS = [{"$ne": None}, ["x"] * 3, "../../etc/passwd", -1, "'; DROP TABLE users; --"]


def _page_states() -> list[type[AuthState]]:
    found: list[type[AuthState]] = []

    def walk(cls: type[rx.State]) -> None:
        for sub in cls.get_substates():
            if issubclass(sub, AuthState):
                found.append(sub)
            walk(sub)

    walk(rx.State)
    return found


def _own_handlers(cls: type[rx.State]) -> dict[str, object]:
    return {name: h for name, h in cls.event_handlers.items() if name not in FRAMEWORK_HANDLERS}


HANDLERS = [(cls, name) for cls in _page_states() for name in sorted(_own_handlers(cls))]


# Every page state and its public handlers, written out: a handler added or removed anywhere must be
# added here too, so the matrix below is known to cover it.
EXPECTED_HANDLERS = {
    "AuditState": {
        "apply_filters", "clear_filters", "close_item", "export_csv", "first_page", "load", "next_page",
        "open_item", "prev_page", "refresh", "set_detail_open", "set_filter", "verify_chain",
    },
    "GroupsState": {
        "apply_filters", "approve_request", "ask", "clear_filters", "close_item", "confirm_pay", "confirm_retry",
        "dialog_changed", "first_page", "load", "next_page", "open_item", "prev_page", "refresh",
        "set_filter", "set_tab", "submit_decline",
    },
    "KycState": {
        "apply_filters", "approve_document", "ask", "clear_filters", "close_item", "confirm_approve",
        "dialog_changed", "first_page", "load", "next_page", "open_item", "prev_page", "refresh",
        "release_case", "set_filter", "submit_document_rejection", "submit_reject",
    },
    "LoginState": {
        "load_login",
    },
    "OverviewState": {
        "load_overview",
    },
    "PortfoliosState": {
        "apply_custom_range", "close_client", "export_chart", "load_portfolios", "open_client", "search",
        "set_range",
    },
    "StaffState": {
        "apply_filters", "ask", "change_role", "choose_role", "clear_filters", "close_item", "create_staff",
        "deactivate", "dialog_changed", "first_page", "load", "next_page", "open_item", "prev_page",
        "reactivate", "refresh", "reset_password", "reset_two_factor", "revoke_session", "set_filter",
        "show_tab",
    },
    "SupportState": {
        "add_note", "apply_filters", "ask", "change_ticket", "clear_filters", "close_item",
        "confirm_delete_canned", "dialog_changed", "first_page", "load", "next_page", "open_item",
        "poll_thread", "prev_page", "quick_filter", "refresh", "save_canned", "send_reply", "set_filter",
        "use_canned",
    },
    "TransactionsState": {
        "apply_filters", "approve_item", "ask", "clear_filters", "close_item", "close_results",
        "confirm_bulk", "decline_item", "dialog_changed", "export_csv", "first_page", "load", "next_page",
        "open_item", "open_tab", "prev_page", "refresh", "save_note", "select_page", "set_filter",
        "toggle_select",
    },
    "TwoFactorState": {
        "load_second_factor",
    },
}


def test_the_walk_finds_exactly_the_pages_handlers() -> None:
    found: dict[str, set[str]] = {}
    for cls, name in HANDLERS:
        found.setdefault(cls.__name__, set()).add(name)
    assert found == EXPECTED_HANDLERS


@pytest.mark.parametrize(("cls", "name"), HANDLERS, ids=[f"{c.__name__}.{n}" for c, n in HANDLERS])
def test_every_handler_has_a_permission_decision(cls, name) -> None:
    fn = cls.event_handlers[name].fn
    assert permission_of(cls, fn) is not None, (
        f"{cls.__name__}.{name} has no permission decision: wrap it in @guarded(Perm.X) or @public()"
    )


# --- callers -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def matrix_engine(pg_server_url: str, template_db: str) -> Iterator[Engine]:
    from tests.conftest import create_database, drop_database
    from dashboard.db import make_engine

    name = f"dash_matrix_{uuid.uuid4().hex[:8]}"
    url = create_database(pg_server_url, name, template=template_db)
    engine = make_engine(url, pool_size=2, max_overflow=2)
    yield engine
    engine.dispose()
    drop_database(pg_server_url, name)


@pytest.fixture(scope="module")
def tokens(matrix_engine: Engine) -> dict[str, str | None]:
    """A signed-in session token per caller (None for the anonymous caller). The customer gets a
    forged session row: the server must still refuse it."""
    password_hash = bcrypt_sha256.using(rounds=4).hash("matrix-password-1")
    now = datetime.now(UTC)
    result: dict[str, str | None] = {"ANONYMOUS": None}
    with Session(matrix_engine) as session:
        for caller in CALLERS[1:]:
            role = "CUSTOMER" if caller in (GROUP_OFFICER, "CUSTOMER") else caller
            user = User(
                email=f"{caller.lower()}-{uuid.uuid4().hex[:6]}@matrix.test",
                first_name=caller.title(),
                last_name="Matrix",
                role=role,
                platform="STAFF" if role != "CUSTOMER" else "TREASURY",
                account_type=None if role != "CUSTOMER" else "STOCK",
                password_hash=password_hash,
            )
            session.add(user)
            session.flush()
            if caller == "ADMIN":
                user.two_factor_enabled = True
                user.two_factor_method = "AUTHENTICATOR"
                user.two_factor_secret = totp.encrypt_secret(totp.new_secret(), user.id)
            if caller == GROUP_OFFICER:
                group = Group(name="Matrix group", created_by=user.id)
                session.add(group)
                session.flush()
                session.add(GroupMembership(group_id=group.id, user_id=user.id, role_in_group="TREASURER"))
            token = secrets.token_urlsafe(32)
            session.add(
                ActiveSession(
                    user_id=user.id,
                    token_hash=hash_token(token),
                    two_factor_verified=True,
                    created_at=now,
                    last_active_at=now,
                    expires_at=now + timedelta(hours=8),
                )
            )
            result[caller] = token
        session.commit()
    return result


@pytest.fixture
def use_matrix_engine(matrix_engine: Engine) -> Iterator[None]:
    previous = dashboard_db._engine
    dashboard_db.set_engine(matrix_engine)
    yield
    dashboard_db.set_engine(previous)


def _state_for(cls: type[AuthState], token: str | None) -> AuthState:
    root = rx.State(_reflex_internal_init=True)
    headers = {"user-agent": "pytest-matrix"}
    if token:
        headers["cookie"] = f"{SESSION_COOKIE}={token}"
    root._update_router_vars(
        {
            constants.RouteVar.HEADERS: headers,
            constants.RouteVar.CLIENT_IP: "127.0.0.1",
            constants.RouteVar.PATH: "/",
            constants.RouteVar.CLIENT_TOKEN: uuid.uuid4().hex,
        },
        {},
    )
    return root.get_substate(cls.get_full_name().split("."))


def _call(state: AuthState, name: str, args: list) -> list[tuple[str, str]]:
    fn = type(state).event_handlers[name].fn
    seen: list[tuple[str, str]] = []

    async def drive() -> None:
        reset = decisions.set(seen)
        try:
            result = fn(state, *args)
            if inspect.isasyncgen(result):
                async for _ in result:
                    pass
            elif inspect.iscoroutine(result):
                await result
        finally:
            decisions.reset(reset)

    asyncio.run(drive())
    return seen


def _positional_params(cls, name: str) -> list[inspect.Parameter]:
    fn = cls.event_handlers[name].fn
    params = list(inspect.signature(fn).parameters.values())[1:]
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]


def _expected(caller: str, perm: str) -> str:
    if perm == PUBLIC:
        return "allowed"
    if caller in ("ANONYMOUS", "CUSTOMER"):
        return "unauthenticated"
    return "allowed" if has_permission(caller, perm) else "denied"


CASES = [(cls, name, caller) for cls, name in HANDLERS for caller in CALLERS]


@pytest.mark.parametrize(
    ("cls", "name", "caller"), CASES, ids=[f"{c.__name__}.{n}-{who}" for c, n, who in CASES]
)
def test_handler_outcome_matches_the_permission_table(cls, name, caller, tokens, use_matrix_engine) -> None:
    fn = cls.event_handlers[name].fn
    perm = permission_of(cls, fn)  # guarded(SCREEN): the permission of the screen the state declares
    assert perm is not None, f"{cls.__name__}.{name} has no permission decision"
    required = _positional_params(cls, name)

    for junk in JUNK_ARGS if required else [None]:
        state = _state_for(cls, tokens[caller])
        args = [junk] * len(required)
        before = state.dict() if perm != PUBLIC and _expected(caller, perm) != "allowed" else None
        seen = _call(state, name, args)  # must not raise, whatever the arguments
        outcome = seen[0][1] if seen else "no decision"
        assert outcome == _expected(caller, perm), (cls.__name__, name, caller, seen)
        if before is not None:
            after = state.dict()
            # A refused call changes no page data (only who-is-signed-in display fields may change).
            page_key = cls.get_full_name()
            assert _page_fields(before, page_key) == _page_fields(after, page_key), (cls.__name__, name, caller)


def _page_fields(snapshot: dict, page_key: str) -> dict:
    node = snapshot
    for part in page_key.split(".")[1:]:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return {k: v for k, v in node.items() if not isinstance(v, dict)} if isinstance(node, dict) else {}


@pytest.mark.parametrize("cls", _page_states(), ids=lambda c: c.__name__)
def test_setvar_cannot_change_any_var(cls) -> None:
    state = _state_for(cls, None)
    for var in ("signed_in", "officer_role", "officer_permissions", "access_error"):
        before = getattr(state, var)
        with pytest.raises(AttributeError):
            state.setvar(var, ["ADMIN"] if var == "officer_permissions" else True)
        assert getattr(state, var) == before
