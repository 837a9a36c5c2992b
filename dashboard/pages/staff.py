"""Staff & sessions (``/staff``, ``Perm.STAFF_MANAGE``: administrators only).

Two tabs: the staff accounts (search, role filter, deactivated switch, keyset pages of 25) and the
open back-office sessions. Every change goes through ``dashboard.services.staff`` (which checks the
actor again, locks, audits) and is confirmed in a dialog first.

Every public handler is ``guarded(Perm.STAFF_MANAGE)`` and treats its arguments as untrusted: any
client can call any handler with anything. Ids must be UUID strings; forms must be mappings of
strings. The state keeps one page of rows as dicts of strings, never ORM objects or passwords.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import reflex as rx

from dashboard.ui import screens as routes
from dashboard.ui.components import error_callout, layout, page_header
from dashboard.ui.components.confirm import confirm_dialog
from dashboard.ui.components.data_table import data_table, filter_bar, labelled, pager, status_badge
from dashboard.ui.components.page import empty_state
from dashboard.db import run_db
from dashboard.core.permissions import Perm
from dashboard.services import auth
from dashboard.services import staff as staff_service
from dashboard.core.errors import DomainError, InvalidInput, NotAuthenticated
from dashboard.ui.auth_state import ROLE_LABELS, AuthState, current_actor, guarded

log = logging.getLogger(__name__)

SCREEN = routes.screen_for(routes.STAFF)
PAGE_SIZE = 25
ALL_ROLES = "ALL"
STAFF_ROLE_ORDER = ("ADMIN", "COMPLIANCE", "TREASURER", "MANAGER", "SUPPORT")
MIN_PASSWORD = auth.MIN_PASSWORD_LENGTH
PASSWORD_RULE = f"At least {MIN_PASSWORD} characters. Share it through a safe channel; it is never shown again."
TABS = ("staff", "sessions")
TARGET_DIALOGS = ("role", "password", "deactivate", "reactivate", "two_factor")
DIALOGS = ("create", "revoke", *TARGET_DIALOGS)
CREATE_FIELDS = ("email", "first_name", "last_name", "role", "password")
LOAD_ERROR = "The staff list could not be read from the database. Try again in a moment."
SESSIONS_ERROR = "The sessions could not be read from the database. Try again in a moment."
BAD_FORM = "The form could not be read. Close the dialog and try again."
NOT_ON_PAGE = "This account is not in the list any more. Refresh the list and try again."
SESSION_NOT_LISTED = "This session is not in the list any more. Refresh the list and try again."


# --- plain helpers (no reflex state) --------------------------------------------------------------
def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _strings(row: Mapping[str, Any]) -> dict[str, str]:
    """A service row as the browser gets it: every value a string."""
    return {str(key): _text(value) for key, value in row.items()}


def _staff_row(row: Mapping[str, Any]) -> dict[str, str]:
    shown = _strings(row)
    shown["role_label"] = ROLE_LABELS.get(shown.get("role", ""), shown.get("role_label", ""))
    return shown


def _uuid_text(value: Any, what: str) -> str:
    """The id as a canonical UUID string, else ``InvalidInput`` with a clear message."""
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} id must be text (got {type(value).__name__}).")
    if len(value) <= 64:
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            pass
    shown = value[:40] + ("…" if len(value) > 40 else "")
    raise InvalidInput(f"{shown!r} is not a valid {what} id.")


def _role(value: Any) -> str:
    if not isinstance(value, str) or value not in STAFF_ROLE_ORDER:
        raise InvalidInput("Choose one of the staff roles: " + ", ".join(ROLE_LABELS[r] for r in STAFF_ROLE_ORDER) + ".")
    return value


def _form(value: Any, fields: tuple[str, ...]) -> dict[str, str]:
    """A submitted form: a mapping whose known fields are strings (missing ones are empty)."""
    if not isinstance(value, Mapping):
        raise InvalidInput(BAD_FORM)
    out: dict[str, str] = {}
    for name in fields:
        item = value.get(name, "")
        if not isinstance(item, str):
            raise InvalidInput(BAD_FORM)
        out[name] = item
    return out


def _create_field_errors(form: dict[str, str]) -> dict[str, str]:
    """Every field's problem at once (the same checks the service makes)."""
    checks: dict[str, Callable[[str], Any]] = {
        "email": auth.normalise_email,
        "first_name": lambda v: staff_service.clean_name(v, "first name"),
        "last_name": lambda v: staff_service.clean_name(v, "last name"),
        "role": _role,
        "password": auth.validate_new_password,
    }
    errors: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check(form[name])
        except InvalidInput as exc:
            errors[name] = str(exc)
    return errors


