"""The group-approvals screen (``/groups``, issue 8): the request list and one request.

The list is the shared ``ListState`` (filters by status and group, keyset pages of 50 newest first,
``?request=<id>`` opens a request); the open/history tab is a var the query takes, kept in the URL as
``?tab=history``. Officers see their own groups only; ADMIN sees every group, read-only. The
queries and actions check the actor's membership against the target request's group; only display
strings reach the browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import reflex as rx

from dashboard.core.errors import InvalidInput
from dashboard.core.listing import Page
from dashboard.core.permissions import Perm
from dashboard.db import run_db
from dashboard.groups import actions, queries, rules
from dashboard.ui import screens
from dashboard.ui.auth_state import SCREEN, AuthState, current_actor, guarded
from dashboard.ui.forms import form_fields
from dashboard.ui.dialog_state import DialogState
from dashboard.ui.list_state import ListSpec, ListState
from dashboard.ui.screens import Screen

SAVE_ERROR = "The action could not be saved (database error). Nothing was changed; try again."
MAX_GROUPS_IN_FILTER = 500
EMPTY_ACTIONS = {"can_approve": "", "why_approve": "", "can_decline": "", "why_decline": "", "can_pay": "",
                 "why_pay": "", "can_retry": "", "retry_attempt": ""}


class GroupsState(ListState, DialogState, AuthState):
    screen: ClassVar[Screen] = screens.GROUPS_SCREEN
    dialogs: ClassVar[tuple[str, ...]] = ("decline", "pay", "retry")
    dialog_perm: ClassVar[str] = Perm.GROUPS_APPROVE
    spec: ClassVar[ListSpec] = ListSpec(filter_keys=("status", "group"), item_param="request",
                                        item_noun="Requests", order_note=", newest first")

    tab: str = "open"
    groups: list[list[str]] = []  # the group filter's choices: [id, name] pairs
    scope: str = ""  # "all" (ADMIN), "own" (an officer) or "none" (no group)

    # the open request (``open_id``)
    summary: dict[str, str] = {}
    balance: str = ""
    ledger: list[dict[str, str]] = []
    members: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []
    payouts: list[dict[str, str]] = []
    recoveries: list[dict[str, str]] = []
    actions: dict[str, str] = dict(EMPTY_ACTIONS)

    @rx.var
    def decline_open(self) -> bool:
        return self.dialog == "decline"

    @rx.var
    def pay_open(self) -> bool:
        return self.dialog == "pay"

    @rx.var
    def retry_open(self) -> bool:
        return self.dialog == "retry"

    # --- the list -------------------------------------------------------------------------------------
    async def _fetch(self, after: str | None) -> Page:
        return await run_db(queries.list_requests, actor=current_actor(), tab=self.tab, after=after, **self.filters)

    def _count_filters(self, wanted: dict[str, str]) -> int:
        return rules.parse_query(self.tab, wanted["status"], wanted["group"]).active()

    def _show_page(self, page: Page) -> None:
        self.scope = page.extra.get("scope", "")

    def _restore_screen_params(self, params: Mapping[str, Any]) -> None:
        """The tab (``?tab=history``; else the open requests), read before the filters it validates."""
        tab = params.get("tab", "")
        self.tab = tab if tab in rules.TABS else "open"

    def _screen_params(self) -> dict[str, str]:
        return {"tab": self.tab} if self.tab != "open" else {}

    async def _on_load(self) -> None:
        _, groups = await self._run(queries.visible_groups, into="error")  # a failure: no choices, said above
        self.groups = [[g["id"], g["name"]] for g in (groups or [])[:MAX_GROUPS_IN_FILTER]]

    # --- the open request -------------------------------------------------------------------------------
    async def _load_item(self, item_id: str) -> None:
        view = await run_db(queries.open_request, actor=current_actor(), request_id=item_id)
        self.summary, self.balance = view.summary, view.balance
        self.ledger, self.members, self.timeline = view.ledger, view.members, view.timeline
        self.payouts, self.recoveries = view.payouts, view.recoveries
        self.actions = view.actions

    def _clear_item(self) -> None:
        self.summary, self.balance = {}, ""
        self.ledger, self.members, self.timeline, self.payouts, self.recoveries = [], [], [], [], []
        self.actions = dict(EMPTY_ACTIONS)
        self._close_dialog()

    def _why_not_dialog(self, which: str) -> str:
        return "" if self.open_id else "Open a request first."

    async def _act(self, fn: Any, **kwargs: Any) -> Any:
        """Run one action on the open request, then show it again whatever happened. None when refused
        (the reason is in ``dialog_error``)."""
        if not self.open_id:
            self.dialog_error = "Open a request first."
            return None
        ok, result = await self._submit(fn, failure=SAVE_ERROR, request_id=self.open_id,
                                        expected_status=self.summary.get("status_code") or None, **kwargs)
        await self._show_item(self.open_id)
        return result if ok else None

    # --- handlers -----------------------------------------------------------------------------------------
    @guarded(SCREEN)
    async def set_tab(self, tab: Any):
        self.tab = rules.parse_tab(tab)
        self.filters = {**self.filters, "status": ""}
        self.active_filters = rules.parse_query(self.tab, "", self.filters.get("group", "")).active()
        self.filters_key += 1
        self.filter_error = ""
        self._reset_pages()
        self.loading = True
        yield
        await self._read("")
        yield self._sync_url()

    @guarded(Perm.GROUPS_APPROVE)
    async def approve_request(self):
        self.dialog_error = ""
        result = await self._act(actions.approve)
        if result is None:
            yield rx.toast.error(self.dialog_error or "The approval was not recorded.")
            self.dialog_error = ""
            return
        if result.status == "APPROVED":
            yield rx.toast.success(f"Approved: quorum reached ({result.approvals} of {result.required}).")
        else:
            yield rx.toast.success(f"Approval recorded ({result.approvals} of {result.required}).")

    @guarded(Perm.GROUPS_APPROVE)
    async def submit_decline(self, form_data: Any):
        try:
            reason = rules.parse_reason(form_fields(form_data, ("reason",))["reason"])
        except InvalidInput as exc:
            self.dialog_error = str(exc)
            return
        self.dialog_error = ""
        await self._act(actions.decline, reason=reason)
        if self.summary.get("status") == "DECLINED":
            self.dialog = ""
            yield rx.toast.success("Request declined.")

    @guarded(Perm.GROUPS_APPROVE)
    async def confirm_pay(self):
        async for update in self._pay(actions.execute_payout):
            yield update

    @guarded(Perm.GROUPS_APPROVE)
    async def confirm_retry(self):
        """The explicit retry of the failed attempt this view shows (never a second "Pay")."""
        async for update in self._pay(actions.retry_payout, expected_attempt=self.actions.get("retry_attempt", "")):
            yield update

    async def _pay(self, fn: Any, **kwargs: Any):
        self.dialog_error = ""
        outcome = await self._act(fn, **kwargs)
        if outcome is None:
            return  # the reason is shown in the dialog
        self.dialog = ""
        if outcome.status == "FAILED":
            yield rx.toast.error(outcome.message)
        else:
            yield rx.toast.success(outcome.message)
