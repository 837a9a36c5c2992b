"""The staff & sessions page state, driven in plain pytest against a real database.

Each test has a database of its own (``fresh_engine``): the handlers commit through their own
connections. Signing in goes through the real guard: a session row and the cookie (tests/ui/signin.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, select

import dashboard.dashboard  # noqa: F401  (builds the app and its state tree once per process)
from dashboard import models as m
from dashboard.ui import auth_state as app_state
from dashboard.ui.auth_state import permission_of
from dashboard.ui.dialog_state import DialogState
from dashboard.ui.list_state import ListState
from dashboard.ui import screens as routes
from dashboard.auth import passwords
from dashboard.staff.rules import PAGE_SIZE
from dashboard.staff.state import StaffState
from dashboard.core.session_cookie import SESSION_COOKIE
from dashboard.ui.forms import ALL
from tests.ui.signin import (
    SignedIn,
    open_session,
    page_state,
    present_cookie,
    redirected_to,
    run_handler,
    sign_in_state,
    staff_user,
    toasted,
)

NEW_PASSWORD = "a brand new passphrase"
BAD_FORM = "The form could not be read"
_FAST = passwords._context.handler("bcrypt_sha256").using(rounds=4)


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """New password hashes at cost 4 (cost 12 takes 0.3 s each; the code path is the same)."""
    monkeypatch.setattr(passwords, "hash_password", _FAST.hash)
    monkeypatch.setattr(passwords, "needs_rehash", lambda _hash: False)


@pytest.fixture
def app_db(app_engine: Engine) -> Engine:
    return app_engine


@pytest.fixture
def decisions() -> Iterator[list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    token = app_state.decisions.set(seen)
    yield seen
    app_state.decisions.reset(token)


@pytest.fixture
def add_staff(app_db: Engine) -> Callable[..., m.User]:
    def add(role: str = "SUPPORT", *, sessions: int = 0, **kw: Any) -> m.User:
        with Session(app_db, expire_on_commit=False) as session:
            user = staff_user(session, role, **kw)
            for _ in range(sessions):
                open_session(session, user)
            session.commit()
            return user

    return add


def admin_page(app_db: Engine) -> tuple[StaffState, SignedIn]:
    state = page_state(StaffState)
    officer = sign_in_state(state, app_db, "ADMIN", path=routes.STAFF, email="boss@staff.test",
                            first_name="Grace", last_name="Hopper")
    return state, officer


def load(state: StaffState) -> list[Any]:
    return run_handler(state.load())


def user_row(engine: Engine, user_id: Any) -> m.User:
    with Session(engine) as session:
        user = session.get(m.User, user_id)
        assert user is not None
        return user


def open_sessions_of(engine: Engine, user_id: Any) -> int:
    with Session(engine) as session:
        return len(session.exec(select(m.ActiveSession).where(
            m.ActiveSession.user_id == user_id, m.ActiveSession.revoked.is_(False))).all())


def audit_actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(sa.text("SELECT action FROM activity_logs ORDER BY seq")).scalars())


def row_for(state: StaffState, email: str) -> dict[str, str]:
    return next(r for r in state.rows if r["email"] == email)


# --- reading ----------------------------------------------------------------------------------------
def test_admin_sees_the_staff_list_as_strings(app_db: Engine, add_staff) -> None:
    add_staff("COMPLIANCE", email="cora@staff.test", first_name="Cora", last_name="Check")
    add_staff("SUPPORT", email="sam@staff.test", first_name="Sam", last_name="Helper", is_active=False)
    state, officer = admin_page(app_db)

    seen_loading: list[bool] = []

    async def drive() -> None:
        async for _ in state.load():
            seen_loading.append(state.loading)

    import asyncio

    asyncio.run(drive())

    assert seen_loading[0] is True and state.loading is False
    assert state.error == "" and state.access_error == ""
    assert [r["email"] for r in state.rows] == ["boss@staff.test", "cora@staff.test"], "deactivated hidden"
    cora = row_for(state, "cora@staff.test")
    assert cora["name"] == "Cora Check"
    assert cora["role_label"] == "Compliance officer"
    assert cora["status"] == "Active" and cora["two_factor"] == "Off" and cora["last_login"] == "Never"
    assert row_for(state, "boss@staff.test")["two_factor"] == "On"
    assert all(isinstance(v, str) for row in state.rows for v in row.values())
    assert state.count_label == "Showing 1–2 of 2 staff accounts"
    assert not state.has_next and not state.has_prev


def test_search_role_filter_and_deactivated_switch(app_db: Engine, add_staff) -> None:
    add_staff("COMPLIANCE", email="cora@staff.test", first_name="Cora", last_name="Check")
    add_staff("TREASURER", email="tom@staff.test", first_name="Tom", last_name="Till")
    add_staff("SUPPORT", email="sam@staff.test", first_name="Sam", last_name="Helper", is_active=False)
    state, _ = admin_page(app_db)
    load(state)

    run_handler(state.set_filter("search", "till"))
    assert [r["email"] for r in state.rows] == ["tom@staff.test"]

    run_handler(state.set_filter("search", ""))
    run_handler(state.set_filter("role", "COMPLIANCE"))
    assert [r["email"] for r in state.rows] == ["cora@staff.test"]
    assert state.filters == {"search": "", "role": "COMPLIANCE", "inactive": ""} and state.active_filters == 1

    run_handler(state.set_filter("role", ALL))
    events = run_handler(state.set_filter("inactive", True))
    sam = row_for(state, "sam@staff.test")
    assert sam["status"] == "Deactivated" and sam["is_active"] == "no"
    assert state.filters["inactive"] == "yes" and state.filters["role"] == ""
    assert "/staff?inactive=yes" in str(events[-1]), "the address bar follows the filters"

    run_handler(state.set_filter("search", "nobody-here"))
    assert state.rows == [] and state.count_label == "No staff accounts match"


def test_filters_come_from_the_address(app_db: Engine, add_staff) -> None:
    add_staff("COMPLIANCE", email="cora@staff.test", first_name="Cora", last_name="Check")
    add_staff("SUPPORT", email="sam@staff.test", first_name="Sam", last_name="Helper", is_active=False)
    state = page_state(StaffState)
    sign_in_state(state, app_db, "ADMIN", path=routes.STAFF, query={"role": "SUPPORT", "inactive": "yes"},
                  email="boss@staff.test")

    load(state)

    assert [r["email"] for r in state.rows] == ["sam@staff.test"]
    assert state.filters == {"search": "", "role": "SUPPORT", "inactive": "yes"} and state.filter_error == ""

    present_cookie(state, state_token(state), path=routes.STAFF, query={"role": "ROOT"})
    load(state)

    assert "Choose one of the staff roles" in state.filter_error
    assert [r["email"] for r in state.rows] == ["boss@staff.test", "cora@staff.test"], "the refused filter is dropped"


def state_token(state: StaffState) -> str:
    return state.router.headers.cookie.split(f"{SESSION_COOKIE}=", 1)[1]


def test_keyset_pages_forward_and_back(app_db: Engine, add_staff) -> None:
    for i in range(PAGE_SIZE + 5):
        add_staff("SUPPORT", email=f"agent{i:02d}@staff.test")
    state, _ = admin_page(app_db)  # boss@staff.test sorts after every agentNN@: it is on page 2
    load(state)

    first = [r["email"] for r in state.rows]
    assert len(first) == PAGE_SIZE and state.has_next and not state.has_prev
    assert state.count_label == f"Showing 1–{PAGE_SIZE} of {PAGE_SIZE + 6} staff accounts"

    run_handler(state.next_page())
    second = [r["email"] for r in state.rows]
    assert len(second) == 6 and not state.has_next and state.has_prev
    assert not set(first) & set(second)
    assert second == sorted(second) and first[-1] < second[0]

    run_handler(state.prev_page())
    assert [r["email"] for r in state.rows] == first and not state.has_prev


# --- changes ----------------------------------------------------------------------------------------
def test_create_staff_member(app_db: Engine) -> None:
    state, _ = admin_page(app_db)
    load(state)
    run_handler(state.ask("create"))
    assert state.dialog == "create"

    events = run_handler(state.create_staff({
        "email": " New.Person@Staff.Test ", "first_name": "New", "last_name": "Person",
        "role": "TREASURER", "password": NEW_PASSWORD,
    }))

    assert state.dialog == "" and state.field_errors == {} and state.dialog_error == ""
    assert toasted(events, "Created the account of New Person (new.person@staff.test).", "success")
    created = row_for(state, "new.person@staff.test")
    assert created["role"] == "TREASURER" and created["status"] == "Active"
    assert "staff.created" in audit_actions(app_db)
    assert passwords.verify_password(NEW_PASSWORD, user_row(app_db, created["id"]).password_hash)


def test_create_staff_names_every_bad_field_and_creates_nothing(app_db: Engine) -> None:
    state, _ = admin_page(app_db)
    load(state)
    run_handler(state.ask("create"))

    run_handler(state.create_staff({"email": "not-an-email", "first_name": " ", "last_name": "Ok",
                                    "role": "CUSTOMER", "password": "short"}))

    assert state.dialog == "create", "the dialog stays open to correct the fields"
    assert set(state.field_errors) == {"email", "first_name", "role", "password"}
    assert state.field_errors["email"] == "Enter a valid email address."
    assert state.field_errors["password"] == "The password must have at least 12 characters."
    assert "Choose one of the staff roles" in state.field_errors["role"]
    assert len(state.rows) == 1 and "staff.created" not in audit_actions(app_db)


def test_create_staff_with_a_taken_email_marks_the_email_field(app_db: Engine, add_staff) -> None:
    add_staff("SUPPORT", email="taken@staff.test")
    state, _ = admin_page(app_db)
    load(state)
    run_handler(state.ask("create"))

    events = run_handler(state.create_staff({"email": "taken@staff.test", "first_name": "A", "last_name": "B",
                                             "role": "SUPPORT", "password": NEW_PASSWORD}))

    assert state.field_errors == {"email": "An account with this email already exists."}
    assert state.dialog == "create" and toasted(events, "An account with this email already exists.", "error")


def test_change_role(app_db: Engine, add_staff) -> None:
    cora = add_staff("COMPLIANCE", email="cora@staff.test", first_name="Cora", last_name="Check")
    state, _ = admin_page(app_db)
    load(state)
    run_handler(state.ask("role", str(cora.id)))
    assert state.dialog == "role" and state.target_name == "Cora Check" and state.role_choice == "COMPLIANCE"
    run_handler(state.choose_role("MANAGER"))

    events = run_handler(state.change_role(state.target_id, state.role_choice))

    assert toasted(events, "Cora Check is now Manager.", "success")
    assert state.dialog == ""
    assert row_for(state, "cora@staff.test")["role"] == "MANAGER"
    assert user_row(app_db, cora.id).role == "MANAGER"
    assert "staff.role_changed" in audit_actions(app_db)


def test_deactivate_ends_the_sessions_at_once(app_db: Engine, add_staff) -> None:
    tom = add_staff("TREASURER", email="tom@staff.test", first_name="Tom", last_name="Till", sessions=2)
    state, _ = admin_page(app_db)
    load(state)
    run_handler(state.show_tab("sessions"))
    assert sum(1 for s in state.rows if s["email"] == "tom@staff.test") == 2
    run_handler(state.show_tab("staff"))
    run_handler(state.ask("deactivate", str(tom.id)))
    assert state.dialog == "deactivate" and state.target_email == "tom@staff.test"

    events = run_handler(state.deactivate(str(tom.id)))

    assert toasted(events, "Tom Till is deactivated and signed out everywhere.", "success")
    assert state.dialog == ""
    assert row_for(state, "tom@staff.test")["status"] == "Deactivated"
    assert user_row(app_db, tom.id).is_active is False
    assert open_sessions_of(app_db, tom.id) == 0

    run_handler(state.reactivate(str(tom.id)))
    assert row_for(state, "tom@staff.test")["status"] == "Active"
    assert user_row(app_db, tom.id).is_active is True
    run_handler(state.show_tab("sessions"))  # the sessions it had stay ended
    assert state.rows and not any(s["email"] == "tom@staff.test" for s in state.rows)


def test_reset_password_sets_it_and_ends_the_sessions(app_db: Engine, add_staff) -> None:
    sam = add_staff("SUPPORT", email="sam@staff.test", first_name="Sam", last_name="Helper", sessions=1)
    state, _ = admin_page(app_db)
    load(state)
    run_handler(state.ask("password", str(sam.id)))

    run_handler(state.reset_password(str(sam.id), {"new_password": "too short"}))
    assert state.field_errors == {"new_password": "The password must have at least 12 characters."}
    assert state.dialog == "password"

    events = run_handler(state.reset_password(str(sam.id), {"new_password": NEW_PASSWORD}))

    assert toasted(events, "New password set for Sam Helper. Their sessions have ended.", "success")
    assert state.dialog == ""
    assert passwords.verify_password(NEW_PASSWORD, user_row(app_db, sam.id).password_hash)
    assert open_sessions_of(app_db, sam.id) == 0


def test_reset_two_factor(app_db: Engine, add_staff) -> None:
    other = add_staff("ADMIN", email="ada@staff.test", first_name="Ada", last_name="Admin", sessions=1)
    state, _ = admin_page(app_db)
    load(state)
    assert row_for(state, "ada@staff.test")["two_factor"] == "On"
    run_handler(state.ask("two_factor", str(other.id)))

    events = run_handler(state.reset_two_factor(str(other.id)))

    assert toasted(events, "Two-step sign-in reset for Ada Admin.", "success")
    assert row_for(state, "ada@staff.test")["two_factor"] == "Off"
    assert user_row(app_db, other.id).two_factor_secret is None
    assert open_sessions_of(app_db, other.id) == 0


def test_revoke_one_session(app_db: Engine, add_staff) -> None:
    sam = add_staff("SUPPORT", email="sam@staff.test", first_name="Sam", last_name="Helper", sessions=2)
    state, officer = admin_page(app_db)
    load(state)
    run_handler(state.show_tab("sessions"))
    assert state.tab == "sessions" and len(state.rows) == 3
    assert state.count_label == "Showing 1–3 of 3 open sessions"
    mine = next(s for s in state.rows if s["id"] == str(officer.session_id))
    assert mine["is_current"] == "yes" and mine["device"] == "Chrome on Linux"
    target = next(s for s in state.rows if s["email"] == "sam@staff.test")
    run_handler(state.ask("revoke", target["id"]))
    assert state.dialog == "revoke" and state.target_name == "Sam Helper" and not state.target_is_current

    events = run_handler(state.revoke_session(target["id"]))

    assert toasted(events, "The session has ended.", "success")
    assert [s["id"] for s in state.rows if s["id"] == target["id"]] == []
    assert state.count_label == "Showing 1–2 of 2 open sessions"
    assert open_sessions_of(app_db, sam.id) == 1
    assert "auth.session_revoked" in audit_actions(app_db)


def test_refusals_of_the_service_stay_in_the_dialog(app_db: Engine) -> None:
    """Deactivating oneself is refused by the service: the message shows, the page stays usable."""
    state, officer = admin_page(app_db)
    load(state)
    run_handler(state.ask("deactivate", str(officer.user_id)))

    events = run_handler(state.deactivate(str(officer.user_id)))

    assert state.dialog_error == "You cannot deactivate your own account."
    assert toasted(events, "You cannot deactivate your own account.", "error")
    assert state.dialog == "deactivate" and state.busy is False
    assert state.access_error == "", "a refused action must not replace the page with 'access denied'"
    assert user_row(app_db, officer.user_id).is_active is True


def test_closing_a_dialog_clears_it(app_db: Engine, add_staff) -> None:
    sam = add_staff("SUPPORT", email="sam@staff.test")
    state, _ = admin_page(app_db)
    load(state)
    run_handler(state.ask("deactivate", str(sam.id)))

    run_handler(state.dialog_changed(True))
    assert state.dialog == "deactivate"
    run_handler(state.dialog_changed(False))
    assert state.dialog == "" and state.target_id == ""


# --- bad input --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.deactivate("not-a-uuid"), "'not-a-uuid' is not a valid account id."),
        (lambda s: s.deactivate({"id": "x"}), "The account id must be text (got dict)."),
        (lambda s: s.reactivate(None), "The account id must be text (got NoneType)."),
        (lambda s: s.reset_two_factor(["a"]), "The account id must be text (got list)."),
        (lambda s: s.reset_password("x" * 80, {"new_password": NEW_PASSWORD}), "is not a valid account id."),
        (lambda s: s.reset_password("0" * 32, "not a form"), BAD_FORM),
        (lambda s: s.reset_password("0" * 32, {"new_password": 12345678901234}), BAD_FORM),
        (lambda s: s.change_role("00000000-0000-0000-0000-000000000000", "ROOT"), "Choose one of the staff roles"),
        (lambda s: s.change_role(42, "SUPPORT"), "The account id must be text (got int)."),
        (lambda s: s.revoke_session({"$ne": None}), "The session id must be text (got dict)."),
        (lambda s: s.revoke_session("'; DROP TABLE users; --"), "is not a valid session id."),
        (lambda s: s.create_staff("email=a@b.c"), BAD_FORM),
        (lambda s: s.create_staff({"email": {"x": 1}, "first_name": "a", "last_name": "b", "role": "SUPPORT",
                                   "password": NEW_PASSWORD}), BAD_FORM),
        (lambda s: s.set_filter("search", {"a": 1}), "The form could not be read: expected text."),
        (lambda s: s.set_filter("search", "x" * 150), "The search can have at most 100 characters."),
        (lambda s: s.set_filter("search", "x" * 500), "Search: at most 200 characters."),
        (lambda s: s.set_filter("role", "ROOT"), "Choose one of the staff roles"),
        (lambda s: s.set_filter("inactive", "maybe"), "Include deactivated must be on or off."),
        (lambda s: s.set_filter("password_hash", "x"), "Unknown filter."),
        (lambda s: s.show_tab("<script>"), "Unknown tab."),
        (lambda s: s.ask("nuke", "x"), "Unknown dialog."),
        (lambda s: s.ask("deactivate", "00000000-0000-0000-0000-000000000000"),
         "This account is not in the list any more."),
        (lambda s: s.ask("revoke", 7), "The session id must be text (got int)."),
    ],
)
def test_bad_arguments_get_a_clear_message_and_change_nothing(app_db: Engine, call, message: str) -> None:
    state, _ = admin_page(app_db)
    load(state)
    before_rows = list(state.rows)
    before_audit = audit_actions(app_db)

    events = run_handler(call(state))

    shown = [state.dialog_error, state.filter_error, *state.field_errors.values()]
    assert toasted(events, message, "error") or any(message in text for text in shown), (message, events, shown)
    assert state.rows == before_rows
    assert audit_actions(app_db) == before_audit
    assert state.access_error == ""


def test_a_missing_account_gets_a_clear_message(app_db: Engine) -> None:
    state, _ = admin_page(app_db)
    load(state)

    events = run_handler(state.deactivate("00000000-0000-0000-0000-000000000000"))

    assert toasted(events, "This staff account does not exist.", "error")


# --- who may call what ------------------------------------------------------------------------------
def _every_handler_call(target_id: str, session_id: str) -> dict[str, Callable[[StaffState], Any]]:
    form = {"email": "intruder@staff.test", "first_name": "In", "last_name": "Truder", "role": "ADMIN",
            "password": NEW_PASSWORD}
    return {
        "load": lambda s: s.load(),
        "set_filter": lambda s: s.set_filter("role", "ADMIN"),
        "apply_filters": lambda s: s.apply_filters({"search": "a", "role": "ADMIN", "inactive": "yes"}),
        "clear_filters": lambda s: s.clear_filters(),
        "next_page": lambda s: s.next_page(),
        "prev_page": lambda s: s.prev_page(),
        "first_page": lambda s: s.first_page(),
        "refresh": lambda s: s.refresh(),
        "open_item": lambda s: s.open_item(target_id),
        "close_item": lambda s: s.close_item(),
        "show_tab": lambda s: s.show_tab("sessions"),
        "ask": lambda s: s.ask("create"),
        "dialog_changed": lambda s: s.dialog_changed(False),
        "choose_role": lambda s: s.choose_role("ADMIN"),
        "create_staff": lambda s: s.create_staff(form),
        "change_role": lambda s: s.change_role(target_id, "ADMIN"),
        "deactivate": lambda s: s.deactivate(target_id),
        "reactivate": lambda s: s.reactivate(target_id),
        "reset_password": lambda s: s.reset_password(target_id, {"new_password": NEW_PASSWORD}),
        "reset_two_factor": lambda s: s.reset_two_factor(target_id),
        "revoke_session": lambda s: s.revoke_session(session_id),
    }


def _decided(name: str) -> str:
    """How the guard names a handler: the shared list and dialog handlers are ListState's and DialogState's."""
    owner = next((c.__name__ for c in (ListState, DialogState) if name in vars(c)), "StaffState")
    return f"{owner}.{name}"


def test_the_state_offers_exactly_these_handlers() -> None:
    public = {name for name in StaffState.event_handlers if not name.startswith("_")}
    assert public == set(_every_handler_call("", "")) | {"setvar"}
    for name in public - {"setvar"}:
        assert permission_of(StaffState, StaffState.event_handlers[name].fn) == "staff.manage", name


@pytest.mark.parametrize("role", ["COMPLIANCE", "TREASURER", "MANAGER", "SUPPORT"])
def test_every_handler_is_denied_to_other_roles_and_changes_nothing(
    app_db: Engine, add_staff, decisions: list[tuple[str, str]], role: str
) -> None:
    victim = add_staff("SUPPORT", email="victim@staff.test", sessions=1,
                       two_factor_enabled=True, two_factor_method="AUTHENTICATOR", two_factor_secret="x")
    with Session(app_db) as session:
        victim_session = session.exec(select(m.ActiveSession).where(m.ActiveSession.user_id == victim.id)).one()
        before = session.exec(select(m.User).where(m.User.id == victim.id)).one()
        snapshot = (before.role, before.is_active, before.password_hash, before.two_factor_secret)
    state = page_state(StaffState)
    sign_in_state(state, app_db, role, path=routes.STAFF)
    audit_before = audit_actions(app_db)

    for name, call in _every_handler_call(str(victim.id), str(victim_session.id)).items():
        events = run_handler(call(state))
        assert decisions[-1] == (_decided(name), "denied"), name
        assert toasted(events, "You do not have permission to do this.", "error"), name

    assert state.rows == [] and state.total == 0 and state.dialog == ""
    assert state.access_error == "You do not have permission to do this.", "the denied page load shows the notice"
    after = user_row(app_db, victim.id)
    assert (after.role, after.is_active, after.password_hash, after.two_factor_secret) == snapshot
    assert open_sessions_of(app_db, victim.id) == 1
    with Session(app_db) as session:
        assert session.exec(select(m.User).where(m.User.email == "intruder@staff.test")).first() is None
    assert audit_actions(app_db) == audit_before


def test_without_a_session_every_handler_sends_to_sign_in(app_db: Engine, decisions) -> None:
    state = page_state(StaffState)
    present_cookie(state, None, path=routes.STAFF)

    for name, call in _every_handler_call("00000000-0000-0000-0000-000000000000", "x").items():
        events = run_handler(call(state))
        assert decisions[-1] == (_decided(name), "unauthenticated"), name
        assert redirected_to(events) == [f"{routes.LOGIN}?next={routes.STAFF}"], name
    assert state.rows == []


def test_a_deactivated_admin_is_signed_out_on_the_next_event(app_db: Engine, add_staff, decisions) -> None:
    state, officer = admin_page(app_db)
    load(state)
    with Session(app_db) as session:
        session.execute(sa.update(m.User).where(m.User.id == officer.user_id).values(is_active=False))
        session.commit()

    events = run_handler(state.refresh())

    assert decisions[-1] == ("ListState.refresh", "unauthenticated")
    assert state.signed_in is False and redirected_to(events)