def _role_options() -> list[rx.Component]:
    return [rx.select.item(ROLE_LABELS[role], value=role) for role in STAFF_ROLE_ORDER]


# --- state ----------------------------------------------------------------------------------------
class StaffState(AuthState):
    """The staff page. Public vars are display copies; decisions are made by the services."""

    # staff list (one page)
    rows: list[dict[str, str]] = []
    loading: bool = False
    error: str = ""
    search: str = ""
    role_filter: str = ALL_ROLES
    include_inactive: bool = False
    has_prev: bool = False
    has_next: bool = False
    page_label: str = ""
    _page_starts: list[str] = [""]  # the `after` cursor of each page shown so far (first: "")
    _next_after: str = ""

    # sessions tab
    tab: str = "staff"
    sessions: list[dict[str, str]] = []
    sessions_loading: bool = False
    sessions_error: str = ""
    sessions_label: str = ""

    # dialogs
    dialog: str = ""  # one of DIALOGS, or "" when none is open
    busy: bool = False
    dialog_error: str = ""
    field_errors: dict[str, str] = {}
    target_id: str = ""
    target_name: str = ""
    target_email: str = ""
    target_role: str = ""
    target_detail: str = ""  # sessions: device and IP; accounts: role label
    target_is_current: bool = False
    role_choice: str = ""

    # --- reads ----------------------------------------------------------------------------------
    async def _fetch_staff(self) -> None:
        after = self._page_starts[-1] if self._page_starts else ""
        try:
            page = await run_db(
                staff_service.list_staff,
                actor=current_actor(),
                search=self.search,
                role=None if self.role_filter == ALL_ROLES else self.role_filter,
                include_inactive=self.include_inactive,
                after=after or None,
                limit=PAGE_SIZE,
            )
        except DomainError:
            raise
        except Exception:
            log.exception("staff: reading the staff list failed")
            self.rows = []
            self.error = LOAD_ERROR
            self.page_label = ""
            self.has_next = self.has_prev = False
            return
        finally:
            self.loading = False
        self.error = ""
        self.rows = [_staff_row(r) for r in page.rows]
        self._next_after = page.next_after or ""
        self.has_next = page.next_after is not None
        self.has_prev = len(self._page_starts) > 1
        first = (len(self._page_starts) - 1) * PAGE_SIZE + 1
        noun = "account" if page.total == 1 else "accounts"
        if not page.rows:
            self.page_label = f"No staff {noun} match" if page.total == 0 else f"{page.total:,} staff {noun}"
        else:
            self.page_label = f"Showing {first:,}–{first + len(page.rows) - 1:,} of {page.total:,} staff {noun}"

    async def _fetch_sessions(self) -> None:
        try:
            rows = await run_db(staff_service.list_sessions, actor=current_actor())
        except DomainError:
            raise
        except Exception:
            log.exception("staff: reading the sessions failed")
            self.sessions = []
            self.sessions_error = SESSIONS_ERROR
            self.sessions_label = ""
            return
        finally:
            self.sessions_loading = False
        self.sessions_error = ""
        self.sessions = [_strings(r) for r in rows]
        n = len(rows)
        limit = staff_service.MAX_SESSIONS_LISTED
        self.sessions_label = (
            f"The {limit} most recently used sessions" if n >= limit
            else f"{n} open session" + ("" if n == 1 else "s")
        )

    async def _first_page(self) -> AsyncIterator[None]:
        self._page_starts = [""]
        self.loading = True
        yield
        await self._fetch_staff()

    @guarded(Perm.STAFF_MANAGE, opens_page=True)
    async def load_staff(self):
        """Page load: the first page of the list with the current filters (and the sessions, when
        that tab is open). Takes no arguments."""
        self.dialog = ""
        self.busy = False
        async for _ in self._first_page():
            yield
        if self.tab == "sessions":
            self.sessions_loading = True
            yield
            await self._fetch_sessions()

    @guarded(Perm.STAFF_MANAGE)
    async def search_staff(self, value: Any = ""):
        """Debounced search box: email or name contains the text."""
        if not isinstance(value, str):
            yield rx.toast.error("The search must be text.")
            return
        if len(value) > staff_service.MAX_SEARCH_LENGTH or "\x00" in value:
            yield rx.toast.error(f"The search can have at most {staff_service.MAX_SEARCH_LENGTH} characters.")
            return
        self.search = value
        async for _ in self._first_page():
            yield

    @guarded(Perm.STAFF_MANAGE)
    async def filter_role(self, value: Any = ALL_ROLES):
        if value != ALL_ROLES:
            try:
                _role(value)
            except InvalidInput as exc:
                yield rx.toast.error(str(exc))
                return
        self.role_filter = value
        async for _ in self._first_page():
            yield

    @guarded(Perm.STAFF_MANAGE)
    async def show_deactivated(self, value: Any = False):
        if not isinstance(value, bool):
            yield rx.toast.error("Include deactivated must be on or off.")
            return
        self.include_inactive = value
        async for _ in self._first_page():
            yield

    @guarded(Perm.STAFF_MANAGE)
    async def next_page(self):
        if not self._next_after:
            return
        self._page_starts = [*self._page_starts, self._next_after]
        self.loading = True
        yield
        await self._fetch_staff()

    @guarded(Perm.STAFF_MANAGE)
    async def previous_page(self):
        if len(self._page_starts) <= 1:
            return
        self._page_starts = self._page_starts[:-1]
        self.loading = True
        yield
        await self._fetch_staff()

    @guarded(Perm.STAFF_MANAGE)
    async def refresh(self):
        """Read the current page again (same position, same filters)."""
        self.loading = True
        yield
        await self._fetch_staff()

    @guarded(Perm.STAFF_MANAGE)
    async def show_tab(self, value: Any = "staff"):
        if value not in TABS:
            yield rx.toast.error("Unknown tab.")
            return
        self.tab = value
        if value == "sessions":
            self.sessions_loading = True
            yield
            await self._fetch_sessions()

    @guarded(Perm.STAFF_MANAGE)
    async def load_sessions(self):
        """Refresh the open sessions."""
        self.sessions_loading = True
        yield
        await self._fetch_sessions()

    # --- dialogs --------------------------------------------------------------------------------
    def _clear_dialog(self) -> None:
        self.dialog = ""
        self.busy = False
        self.dialog_error = ""
        self.field_errors = {}
        self.target_id = self.target_name = self.target_email = self.target_role = self.target_detail = ""
        self.target_is_current = False
        self.role_choice = ""

    @guarded(Perm.STAFF_MANAGE)
    async def open_dialog(self, kind: Any = "", target_id: Any = ""):
        """Open one of the dialogs (``DIALOGS``) for an account or a session shown on the page."""
        if kind not in DIALOGS:
            yield rx.toast.error("Unknown action.")
            return
        self._clear_dialog()
        if kind in TARGET_DIALOGS:
            try:
                wanted = _uuid_text(target_id, "account")
            except InvalidInput as exc:
                yield rx.toast.error(str(exc))
                return
            row = next((r for r in self.rows if r.get("id") == wanted), None)
            if row is None:
                yield rx.toast.error(NOT_ON_PAGE)
                return
            self.target_id = wanted
            self.target_name = row.get("name", "")
            self.target_email = row.get("email", "")
            self.target_role = row.get("role", "")
            self.target_detail = row.get("role_label", "")
            self.role_choice = self.target_role
        elif kind == "revoke":
            try:
                wanted = _uuid_text(target_id, "session")
            except InvalidInput as exc:
                yield rx.toast.error(str(exc))
                return
            row = next((r for r in self.sessions if r.get("id") == wanted), None)
            if row is None:
                yield rx.toast.error(SESSION_NOT_LISTED)
                return
            self.target_id = wanted
            self.target_name = row.get("name", "")
            self.target_email = row.get("email", "")
            self.target_detail = " · ".join(p for p in (row.get("device", ""), row.get("ip_address", "")) if p)
            self.target_is_current = row.get("is_current") == "yes"
        self.dialog = kind

    @guarded(Perm.STAFF_MANAGE)
    async def set_dialog_open(self, value: Any = False):
        """The dialogs' ``on_open_change`` (Escape, Cancel, click outside): only closes."""
        if value is False:
            self._clear_dialog()

    @guarded(Perm.STAFF_MANAGE)
    async def choose_role(self, value: Any = ""):
        try:
            self.role_choice = _role(value)
        except InvalidInput as exc:
            self.dialog_error = str(exc)

    async def _run(self, service: Callable[..., Any], /, **kwargs: Any) -> tuple[bool, Any]:
        """Call one staff service; on a refusal show its message in the dialog and as a toast.
        NotAuthenticated goes up to the guard (which signs the page out)."""
        try:
            result = await run_db(service, actor=current_actor(), **kwargs)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.dialog_error = str(exc)
            return False, exc
        finally:
            self.busy = False
        return True, result

    def _replace_row(self, shown: dict[str, str]) -> None:
        self.rows = [shown if r.get("id") == shown.get("id") else r for r in self.rows]

    def _drop_sessions_of(self, user_id: str) -> None:
        self.sessions = [s for s in self.sessions if s.get("user_id") != user_id]

    # --- changes --------------------------------------------------------------------------------
    @guarded(Perm.STAFF_MANAGE)
    async def create_staff(self, form_data: Any = None):
        """The "New staff member" form: email, first_name, last_name, role, password."""
        self.dialog_error = ""
        try:
            form = _form(form_data, CREATE_FIELDS)
        except InvalidInput as exc:
            self.dialog_error = str(exc)
            yield rx.toast.error(str(exc))
            return
        errors = _create_field_errors(form)
        self.field_errors = errors
        if errors:
            return
        self.busy = True
        yield
        ok, result = await self._run(
            staff_service.create_staff,
            email=form["email"],
            first_name=form["first_name"],
            last_name=form["last_name"],
            role=form["role"],
            password=form["password"],
        )
        if not ok:
            message = str(result)
            if "email" in message.lower():
                self.field_errors = {"email": message}
                self.dialog_error = ""
            yield rx.toast.error(message)
            return
        self._clear_dialog()
        created = _staff_row(result)
        yield rx.toast.success(f"Created the account of {created['name']} ({created['email']}).")
        self.loading = True
        yield
        await self._fetch_staff()

    @guarded(Perm.STAFF_MANAGE)
    async def change_role(self, user_id: Any = None, role: Any = None):
        try:
            target = _uuid_text(user_id, "account")
            new_role = _role(role)
        except InvalidInput as exc:
            self.dialog_error = str(exc)
            yield rx.toast.error(str(exc))
            return
        self.busy = True
        yield
        ok, result = await self._run(staff_service.change_role, user_id=target, role=new_role)
        if not ok:
            yield rx.toast.error(str(result))
            return
        shown = _staff_row(result)
        self._replace_row(shown)
        self._clear_dialog()
        yield rx.toast.success(f"{shown['name']} is now {shown['role_label']}.")

    async def _account_action(self, service: Callable[..., Any], user_id: Any, success: str, *,
                              ends_sessions: bool, **kwargs: Any) -> AsyncIterator[Any]:
        try:
            target = _uuid_text(user_id, "account")
        except InvalidInput as exc:
            self.dialog_error = str(exc)
            yield rx.toast.error(str(exc))
            return
        self.busy = True
        yield None
        ok, result = await self._run(service, user_id=target, **kwargs)
        if not ok:
            yield rx.toast.error(str(result))
            return
        shown = _staff_row(result)
        self._replace_row(shown)
        if ends_sessions:
            self._drop_sessions_of(shown["id"])
        self._clear_dialog()
        yield rx.toast.success(success.format(name=shown["name"]))

    @guarded(Perm.STAFF_MANAGE)
    async def deactivate(self, user_id: Any = None):
        """Switch the account off; all of its sessions end at once."""
        async for event in self._account_action(
            staff_service.deactivate, user_id, "{name} is deactivated and signed out everywhere.", ends_sessions=True
        ):
            yield event

    @guarded(Perm.STAFF_MANAGE)
    async def reactivate(self, user_id: Any = None):
        async for event in self._account_action(
            staff_service.reactivate, user_id, "{name} can sign in again.", ends_sessions=False
        ):
            yield event

    @guarded(Perm.STAFF_MANAGE)
    async def reset_password(self, user_id: Any = None, form_data: Any = None):
        """Set a new password (form field ``new_password``); the account's sessions end."""
        try:
            password = _form(form_data, ("new_password",))["new_password"]
        except InvalidInput as exc:
            self.dialog_error = str(exc)
            yield rx.toast.error(str(exc))
            return
        try:
            auth.validate_new_password(password)
        except InvalidInput as exc:
            self.field_errors = {"new_password": str(exc)}
            return
        self.field_errors = {}
        async for event in self._account_action(
            staff_service.reset_password, user_id,
            "New password set for {name}. Their sessions have ended.", ends_sessions=True, new_password=password,
        ):
            yield event

    @guarded(Perm.STAFF_MANAGE)
    async def reset_two_factor(self, user_id: Any = None):
        """Switch off the account's authenticator (lost phone); its sessions end."""
        async for event in self._account_action(
            staff_service.reset_two_factor, user_id,
            "Two-step sign-in reset for {name}. It is set up again at their next sign-in.", ends_sessions=True,
        ):
            yield event

    @guarded(Perm.STAFF_MANAGE)
    async def revoke_session(self, session_id: Any = None):
        """End one session at once."""
        try:
            target = _uuid_text(session_id, "session")
        except InvalidInput as exc:
            self.dialog_error = str(exc)
            yield rx.toast.error(str(exc))
            return
        self.busy = True
        yield
        ok, result = await self._run(staff_service.revoke_session, session_id=target)
        if not ok:
            yield rx.toast.error(str(result))
            return
        self.sessions = [s for s in self.sessions if s.get("id") != target]
        self._clear_dialog()
        yield rx.toast.success("The session has ended.")


