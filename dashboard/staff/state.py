"""The staff & sessions screen's state (``/staff``, ``Perm.STAFF_MANAGE``: administrators only).

One list with two tabs: the staff accounts (search, role, deactivated switch; each applies at once
through ``set_filter``) and the open back-office sessions; ``tab`` says which one ``_fetch`` reads.
Paging, filters and the URL are the shared ``ListState``'s. Every change is confirmed in a dialog
first and made by one action of ``dashboard.staff.actions`` (which checks the actor again, locks and
audits); the changed row is then replaced in place.

Every handler treats its arguments as untrusted (any client can call any handler with anything):
ids must be UUID text, forms mappings of text. Rows are dicts of strings, never ORM objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import reflex as rx

from dashboard.auth.passwords import validate_new_password
from dashboard.core.errors import InvalidInput
from dashboard.core.listing import Page
from dashboard.db import run_db
from dashboard.staff import actions, queries, rules
from dashboard.ui import screens
from dashboard.core.permissions import Perm
from dashboard.ui.auth_state import ROLE_LABELS, SCREEN, AuthState, current_actor, guarded
from dashboard.ui.dialog_state import DialogState
from dashboard.ui.forms import choice_arg, form_fields
from dashboard.ui.list_state import ListSpec, ListState
from dashboard.ui.screens import Screen

TARGET_DIALOGS = ("role", "password", "deactivate", "reactivate", "two_factor")
DIALOGS = ("create", "revoke", *TARGET_DIALOGS)
CREATE_FIELDS = ("email", "first_name", "last_name", "role", "password")
NOT_ON_PAGE = "This account is not in the list any more. Refresh the list and try again."
SESSION_NOT_LISTED = "This session is not in the list any more. Refresh the list and try again."


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _shown(row: Mapping[str, Any]) -> dict[str, str]:
    """A query's row as the browser gets it: every value a string, roles named as on the screen."""
    shown = {str(key): _text(value) for key, value in row.items()}
    if "role_label" in shown:
        shown["role_label"] = ROLE_LABELS.get(shown.get("role", ""), shown["role_label"])
    return shown


