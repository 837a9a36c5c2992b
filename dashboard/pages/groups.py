"""Group approvals (``/groups``, issue 8): withdrawal requests of savings groups, N-of-M approvals and
payouts.

- List: the open requests (pending within their approval window, and approved ones awaiting payout)
  or the history (approved, declined, paid, expired); filters by status and group; keyset pages of
  50, newest first. Officers see their own groups only; ADMIN sees every group, read-only.
- Request view (``/groups?request=<id>`` opens one directly): the group's balance (maintained row,
  not a ledger scan), recent ledger entries, members and roles, the approval timeline, payouts and
  recovery attempts; Approve / Decline (with a reason) / Pay, each disabled with the reason why.

Every public handler is guarded; arguments are untrusted and parsed by ``services.groups``, which
checks the actor's membership against the target request's group. Only display strings reach the
browser; page cursors stay in backend-only vars.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import reflex as rx

from dashboard import keyset

from dashboard.ui import screens as routes
from dashboard.ui.components import error_callout, layout, page_header
from dashboard.ui.components.confirm import confirm_dialog
from dashboard.ui.components.data_table import (
    data_table,
    filter_bar,
    labelled,
    pager,
    status_badge,
)
from dashboard.ui.components.page import empty_state
from dashboard.db import run_db
from dashboard.core.permissions import Perm
from dashboard.services import groups as svc
from dashboard.core.errors import DomainError, InvalidInput, NotAuthenticated
from dashboard.ui.auth_state import AuthState, current_actor, guarded

log = logging.getLogger(__name__)

SCREEN = routes.screen_for(routes.GROUPS)
PAGE_SIZE = svc.PAGE_SIZE
ALL = "all"
LOAD_ERROR = "The withdrawal requests could not be read from the database. Try again in a moment."
VIEW_ERROR = "The request could not be read from the database. Try again in a moment."
SAVE_ERROR = "The action could not be saved (database error). Nothing was changed; try again."
STATUS_COLOURS = {"Pending": "blue", "Approved": "purple", "Declined": "red", "Paid": "green", "Expired": "gray"}
PAYOUT_COLOURS = {"SUCCESS": "green", "FAILED": "red", "PENDING": "amber"}
OPEN_STATUSES = [("pending", "Pending"), ("approved", "Approved, awaiting payout")]
HISTORY_STATUSES = [("approved", "Approved"), ("declined", "Declined"), ("paid", "Paid"), ("expired", "Expired")]
MAX_GROUPS_IN_FILTER = 500
EMPTY_ACTIONS = {"can_approve": "", "why_approve": "", "can_decline": "", "why_decline": "", "can_pay": "",
                 "why_pay": ""}


def _text_arg(value: Any, what: str = "request") -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise InvalidInput(f"That {what} id is not valid.")
    return value.strip()


def _form_value(form_data: Any, key: str) -> str:
    if not isinstance(form_data, Mapping):
        raise InvalidInput("The form could not be read. Reload the page and try again.")
    value = form_data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput("The form could not be read: expected text.")
    return "" if value == ALL else value.strip()


class GroupsState(AuthState):
    # list (one page of display strings)
    tab: str = "open"
    status_filter: str = ""
    group_filter: str = ""
    filters_key: int = 0
    groups: list[dict[str, str]] = []
    rows: list[dict[str, str]] = []
    scope: str = ""
    loading: bool = False
    error: str = ""
    filter_error: str = ""
    page_number: int = 1
    has_next: bool = False
    _starts: list[str] = []
    _next_cursor: str = ""

    # the open request
    request_id: str = ""
    request_loading: bool = False
    request_error: str = ""
    summary: dict[str, str] = {}
    balance: str = ""
    ledger: list[dict[str, str]] = []
    members: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []
    payouts: list[dict[str, str]] = []
    recoveries: list[dict[str, str]] = []
    actions: dict[str, str] = dict(EMPTY_ACTIONS)

    # dialogs
    decline_open: bool = False
    pay_open: bool = False
    dialog_error: str = ""
    busy: bool = False

    @rx.var
    def page_label(self) -> str:
        n = len(self.rows)
        if n == 0:
            return ""
        first = (self.page_number - 1) * PAGE_SIZE + 1
        return f"Requests {first:,}–{first + n - 1:,}, newest first"

    @rx.var
    def has_prev(self) -> bool:
        return self.page_number > 1

    # --- helpers ----------------------------------------------------------------------------------
    def _query(self) -> svc.ListQuery:
        return svc.parse_query(self.tab, self.status_filter, self.group_filter)

    async def _read(self, start: str) -> bool:
        try:
            page = await run_db(svc.list_requests, actor=current_actor(), query=self._query(), after=start or None,
                                limit=PAGE_SIZE)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.filter_error = str(exc)
            return False
        except Exception:
            log.exception("groups: reading the list failed")
            self.rows, self.has_next, self.error = [], False, LOAD_ERROR
            return False
        finally:
            self.loading = False
        self.error = ""
        self.rows = page.rows
        self.scope = page.scope
        self._next_cursor = page.next_cursor or ""
        self.has_next = page.next_cursor is not None
        return True

    def _clear_request(self) -> None:
        self.request_id = self.request_error = ""
        self.summary, self.balance = {}, ""
        self.ledger, self.members, self.timeline, self.payouts, self.recoveries = [], [], [], [], []
        self.actions = dict(EMPTY_ACTIONS)
        self.decline_open = self.pay_open = False
        self.dialog_error = ""

    async def _load_request(self, request_id: Any) -> None:
        try:
            view = await run_db(svc.open_request, actor=current_actor(), request_id=request_id)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self._clear_request()
            self.request_error = str(exc)
            return
        except Exception:
            log.exception("groups: opening a request failed")
            self._clear_request()
            self.request_error = VIEW_ERROR
            return
        finally:
            self.request_loading = False
        self.request_id = view.id
        self.request_error = ""
        self.summary = view.summary
        self.balance = view.balance
        self.ledger, self.members, self.timeline = view.ledger, view.members, view.timeline
        self.payouts, self.recoveries = view.payouts, view.recoveries
        self.actions = view.actions

    async def _act(self, fn: Any, **kwargs: Any) -> Any:
        """Run one write for the open request; reload it whatever happened. None when refused."""
        if not self.request_id:
            self.dialog_error = "Open a request first."
            return None
        self.busy = True
        try:
            result = await run_db(fn, actor=current_actor(), request_id=self.request_id, **kwargs)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.dialog_error = str(exc)
            result = None
        except Exception:
            log.exception("groups: an action failed")
            self.dialog_error = SAVE_ERROR
            result = None
        finally:
            self.busy = False
        await self._load_request(self.request_id)
        return result

    # --- page load and list -------------------------------------------------------------------------
    @guarded(Perm.GROUPS_VIEW, opens_page=True)
    async def load_groups(self):
        """Page load: the first page of open requests; ``?request=<id>`` also opens that request."""
        wanted = self.router.url.query_parameters.get("request", "")
        self._clear_request()
        self.tab, self.status_filter, self.group_filter = "open", "", ""
        self.filter_error = ""
        self.loading = True
        keyset.reset(self)
        self.request_loading = bool(wanted)
        yield
        if wanted:
            await self._load_request(wanted if isinstance(wanted, str) else "")
        try:
            groups = await run_db(svc.visible_groups, actor=current_actor())
            self.groups = groups[:MAX_GROUPS_IN_FILTER]
        except DomainError:
            raise
        except Exception:
            log.exception("groups: reading the group list failed")
            self.groups = []
        await self._read("")

    @guarded(Perm.GROUPS_VIEW)
    async def set_tab(self, tab: Any):
        if tab not in svc.TABS:
            yield rx.toast.error("Choose the open requests or the history.")
            return
        self.tab = tab
        self.status_filter = ""
        self.filters_key += 1
        self.filter_error = ""
        keyset.reset(self)
        self.loading = True
        yield
        await self._read("")

    @guarded(Perm.GROUPS_VIEW)
    async def apply_filters(self, form_data: Any):
        try:
            status = _form_value(form_data, "status")
            group = _form_value(form_data, "group")
            svc.parse_query(self.tab, status, group)
        except InvalidInput as exc:
            self.filter_error = str(exc)
            return
        previous = (self.status_filter, self.group_filter)
        self.status_filter, self.group_filter = status, group
        self.filter_error = ""
        keyset.reset(self)
        self.loading = True
        yield
        if not await self._read(""):
            self.status_filter, self.group_filter = previous

    @guarded(Perm.GROUPS_VIEW)
    async def clear_filters(self):
        self.status_filter = self.group_filter = ""
        self.filter_error = ""
        self.filters_key += 1
        keyset.reset(self)
        self.loading = True
        yield
        await self._read("")

    @guarded(Perm.GROUPS_VIEW)
    async def next_page(self):
        async for event in keyset.next_page(self):
            yield event

    @guarded(Perm.GROUPS_VIEW)
    async def prev_page(self):
        async for event in keyset.prev_page(self):
            yield event

    # --- one request ----------------------------------------------------------------------------------
    @guarded(Perm.GROUPS_VIEW)
    async def open_request(self, request_id: Any):
        try:
            wanted = _text_arg(request_id)
            svc.parse_id(wanted)
        except InvalidInput as exc:
            yield rx.toast.error(str(exc))
            return
        self.request_loading = True
        yield
        await self._load_request(wanted)
        if self.request_error:
            yield rx.toast.error(self.request_error)

    @guarded(Perm.GROUPS_VIEW)
    async def back_to_list(self):
        self._clear_request()
        self.loading = True
        yield
        index = self.page_number - 1
        await self._read(self._starts[index] if 0 <= index < len(self._starts) else "")

    @guarded(Perm.GROUPS_APPROVE)
    async def approve_request(self):
        self.dialog_error = ""
        result = await self._act(svc.approve)
        if result is None:
            yield rx.toast.error(self.dialog_error or "The approval was not recorded.")
            self.dialog_error = ""
            return
        if result.status == "APPROVED":
            yield rx.toast.success(f"Approved: quorum reached ({result.approvals} of {result.required}).")
        else:
            yield rx.toast.success(f"Approval recorded ({result.approvals} of {result.required}).")

    @guarded(Perm.GROUPS_APPROVE)
    async def ask_decline(self):
        if not self.request_id:
            return
        self.dialog_error = ""
        self.decline_open = True

    @guarded(Perm.GROUPS_APPROVE)
    async def set_decline_open(self, value: Any):
        if value is False:
            self.decline_open = False
            self.dialog_error = ""

    @guarded(Perm.GROUPS_APPROVE)
    async def submit_decline(self, form_data: Any):
        try:
            reason = svc.parse_reason(_form_value(form_data, "reason"))
        except InvalidInput as exc:
            self.dialog_error = str(exc)
            return
        self.dialog_error = ""
        await self._act(svc.decline, reason=reason)
        if self.summary.get("status") == "DECLINED":
            self.decline_open = False
            yield rx.toast.success("Request declined.")

    @guarded(Perm.GROUPS_APPROVE)
    async def ask_pay(self):
        if not self.request_id:
            return
        self.dialog_error = ""
        self.pay_open = True

    @guarded(Perm.GROUPS_APPROVE)
    async def set_pay_open(self, value: Any):
        if value is False:
            self.pay_open = False
            self.dialog_error = ""

    @guarded(Perm.GROUPS_APPROVE)
    async def confirm_pay(self):
        self.dialog_error = ""
        outcome = await self._act(svc.execute_payout)
        if outcome is None:
            return  # the reason is shown in the dialog
        self.pay_open = False
        if outcome.status == "FAILED":
            yield rx.toast.error(outcome.message)
        else:
            yield rx.toast.success(outcome.message)


# --- page -------------------------------------------------------------------------------------------
G = GroupsState


def _filters() -> rx.Component:
    statuses = rx.cond(
        G.tab == "open",
        rx.select.content(rx.select.item("All", value=ALL),
                          *[rx.select.item(t, value=v) for v, t in OPEN_STATUSES]),
        rx.select.content(rx.select.item("All", value=ALL),
                          *[rx.select.item(t, value=v) for v, t in HISTORY_STATUSES]),
    )
    return rx.form(
        filter_bar(
            labelled("Status", rx.select.root(rx.select.trigger(width="14rem", id="groups-filter-status"), statuses,
                                              name="status", default_value=ALL), html_for="groups-filter-status"),
            labelled("Group", rx.select.root(
                rx.select.trigger(width="18rem", id="groups-filter-group"),
                rx.select.content(rx.select.item("All my groups", value=ALL),
                                  rx.foreach(G.groups, lambda g: rx.select.item(g["name"], value=g["id"]))),
                name="group", default_value=ALL), html_for="groups-filter-group"),
            rx.button("Apply", type="submit", custom_attrs={"data-testid": "groups-apply"}),
            rx.button("Clear", type="button", variant="soft", color_scheme="gray", on_click=G.clear_filters),
            test_id="groups-filters",
        ),
        on_submit=G.apply_filters,
        reset_on_submit=False,
        key=G.filters_key.to_string(),
    )


def _row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(r["group"], weight="medium"), rx.text(r["created"], size="1", color="var(--gray-10)")),
        rx.table.cell(rx.text(r["amount"], weight="medium", white_space="nowrap"), text_align="right"),
        rx.table.cell(rx.text(r["beneficiary"], size="2"), rx.text(r["reason"], size="1", color="var(--gray-10)")),
        rx.table.cell(r["requester"]),
        rx.table.cell(rx.text(r["approvals"], white_space="nowrap")),
        rx.table.cell(status_badge(r["status_label"], STATUS_COLOURS)),
        rx.table.cell(rx.text(r["time_left"], white_space="nowrap", size="2")),
        rx.table.cell(rx.button("Open", size="1", variant="soft", on_click=G.open_request(r["id"]),
                                custom_attrs={"data-testid": "groups-open"})),
        custom_attrs={"data-testid": "groups-row"},
    )


def _list() -> rx.Component:
    return rx.vstack(
        rx.tabs.root(
            rx.tabs.list(rx.tabs.trigger("Open requests", value="open"), rx.tabs.trigger("History", value="history")),
            value=G.tab, on_change=G.set_tab, width="100%",
        ),
        _filters(),
        rx.cond(G.filter_error != "", rx.callout.root(rx.callout.icon(rx.icon("triangle_alert")),
                                                      rx.callout.text(G.filter_error), color_scheme="red", size="1",
                                                      role="alert", width="100%")),
        rx.cond(G.scope == "none", rx.callout.root(
            rx.callout.icon(rx.icon("info")),
            rx.callout.text("You are not a current owner or treasurer of any group, so there are no requests to "
                            "show. Group approvals are made by each group's own officers."),
            color_scheme="amber", size="1", width="100%")),
        rx.cond(G.scope == "all", rx.text("Administrator view: every group, read-only.", size="2",
                                          color="var(--gray-11)")),
        data_table(
            ["Group", ("Amount", "9rem"), "Beneficiary / reason", "Requester", "Approvals", "Status", "Time left", ""],
            G.rows, _row, loading=G.loading, is_empty=G.rows.length() == 0,
            empty=empty_state("No requests", "Nothing matches these filters."), caption="Withdrawal requests",
            test_id="groups-table",
        ),
        pager(label=G.page_label, has_prev=G.has_prev, has_next=G.has_next, on_prev=G.prev_page, on_next=G.next_page,
              loading=G.loading, test_id="groups-pager"),
        spacing="3", width="100%", align="stretch",
    )


def _field(label_text: str, value: rx.Var) -> rx.Component:
    return rx.hstack(rx.text(label_text, size="2", color="var(--gray-11)", min_width="8rem"),
                     rx.text(value, size="2"), spacing="3", align="start")


def _action(label_text: str, icon: str, can: rx.Var, why: rx.Var, on_click: Any, colour: str, test_id: str
            ) -> rx.Component:
    return rx.button(rx.icon(icon, size=15), label_text, on_click=on_click, disabled=(can != "yes") | G.busy,
                     color_scheme=colour, loading=G.busy, custom_attrs={"data-testid": test_id, "title": why})


def _why(label_text: str, why: rx.Var, test_id: str) -> rx.Component:
    return rx.cond(why != "", rx.text(rx.text.strong(label_text + ": "), why, size="1", color="var(--gray-11)",
                                      custom_attrs={"data-testid": f"{test_id}-why"}))


def _header() -> rx.Component:
    a = G.actions
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(rx.heading(G.summary["amount"], size="6"), status_badge(G.summary["status_label"], STATUS_COLOURS),
                          align="center", spacing="3"),
                rx.text(G.summary["group"], size="3", weight="medium"),
                _field("Beneficiary", G.summary["beneficiary"]),
                _field("Reason", G.summary["reason"]),
                _field("Requested by", G.summary["requester"]),
                _field("Requested", G.summary["created"]),
                _field("Approvals", G.summary["approvals"]),
                _field("Expires", rx.cond(G.summary["expires"] == "", "No expiry",
                                          rx.cond(G.summary["time_left"] == "—", G.summary["expires"],
                                                  G.summary["expires"] + " (" + G.summary["time_left"] + ")"))),
                rx.cond(G.summary["decline_reason"] != "",
                        _field("Declined", G.summary["declined_by"] + ": " + G.summary["decline_reason"])),
                rx.cond(G.summary["executed_at"] != "", _field("Paid", G.summary["executed_at"])),
                spacing="2", align="start",
            ),
            rx.vstack(
                rx.text("Group balance", size="2", color="var(--gray-11)"),
                rx.heading(G.balance, size="5", custom_attrs={"data-testid": "groups-balance"}),
                rx.hstack(
                    _action("Approve", "check", a["can_approve"], a["why_approve"], G.approve_request, "green",
                            "groups-approve"),
                    _action("Decline", "x", a["can_decline"], a["why_decline"], G.ask_decline, "red", "groups-decline"),
                    _action("Pay out", "banknote", a["can_pay"], a["why_pay"], G.ask_pay, "indigo", "groups-pay"),
                    spacing="3", wrap="wrap",
                ),
                rx.vstack(
                    _why("Approve", a["why_approve"], "groups-approve"),
                    _why("Decline", a["why_decline"], "groups-decline"),
                    _why("Pay out", a["why_pay"], "groups-pay"),
                    spacing="1", max_width="26rem",
                ),
                spacing="2", align="start",
            ),
            gap="5", wrap="wrap", justify="between", width="100%",
        ),
        width="100%", custom_attrs={"data-testid": "groups-request"},
    )


def _card(title: str, body: rx.Component, test_id: str = "") -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="3"), body, spacing="2", width="100%", align="stretch"),
                   width="100%", custom_attrs={"data-testid": test_id} if test_id else {})


def _simple_table(headers: list[str], rows: rx.Var, cells: Any, empty: str) -> rx.Component:
    return rx.cond(
        rows.length() == 0,
        rx.text(empty, size="2", color="var(--gray-10)"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, lambda r: rx.table.row(*[rx.table.cell(c) for c in cells(r)]))),
            size="1", variant="ghost", width="100%",
        ),
    )


def _request_view() -> rx.Component:
    return rx.vstack(
        rx.box(rx.button(rx.icon("arrow_left", size=14), "Back to the list", on_click=G.back_to_list, variant="ghost",
                         custom_attrs={"data-testid": "groups-back"})),
        _header(),
        rx.grid(
            _card("Approval timeline", _simple_table(
                ["When", "What", "Who", "Note"], G.timeline, lambda r: [r["when"], r["what"], r["who"], r["note"]],
                "No approvals yet."), "groups-timeline"),
            _card("Members", _simple_table(["Name", "Role", "Since"], G.members,
                                           lambda r: [r["name"], r["role"], r["since"]], "No members."),
                  "groups-members"),
            columns=rx.breakpoints(initial="1", lg="2"), spacing="3", width="100%",
        ),
        _card("Recent ledger entries", _simple_table(
            ["When", "Type", "Amount", "Reference", "Source"], G.ledger,
            lambda r: [r["when"], rx.badge(r["type"], color_scheme=rx.cond(r["type"] == "DEBIT", "red", "green"),
                                           variant="soft"), r["amount"], r["reference"], r["source"]],
            "No ledger entries."), "groups-ledger"),
        _card("Payouts", _simple_table(
            ["Provider", "Status", "Amount", "Attempts", "Reference", "Updated"], G.payouts,
            lambda r: [r["provider"], status_badge(r["status"], PAYOUT_COLOURS), r["amount"], r["attempts"],
                       r["reference"], r["updated"]], "No payout yet."), "groups-payouts"),
        _card("Recovery attempts", _simple_table(
            ["When", "Error", "Resolved"], G.recoveries, lambda r: [r["when"], r["error"], r["resolved"]],
            "No failed attempts."), "groups-recoveries"),
        _decline_dialog(),
        confirm_dialog(
            open=G.pay_open, on_open_change=G.set_pay_open, title="Pay out this request?",
            description="The payout is sent to the beneficiary and the group's ledger is debited once. "
                        "If the provider fails, nothing is debited and you can retry.",
            confirm_label="Pay out", on_confirm=G.confirm_pay, busy=G.busy, error=G.dialog_error, danger=False,
            test_id="groups-pay-dialog",
        ),
        spacing="3", width="100%", align="stretch",
    )


def _decline_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Decline this request"),
            rx.form(
                rx.vstack(
                    labelled("Reason (shown to the group)", rx.text_area(
                        name="reason", id="groups-decline-reason", width="100%", max_length=svc.MAX_REASON,
                        placeholder="e.g. Not agreed at the last meeting"),
                        html_for="groups-decline-reason", width="100%"),
                    rx.cond(G.dialog_error != "", rx.callout.root(
                        rx.callout.icon(rx.icon("triangle_alert")), rx.callout.text(G.dialog_error), color_scheme="red",
                        size="1", role="alert", width="100%")),
                    rx.flex(
                        rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                        rx.button("Decline", type="submit", color_scheme="red", loading=G.busy,
                                  custom_attrs={"data-testid": "groups-decline-submit"}),
                        gap="3", justify="end", width="100%",
                    ),
                    spacing="3", width="100%",
                ),
                on_submit=G.submit_decline, reset_on_submit=False,
            ),
            max_width="30rem",
        ),
        open=G.decline_open, on_open_change=G.set_decline_open,
    )


def groups_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary),
        rx.cond(G.error != "", error_callout(G.error)),
        rx.cond(G.request_error != "", error_callout(G.request_error)),
        rx.cond(
            G.request_id != "",
            _request_view(),
            rx.cond(G.request_loading, rx.center(rx.spinner(size="3"), padding="3rem"), _list()),
        ),
        active=SCREEN.route,
    )