# --- page -----------------------------------------------------------------------------------------
S = StaffState
STATUS_COLOURS = {"Active": "green", "Locked": "amber", "Deactivated": "gray"}


def _field(label: str, control: rx.Component, name: str, hint: str = "") -> rx.Component:
    error = S.field_errors.get(name, "")
    return rx.el.label(
        rx.text(label, size="2", weight="medium", as_="div", margin_bottom="0.3rem"),
        control,
        *([rx.text(hint, size="1", color="var(--gray-11)", as_="div", margin_top="0.25rem")] if hint else []),
        rx.cond(
            error != "",
            rx.text(error, size="1", color="var(--red-11)", as_="div", margin_top="0.25rem", role="alert",
                    id=f"{name}-error"),
        ),
        display="block",
        width="100%",
    )


def _dialog_error() -> rx.Component:
    return rx.cond(
        S.dialog_error != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle_alert")),
            rx.callout.text(S.dialog_error),
            color_scheme="red",
            variant="surface",
            role="alert",
            size="1",
        ),
    )


def _dialog_buttons(submit_label: str, test_id: str) -> rx.Component:
    return rx.flex(
        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray", disabled=S.busy)),
        rx.button(submit_label, type="submit", loading=S.busy, custom_attrs={"data-testid": test_id}),
        gap="3",
        justify="end",
        width="100%",
        margin_top="0.5rem",
    )