class StaffState(ListState, DialogState, AuthState):
    """The staff page. Public vars are display copies; decisions are made by the actions."""

    screen: ClassVar[Screen] = screens.STAFF_SCREEN
    dialogs: ClassVar[tuple[str, ...]] = DIALOGS
    dialog_perm: ClassVar[str] = Perm.STAFF_MANAGE
    spec: ClassVar[ListSpec] = ListSpec(filter_keys=rules.FILTER_KEYS, item_param="account",
                                        item_noun="Staff accounts", page_size=rules.PAGE_SIZE)

    tab: str = rules.STAFF_TAB
    total: int = 0  # every row of the tab's list that matches, not only this page

    # the dialogs (``dialog``, ``dialog_error``, ``busy``: DialogState) and the row they are about
    field_errors: dict[str, str] = {}
    target_id: str = ""
    target_name: str = ""
    target_email: str = ""
    target_role: str = ""
    target_detail: str = ""  # sessions: device and IP; accounts: role label
    target_is_current: bool = False
    role_choice: str = ""

    # --- the list ---------------------------------------------------------------------------------
    @rx.var
    def count_label(self) -> str:
        if self.error:
            return ""
        first = (self.page_number - 1) * self.spec.page_size + 1
        return rules.count_label(self.tab, self.total, first, len(self.rows))

    async def _fetch(self, after: str | None) -> Page:
        if self.tab == rules.SESSIONS_TAB:
            page = await run_db(queries.list_sessions, actor=current_actor(), after=after,
                                limit=self.spec.page_size)
        else:
            page = await run_db(queries.list_staff, actor=current_actor(), after=after, limit=self.spec.page_size,
                                **rules.staff_filters(self.filters, ROLE_LABELS))
        return Page([_shown(row) for row in page.rows], page.next_cursor, page.extra)

    def _count_filters(self, wanted: dict[str, str]) -> int:
        rules.staff_filters(wanted, ROLE_LABELS)
        return sum(1 for value in wanted.values() if value)

    def _show_page(self, page: Page) -> None:
        self.total = int(page.extra.get("total", 0))

    async def _load_item(self, item_id: str) -> None:
        raise InvalidInput("This screen opens accounts in dialogs, not by a link.")

    def _clear_item(self) -> None:
        """Opening the page (or leaving an item) also closes any dialog left open."""
        self._close_dialog()

    @guarded(SCREEN)
    async def show_tab(self, value: Any):
        self.tab = choice_arg(value, rules.TABS, "tab")
        self.rows, self.total = [], 0
        self._reset_pages()
        self.loading = True
        yield
        await self._read("")

    # --- dialogs ----------------------------------------------------------------------------------
    def _close_dialog(self) -> None:
        super()._close_dialog()
        self.busy = False
        self.field_errors = {}
        self.target_id = self.target_name = self.target_email = self.target_role = self.target_detail = ""
        self.target_is_current = False
        self.role_choice = ""

    def _listed(self, tab: str, item_id: Any, what: str, missing: str) -> dict[str, str]:
        """The row on screen that a dialog is about (refused when it is not listed any more)."""
        wanted = str(rules.parse_id(item_id, what))
        row = next((r for r in self.rows if r.get("id") == wanted), None) if self.tab == tab else None
        if row is None:
            raise InvalidInput(missing)
        return row

    async def _prepare_dialog(self, kind: str, target_id: Any) -> str:
        """The account (``TARGET_DIALOGS``) or the session (``revoke``) shown on the page that ``kind`` is about."""
        self._close_dialog()
        if kind in TARGET_DIALOGS:
            row = self._listed(rules.STAFF_TAB, target_id, "account", NOT_ON_PAGE)
            self.target_role = self.role_choice = row.get("role", "")
            self.target_detail = row.get("role_label", "")
        elif kind == "revoke":
            row = self._listed(rules.SESSIONS_TAB, target_id, "session", SESSION_NOT_LISTED)
            self.target_detail = " · ".join(p for p in (row.get("device", ""), row.get("ip_address", "")) if p)
            self.target_is_current = row.get("is_current") == "yes"
        else:
            row = {}
        self.target_id = row.get("id", "")
        self.target_name = row.get("name", "")
        self.target_email = row.get("email", "")
        return ""

    @guarded(SCREEN)
    async def choose_role(self, value: Any):
        self.role_choice = rules.staff_role(value, ROLE_LABELS)

    # --- changes (``_submit``: a refusal's message goes into the dialog; the caller toasts it) ----------
    @guarded(SCREEN)
    async def create_staff(self, form_data: Any):
        """The "New staff member" form: email, first_name, last_name, role, password."""
        self.dialog_error = ""
        form = form_fields(form_data, CREATE_FIELDS, exact=("password",))
        self.field_errors = rules.create_field_errors(form, ROLE_LABELS)
        if self.field_errors:
            return
        self.busy = True
        yield
        ok, result = await self._submit(actions.create_staff, **form)
        if not ok:
            message = self.dialog_error
            if "email" in message.lower():
                self.field_errors, self.dialog_error = {"email": message}, ""
            yield rx.toast.error(message)
            return
        self._close_dialog()
        created = _shown(result)
        yield rx.toast.success(f"Created the account of {created['name']} ({created['email']}).")
        self.loading = True
        yield
        await self._reload()

    async def _account_action(self, action: Callable[..., Any], user_id: Any, success: str, **kwargs: Any):
        """One change to an account listed on the page; its row is replaced in place."""
        target = str(rules.parse_id(user_id, "account"))
        self.busy = True
        yield None
        ok, result = await self._submit(action, user_id=target, **kwargs)
        if not ok:
            yield rx.toast.error(self.dialog_error)
            return
        shown = _shown(result)
        self.rows = [shown if r.get("id") == shown["id"] else r for r in self.rows]
        self._close_dialog()
        yield rx.toast.success(success.format(**shown))

    @guarded(SCREEN)
    async def change_role(self, user_id: Any, role: Any):
        new_role = rules.staff_role(role, ROLE_LABELS)
        async for event in self._account_action(actions.change_role, user_id, "{name} is now {role_label}.",
                                                role=new_role):
            yield event

    @guarded(SCREEN)
    async def deactivate(self, user_id: Any):
        """Switch the account off; all of its sessions end at once."""
        async for event in self._account_action(actions.deactivate, user_id,
                                                "{name} is deactivated and signed out everywhere."):
            yield event

    @guarded(SCREEN)
    async def reactivate(self, user_id: Any):
        async for event in self._account_action(actions.reactivate, user_id, "{name} can sign in again."):
            yield event

    @guarded(SCREEN)
    async def reset_password(self, user_id: Any, form_data: Any):
        """Set a new password (form field ``new_password``); the account's sessions end."""
        form = form_fields(form_data, ("new_password",), exact=("new_password",))
        self.field_errors = rules.field_errors(form, {"new_password": validate_new_password})
        if self.field_errors:
            return
        async for event in self._account_action(
            actions.reset_password, user_id, "New password set for {name}. Their sessions have ended.",
            new_password=form["new_password"],
        ):
            yield event

    @guarded(SCREEN)
    async def reset_two_factor(self, user_id: Any):
        """Switch off the account's authenticator (lost phone); its sessions end."""
        async for event in self._account_action(
            actions.reset_two_factor, user_id,
            "Two-step sign-in reset for {name}. It is set up again at their next sign-in.",
        ):
            yield event

    @guarded(SCREEN)
    async def revoke_session(self, session_id: Any):
        """End one session at once."""
        target = str(rules.parse_id(session_id, "session"))
        self.busy = True
        yield
        ok, _ = await self._submit(actions.revoke_session, session_id=target)
        if not ok:
            yield rx.toast.error(self.dialog_error)
            return
        kept = [s for s in self.rows if s.get("id") != target]
        self.total -= len(self.rows) - len(kept)
        self.rows = kept
        self._close_dialog()
        yield rx.toast.success("The session has ended.")