def _create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("New staff member"),
            rx.dialog.description(
                "The account can sign in at once. Administrators set up two-step sign-in at their first sign-in.",
                size="2",
                color="var(--gray-11)",
                margin_bottom="1rem",
            ),
            rx.form(
                rx.vstack(
                    _dialog_error(),
                    _field("Email", rx.input(name="email", type="email", auto_focus=True, auto_complete="off",
                                             max_length=254, width="100%", id="new-email"), "email"),
                    rx.hstack(
                        _field("First name", rx.input(name="first_name", max_length=150, width="100%",
                                                      id="new-first-name"), "first_name"),
                        _field("Last name", rx.input(name="last_name", max_length=150, width="100%",
                                                     id="new-last-name"), "last_name"),
                        spacing="3",
                        width="100%",
                    ),
                    _field(
                        "Role",
                        rx.select.root(
                            rx.select.trigger(placeholder="Choose a role", width="100%", id="new-role"),
                            rx.select.content(*_role_options()),
                            name="role",
                            default_value="SUPPORT",
                        ),
                        "role",
                    ),
                    _field("Initial password", rx.input(name="password", type="password", auto_complete="new-password",
                                                        max_length=256, width="100%", id="new-password"),
                           "password", PASSWORD_RULE),
                    _dialog_buttons("Create account", "create-submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.create_staff,
                reset_on_submit=False,
                no_validate=True,
            ),
            max_width="32rem",
            custom_attrs={"data-testid": "create-dialog"},
        ),
        open=S.dialog == "create",
        on_open_change=S.set_dialog_open,
    )


def _role_dialog() -> rx.Component:
    new_label = rx.match(S.role_choice, *[(r, ROLE_LABELS[r]) for r in STAFF_ROLE_ORDER], "")
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Change role"),
            rx.dialog.description(
                "Choose the new role of ", rx.text.strong(S.target_name), " (", S.target_email, ").",
                size="2",
                margin_bottom="1rem",
            ),
            rx.vstack(
                _dialog_error(),
                rx.el.label(
                    rx.text("Role", size="2", weight="medium", as_="div", margin_bottom="0.3rem"),
                    rx.select.root(
                        rx.select.trigger(width="100%", id="role-choice"),
                        rx.select.content(*_role_options()),
                        value=S.role_choice,
                        on_change=S.choose_role,
                    ),
                    display="block",
                    width="100%",
                ),
                rx.cond(
                    S.role_choice != S.target_role,
                    rx.text(
                        S.target_name, " changes from ", rx.text.strong(S.target_detail), " to ",
                        rx.text.strong(new_label), ". Their screens and permissions change with their next action.",
                        size="2",
                        color="var(--gray-11)",
                    ),
                    rx.text("This is their current role.", size="2", color="var(--gray-11)"),
                ),
                rx.flex(
                    rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", disabled=S.busy)),
                    rx.button(
                        "Change role",
                        on_click=S.change_role(S.target_id, S.role_choice),
                        loading=S.busy,
                        disabled=S.role_choice == S.target_role,
                        custom_attrs={"data-testid": "role-submit"},
                    ),
                    gap="3",
                    justify="end",
                    width="100%",
                    margin_top="0.5rem",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="30rem",
            custom_attrs={"data-testid": "role-dialog"},
        ),
        open=S.dialog == "role",
        on_open_change=S.set_dialog_open,
    )


def _password_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Reset password"),
            rx.dialog.description(
                "Set a new password for ", rx.text.strong(S.target_name), " (", S.target_email, "). ",
                "Their failed-attempt lockout is cleared and every session of theirs ends at once.",
                size="2",
                margin_bottom="1rem",
            ),
            rx.form(
                rx.vstack(
                    _dialog_error(),
                    _field("New password", rx.input(name="new_password", type="password", auto_focus=True,
                                                    auto_complete="new-password", max_length=256, width="100%",
                                                    id="reset-password"),
                           "new_password", PASSWORD_RULE),
                    _dialog_buttons("Set password", "password-submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=lambda form_data: S.reset_password(S.target_id, form_data),
                reset_on_submit=False,
                no_validate=True,
            ),
            max_width="30rem",
            custom_attrs={"data-testid": "password-dialog"},
        ),
        open=S.dialog == "password",
        on_open_change=S.set_dialog_open,
    )


def _who() -> rx.Component:
    return rx.text.strong(S.target_name, " (", S.target_email, ")")


def _confirm_dialogs() -> list[rx.Component]:
    return [
        confirm_dialog(
            open=S.dialog == "deactivate",
            on_open_change=S.set_dialog_open,
            title="Deactivate this account?",
            description=rx.text(
                _who(), " can no longer sign in, and every session of theirs ends at once. "
                "You can reactivate the account later.",
                size="2",
            ),
            confirm_label="Deactivate and sign out",
            on_confirm=S.deactivate(S.target_id),
            busy=S.busy,
            error=S.dialog_error,
            test_id="deactivate-dialog",
        ),
        confirm_dialog(
            open=S.dialog == "reactivate",
            on_open_change=S.set_dialog_open,
            title="Reactivate this account?",
            description=rx.text(_who(), " can sign in again with their current password.", size="2"),
            confirm_label="Reactivate",
            on_confirm=S.reactivate(S.target_id),
            busy=S.busy,
            error=S.dialog_error,
            danger=False,
            test_id="reactivate-dialog",
        ),
        confirm_dialog(
            open=S.dialog == "two_factor",
            on_open_change=S.set_dialog_open,
            title="Reset two-step sign-in?",
            description=rx.text(
                "The authenticator app of ", _who(), " stops working here, and every session of theirs ends "
                "at once. They set up a new authenticator at their next sign-in.",
                size="2",
            ),
            confirm_label="Reset two-step sign-in",
            on_confirm=S.reset_two_factor(S.target_id),
            busy=S.busy,
            error=S.dialog_error,
            test_id="two-factor-dialog",
        ),
        confirm_dialog(
            open=S.dialog == "revoke",
            on_open_change=S.set_dialog_open,
            title="End this session?",
            description=rx.text(
                "The session of ", _who(), " on ", S.target_detail, " ends at once; they must sign in again.",
                rx.cond(S.target_is_current, rx.text.strong(" This is your own session: you will be signed out.")),
                size="2",
            ),
            confirm_label="End session",
            on_confirm=S.revoke_session(S.target_id),
            busy=S.busy,
            error=S.dialog_error,
            test_id="revoke-dialog",
        ),
    ]


def _row_menu(row: rx.Var) -> rx.Component:
    is_me = row["email"] == AuthState.officer_email
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.icon_button(
                rx.icon("ellipsis", size=16),
                variant="ghost",
                color_scheme="gray",
                size="2",
                custom_attrs={"aria-label": "Actions for " + row["email"], "data-testid": "row-actions"},
            ),
        ),
        rx.dropdown_menu.content(
            rx.dropdown_menu.item(
                rx.icon("shield", size=14), "Change role…",
                on_select=S.open_dialog("role", row["id"]),
                disabled=is_me,
            ),
            rx.dropdown_menu.item(
                rx.icon("key_round", size=14), "Reset password…",
                on_select=S.open_dialog("password", row["id"]),
            ),
            rx.dropdown_menu.item(
                rx.icon("smartphone", size=14), "Reset two-step sign-in…",
                on_select=S.open_dialog("two_factor", row["id"]),
                disabled=(row["two_factor"] != "On") | is_me,
            ),
            rx.dropdown_menu.separator(),
            rx.cond(
                row["is_active"] == "yes",
                rx.dropdown_menu.item(
                    rx.icon("user_x", size=14), "Deactivate…",
                    on_select=S.open_dialog("deactivate", row["id"]),
                    color="red",
                    disabled=is_me,
                ),
                rx.dropdown_menu.item(
                    rx.icon("user_check", size=14), "Reactivate…",
                    on_select=S.open_dialog("reactivate", row["id"]),
                ),
            ),
            align="end",
        ),
        modal=False,
    )


def _muted(text: rx.Var, **props: Any) -> rx.Component:
    return rx.text(text, size="2", color="var(--gray-11)", white_space="nowrap", **props)


def _staff_table_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    rx.text(row["name"], size="2", weight="medium", color="var(--gray-12)"),
                    rx.cond(row["email"] == AuthState.officer_email, rx.badge("You", size="1", variant="soft")),
                    spacing="2",
                    align="center",
                ),
                rx.text(row["email"], size="1", color="var(--gray-11)"),
                spacing="0",
            ),
        ),
        rx.table.cell(rx.text(row["role_label"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.cond(
                row["status"] == "Locked",
                rx.tooltip(status_badge(row["status"], STATUS_COLOURS), content="Locked until " + row["locked_until"]),
                status_badge(row["status"], STATUS_COLOURS),
            )
        ),
        rx.table.cell(
            rx.cond(
                row["two_factor"] == "On",
                rx.hstack(rx.icon("shield_check", size=14, color="var(--green-11)"), rx.text("On", size="2"),
                          spacing="1", align="center"),
                _muted("Off"),
            )
        ),
        rx.table.cell(_muted(row["last_login"])),
        rx.table.cell(_muted(row["created"])),
        rx.table.cell(_row_menu(row), text_align="right"),
        align="center",
        custom_attrs={"data-testid": "staff-row", "data-email": row["email"]},
    )


def _staff_tab() -> rx.Component:
    return rx.box(
        filter_bar(
            labelled(
                "Search",
                rx.debounce_input(
                    rx.input(
                        rx.input.slot(rx.icon("search", size=15)),
                        value=S.search,
                        on_change=S.search_staff,
                        placeholder="Name or email",
                        max_length=staff_service.MAX_SEARCH_LENGTH,
                        width="18rem",
                        id="staff-search",
                        type="search",
                    ),
                    debounce_timeout=350,
                ),
                html_for="staff-search",
            ),
            labelled(
                "Role",
                rx.select.root(
                    rx.select.trigger(width="12rem", id="staff-role-filter"),
                    rx.select.content(rx.select.item("All roles", value=ALL_ROLES), *_role_options()),
                    value=S.role_filter,
                    on_change=S.filter_role,
                ),
                html_for="staff-role-filter",
            ),
            rx.el.label(
                rx.hstack(
                    rx.switch(checked=S.include_inactive, on_change=S.show_deactivated, id="staff-inactive"),
                    rx.text("Include deactivated", size="2"),
                    align="center",
                    spacing="2",
                    height="2rem",
                ),
            ),
            rx.spacer(),
            rx.button(rx.icon("refresh_cw", size=14), "Refresh", on_click=S.refresh, variant="soft",
                      color_scheme="gray", loading=S.loading),
            test_id="staff-filters",
        ),
        data_table(
            ["Staff member", ("Role", "10rem"), ("Status", "7.5rem"), ("Two-step", "6rem"), ("Last sign-in", "11rem"),
             ("Created", "11rem"), ("", "3rem")],
            S.rows,
            _staff_table_row,
            loading=S.loading,
            is_empty=S.rows.length() == 0,
            empty=rx.cond(
                S.error != "",
                empty_state("Nothing to show", "The list could not be read.", "circle_alert"),
                empty_state("No staff accounts match",
                            "Change the search or the role filter, or include deactivated accounts.", "users"),
            ),
            caption="Staff accounts",
            test_id="staff-table",
        ),
        pager(
            label=S.page_label,
            has_prev=S.has_prev,
            has_next=S.has_next,
            on_prev=S.previous_page,
            on_next=S.next_page,
            loading=S.loading,
            test_id="staff-pager",
        ),
    )


def _session_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    rx.text(row["name"], size="2", weight="medium"),
                    rx.cond(row["is_current"] == "yes", rx.badge("This session", size="1", variant="soft")),
                    spacing="2",
                    align="center",
                ),
                rx.text(row["email"], size="1", color="var(--gray-11)"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(row["device"], size="2"),
                rx.cond(row["status"] != "Signed in", rx.text(row["status"], size="1", color="var(--amber-11)")),
                spacing="0",
            )
        ),
        rx.table.cell(rx.code(row["ip_address"], variant="ghost", size="2")),
        rx.table.cell(_muted(row["created"])),
        rx.table.cell(_muted(row["last_active"])),
        rx.table.cell(_muted(row["expires"])),
        rx.table.cell(
            rx.button(
                "Revoke",
                on_click=S.open_dialog("revoke", row["id"]),
                variant="soft",
                color_scheme="red",
                size="1",
                custom_attrs={"aria-label": "Revoke the session of " + row["email"]},
            ),
            text_align="right",
        ),
        align="center",
        custom_attrs={"data-testid": "session-row"},
    )


def _sessions_tab() -> rx.Component:
    return rx.box(
        rx.cond(S.sessions_error != "", error_callout(S.sessions_error)),
        rx.flex(
            rx.text(
                "Back-office sessions that are signed in now (or waiting for the second step). "
                "Ending one signs that browser out at its next action.",
                size="2",
                color="var(--gray-11)",
            ),
            rx.button(rx.icon("refresh_cw", size=14), "Refresh", on_click=S.load_sessions, variant="soft",
                      color_scheme="gray", loading=S.sessions_loading),
            justify="between",
            align="center",
            gap="3",
            margin_bottom="1rem",
        ),
        data_table(
            ["User", ("Device", "9rem"), ("IP address", "9rem"), ("Signed in", "10.5rem"), ("Last active", "10.5rem"),
             ("Expires", "10.5rem"), ("", "5rem")],
            S.sessions,
            _session_row,
            loading=S.sessions_loading,
            is_empty=S.sessions.length() == 0,
            empty=empty_state("No open sessions", "Nobody is signed in to the back office right now.", "monitor"),
            caption="Open sessions",
            test_id="sessions-table",
        ),
        rx.text(S.sessions_label, size="2", color="var(--gray-11)", margin_top="0.75rem"),
    )


def staff_page() -> rx.Component:
    return layout(
        page_header(
            SCREEN.title,
            SCREEN.summary,
            rx.button(rx.icon("user_plus", size=15), "New staff member", on_click=S.open_dialog("create", ""),
                      custom_attrs={"data-testid": "new-staff"}),
        ),
        rx.cond(S.error != "", error_callout(S.error)),
        rx.tabs.root(
            rx.tabs.list(
                rx.tabs.trigger("Staff", value="staff"),
                rx.tabs.trigger("Active sessions", value="sessions"),
            ),
            rx.tabs.content(_staff_tab(), value="staff", padding_top="1.25rem"),
            rx.tabs.content(_sessions_tab(), value="sessions", padding_top="1.25rem"),
            value=S.tab,
            on_change=S.show_tab,
        ),
        _create_dialog(),
        _role_dialog(),
        _password_dialog(),
        *_confirm_dialogs(),
        active=routes.STAFF,
    )
