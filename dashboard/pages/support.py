"""Support inbox (``/support``, issue 7): the ticket inbox and the thread view.

- Inbox: tickets most recently updated first (keyset pages of 50), with status, priority, category,
  assignee, customer, last reply, an unread dot and the age against the first-response target of the
  priority. Counts per status and for "mine" / "unassigned" (click one to filter). Filters: show
  (all / mine / unassigned), status (default: open + in progress), priority, category; search by
  subject or customer email.
- Thread (``/support?ticket=<id>`` opens one directly): the customer card (KYC status, account type,
  recent transactions), the conversation oldest first, the reply form with canned replies, internal
  notes apart from the replies, and the status / priority / category / assignee controls. While the
  thread is open a hidden timer (unmounted with the thread or the page) polls every few seconds: new
  messages appear, and "X is viewing" shows other agents on the ticket.
- Customer text is only ever drawn as text (``rx.text``), never as HTML or markdown.

Every public handler is guarded; arguments are untrusted and parsed by ``services.support``. Only
display strings go to the browser; cursors and the reply guard's counters stay in backend-only vars.
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
from dashboard.models.enums import label
from dashboard.core.permissions import Perm
from dashboard.services import canned_replies as canned_service
from dashboard.services import support as support_service
from dashboard.core.errors import (
    DomainError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from dashboard.ui.auth_state import AuthState, current_actor, guarded

log = logging.getLogger(__name__)

SCREEN = routes.screen_for(routes.SUPPORT)
PAGE_SIZE = support_service.PAGE_SIZE
POLL_MS = 4000
LOAD_ERROR = "The inbox could not be read from the database. Try again in a moment."
THREAD_ERROR = "The ticket could not be read from the database. Try again in a moment."
SAVE_ERROR = "The change could not be saved (database error). Nothing was changed; try again."
ALL = "all"
REPLY_PERMISSION = Perm.SUPPORT_REPLY.value
EMPTY_FILTERS = {k: "" for k in support_service.FILTER_KEYS}
STATUS_COLOURS = {"Open": "blue", "In Progress": "amber", "Resolved": "green", "Closed": "gray"}
PRIORITY_COLOURS = {"Low": "gray", "Normal": "blue", "High": "orange", "Urgent": "red"}
SLA_COLOURS = {"overdue": "red", "due_soon": "amber", "on_time": "green", "met": "green", "missed": "orange",
               "none": "gray"}
KYC_COLOURS = {"Approved": "green", "Pending": "gray", "Under Review": "blue", "Rejected": "red",
               "Resubmit Required": "amber", "Not Started": "gray"}
COUNT_CARDS = (("OPEN", "Open"), ("IN_PROGRESS", "In progress"), ("RESOLVED", "Resolved"), ("CLOSED", "Closed"),
               ("mine", "Mine (open)"), ("unassigned", "Unassigned (open)"))


def _form(form_data: Any, keys: tuple[str, ...], *, strip: bool = True) -> dict[str, str]:
    if not isinstance(form_data, Mapping):
        raise InvalidInput("The form could not be read. Reload the page and try again.")
    out: dict[str, str] = {}
    for key in keys:
        value = form_data.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput("The form could not be read: expected text.")
        out[key] = "" if value == ALL else (value.strip() if strip else value)
    return out


def _text_arg(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise InvalidInput("That id is not valid.")
    return value.strip()


class SupportState(AuthState):
    # inbox (one page of display strings)
    rows: list[dict[str, str]] = []
    counts: list[dict[str, str]] = []
    loading: bool = False
    error: str = ""
    page_number: int = 1
    has_next: bool = False
    _starts: list[str] = []
    _next_cursor: str = ""
    filters: dict[str, str] = dict(EMPTY_FILTERS)
    filter_error: str = ""
    filters_key: int = 0
    active_filters: int = 0

    # the open thread
    ticket_id: str = ""
    thread_loading: bool = False
    thread_error: str = ""
    ticket: dict[str, str] = {}
    customer: dict[str, str] = {}
    transactions: list[dict[str, str]] = []
    messages: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []
    viewers: list[str] = []
    can_reply: bool = False
    new_notice: str = ""
    agents: list[dict[str, str]] = []
    _seen_others: int = 0
    _fingerprint: str = ""

    # writing
    reply_draft: str = ""
    reply_key: int = 0
    note_key: int = 0
    reply_error: str = ""
    note_error: str = ""
    busy: bool = False

    # canned replies
    canned: list[dict[str, str]] = []
    canned_open: bool = False
    canned_form: dict[str, str] = {"id": "", "title": "", "body": ""}
    canned_key: int = 0
    canned_error: str = ""
    delete_open: bool = False
    delete_id: str = ""
    delete_title: str = ""

    # --- computed ------------------------------------------------------------------------------
    @rx.var
    def page_label(self) -> str:
        n = len(self.rows)
        if n == 0:
            return ""
        first = (self.page_number - 1) * PAGE_SIZE + 1
        return f"Tickets {first:,}–{first + n - 1:,}, latest activity first" + (
            " (filtered)" if self.active_filters else "")

    @rx.var
    def has_prev(self) -> bool:
        return self.page_number > 1

    @rx.var
    def viewers_label(self) -> str:
        if not self.viewers:
            return ""
        who = ", ".join(self.viewers[:3]) + (f" and {len(self.viewers) - 3} more" if len(self.viewers) > 3 else "")
        return f"{who} {'is' if len(self.viewers) == 1 else 'are'} viewing this ticket"

    # --- helpers -------------------------------------------------------------------------------
    async def _read(self, start: str) -> bool:
        try:
            page = await run_db(support_service.list_inbox, actor=current_actor(), filters=dict(self.filters),
                                after=start or None, limit=PAGE_SIZE)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.filter_error = str(exc)
            return False
        except Exception:
            log.exception("support: reading the inbox failed")
            self.rows = []
            self.error = LOAD_ERROR
            self.has_next = False
            return False
        finally:
            self.loading = False
        self.error = ""
        self.rows = page.rows
        self._next_cursor = page.next_cursor or ""
        self.has_next = page.next_cursor is not None
        self.counts = [{"key": k, "label": text, "count": f"{page.counts.get(k, 0):,}"} for k, text in COUNT_CARDS]
        return True

    def _clear_thread(self) -> None:
        self.ticket_id = ""
        self.thread_error = self.new_notice = ""
        self.ticket, self.customer = {}, {}
        self.transactions, self.messages, self.notes, self.viewers = [], [], [], []
        self.can_reply = False
        self._seen_others, self._fingerprint = 0, ""
        self.reply_error = self.note_error = ""
        self.reply_draft = ""
        self.reply_key += 1
        self.note_key += 1

    def _show(self, view: support_service.ThreadView) -> None:
        self.ticket_id = view.ticket["id"]
        self.thread_error = ""
        self.ticket = view.ticket
        self.customer = view.customer
        self.transactions = view.transactions
        self.messages = view.messages
        self.notes = view.notes
        self.viewers = view.viewers
        self.can_reply = view.can_reply
        self._seen_others = view.seen_others
        self._fingerprint = view.fingerprint
        known = {a["id"] for a in self.agents}
        if view.ticket["assignee_id"] and view.ticket["assignee_id"] not in known:
            self.agents = [*self.agents, {"id": view.ticket["assignee_id"], "email": view.ticket["assignee"]}]

    async def _load_thread(self, ticket_id: Any) -> bool:
        try:
            view = await run_db(support_service.open_thread, actor=current_actor(), ticket_id=ticket_id)
            if not self.agents:
                self.agents = await run_db(support_service.agents, actor=current_actor())
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self._clear_thread()
            self.thread_error = str(exc)
            return False
        except Exception:
            log.exception("support: opening a ticket failed")
            self._clear_thread()
            self.thread_error = THREAD_ERROR
            return False
        finally:
            self.thread_loading = False
        self._show(view)
        return True

    async def _load_canned(self) -> None:
        try:
            self.canned = await run_db(canned_service.list_replies, actor=current_actor())
        except NotAuthenticated:
            raise
        except Exception:
            log.exception("support: reading canned replies failed")
            self.canned = []

    async def _write(self, fn: Any, **kwargs: Any) -> str:
        """Run one write service; "" on success, else the message to show (nothing was written)."""
        self.busy = True
        try:
            await run_db(fn, actor=current_actor(), **kwargs)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            return str(exc)
        except Exception:
            log.exception("support: a write failed")
            return SAVE_ERROR
        finally:
            self.busy = False
        return ""

    # --- page load, inbox ----------------------------------------------------------------------
    @guarded(Perm.SUPPORT_VIEW, opens_page=True)
    async def load_support(self):
        """Page load: the first inbox page; ``?ticket=<id>`` also opens that ticket."""
        wanted = self.router.url.query_parameters.get("ticket", "")
        self._clear_thread()
        self.loading = True
        keyset.reset(self)
        self.thread_loading = bool(wanted)
        yield
        await self._load_canned()
        if wanted:
            await self._load_thread(wanted if isinstance(wanted, str) else "")
        await self._read("")

    @guarded(Perm.SUPPORT_VIEW)
    async def apply_filters(self, form_data: Any):
        try:
            wanted = _form(form_data, support_service.FILTER_KEYS)
            parsed = support_service.parse_filters(wanted)
        except InvalidInput as exc:
            self.filter_error = str(exc)
            return
        previous = dict(self.filters)
        self.filters = wanted
        self.active_filters = parsed.active()
        self.filter_error = ""
        keyset.reset(self)
        self.loading = True
        yield
        if not await self._read(""):
            self.filters = previous
            self.active_filters = support_service.parse_filters(previous).active()

    @guarded(Perm.SUPPORT_VIEW)
    async def quick_filter(self, key: Any):
        """A count card: filter the inbox by that status, or "mine" / "unassigned"."""
        if key in ("mine", "unassigned"):
            wanted = {**EMPTY_FILTERS, "view": key}
        elif key in support_service.STATUSES:
            wanted = {**EMPTY_FILTERS, "status": key}
        else:
            yield rx.toast.error("That is not an inbox view.")
            return
        self.filters = wanted
        self.active_filters = support_service.parse_filters(wanted).active()
        self.filter_error = ""
        self.filters_key += 1
        keyset.reset(self)
        self.loading = True
        yield
        await self._read("")

    @guarded(Perm.SUPPORT_VIEW)
    async def clear_filters(self):
        self.filters = dict(EMPTY_FILTERS)
        self.active_filters = 0
        self.filter_error = ""
        self.filters_key += 1
        keyset.reset(self)
        self.loading = True
        yield
        await self._read("")

    @guarded(Perm.SUPPORT_VIEW)
    async def next_page(self):
        async for event in keyset.next_page(self):
            yield event

    @guarded(Perm.SUPPORT_VIEW)
    async def prev_page(self):
        async for event in keyset.prev_page(self):
            yield event

    @guarded(Perm.SUPPORT_VIEW)
    async def first_page(self):
        async for event in keyset.first_page(self):
            yield event

    # --- the thread ----------------------------------------------------------------------------
    @guarded(Perm.SUPPORT_VIEW)
    async def open_ticket(self, ticket_id: Any):
        try:
            wanted = _text_arg(ticket_id)
            support_service.parse_id(wanted)
        except InvalidInput as exc:
            yield rx.toast.error(str(exc))
            return
        self._clear_thread()
        self.thread_loading = True
        yield
        if not await self._load_thread(wanted):
            yield rx.toast.error(self.thread_error)

    @guarded(Perm.SUPPORT_VIEW)
    async def back_to_inbox(self):
        leaving = self.ticket_id
        self._clear_thread()
        self.loading = True
        yield
        if leaving:
            try:
                await run_db(support_service.leave, actor=current_actor(), ticket_id=leaving)
            except NotAuthenticated:
                raise
            except Exception:
                log.exception("support: clearing presence failed")
        await self._read(keyset.current_start(self))

    @guarded(Perm.SUPPORT_VIEW)
    async def poll_thread(self, _tick: Any = None):
        """Every few seconds while a thread is open (the hidden timer): renew presence, and reload the
        thread when it changed (new messages, another agent's change)."""
        if not self.ticket_id:
            return
        try:
            result = await run_db(support_service.poll, actor=current_actor(), ticket_id=self.ticket_id,
                                  fingerprint=self._fingerprint, seen_others=self._seen_others)
        except NotAuthenticated:
            raise
        except NotFound:
            self._clear_thread()
            self.thread_error = "This ticket no longer exists."
            return
        except Exception:
            log.exception("support: polling a thread failed")
            return
        self.viewers = result.viewers
        if not result.changed:
            return
        fresh = result.new_from_others
        if await self._load_thread(self.ticket_id) and fresh:
            self.new_notice = f"{fresh} new message{'s' if fresh != 1 else ''} since you opened this ticket."
            yield rx.toast.info(self.new_notice)

    @guarded(Perm.SUPPORT_REPLY)
    async def send_reply(self, form_data: Any):
        """The reply form (``body``): refused, with the draft kept, when the thread moved on."""
        try:
            body = _form(form_data, ("body",), strip=False)["body"]
        except InvalidInput as exc:
            self.reply_error = str(exc)
            return
        if not self.ticket_id:
            self.reply_error = "Open a ticket first."
            return
        self.reply_draft = body
        message = await self._write(support_service.reply, ticket_id=self.ticket_id, body=body,
                                    seen_others=self._seen_others, internal=False)
        if message:
            self.reply_error = message
            if "new message" in message:
                await self._load_thread(self.ticket_id)
                self.new_notice = message
            return
        self.reply_error = self.new_notice = ""
        self.reply_draft = ""
        self.reply_key += 1
        await self._load_thread(self.ticket_id)
        yield rx.toast.success("Reply sent. The customer is notified.")

    @guarded(Perm.SUPPORT_REPLY)
    async def add_note(self, form_data: Any):
        """The internal-note form (``note``): stored apart, never shown to the customer."""
        try:
            body = _form(form_data, ("note",), strip=False)["note"]
        except InvalidInput as exc:
            self.note_error = str(exc)
            return
        if not self.ticket_id:
            self.note_error = "Open a ticket first."
            return
        message = await self._write(support_service.reply, ticket_id=self.ticket_id, body=body,
                                    seen_others=self._seen_others, internal=True)
        if message:
            self.note_error = message
            return
        self.note_error = ""
        self.note_key += 1
        await self._load_thread(self.ticket_id)
        yield rx.toast.success("Internal note added.")

    async def _change(self, field_name: str, value: Any):
        if not self.ticket_id:
            yield rx.toast.error("Open a ticket first.")
            return
        if not isinstance(value, str) or len(value) > 64:
            yield rx.toast.error(f"That {field_name} is not valid.")
            return
        key = {"assignee": "assignee_id"}.get(field_name, field_name)
        expected = self.ticket.get(key, "")
        message = await self._write(support_service.change, ticket_id=self.ticket_id, field_name=field_name,
                                    value=value, expected=expected)
        await self._load_thread(self.ticket_id)
        if message:
            yield rx.toast.error(message)
            return
        yield rx.toast.success(f"Ticket {self.ticket.get('number', '')}: {field_name} updated.")

    @guarded(Perm.SUPPORT_REPLY)
    async def change_status(self, value: Any):
        async for event in self._change("status", value):
            yield event

    @guarded(Perm.SUPPORT_REPLY)
    async def change_priority(self, value: Any):
        async for event in self._change("priority", value):
            yield event

    @guarded(Perm.SUPPORT_REPLY)
    async def change_category(self, value: Any):
        async for event in self._change("category", value):
            yield event

    @guarded(Perm.SUPPORT_REPLY)
    async def change_assignee(self, value: Any):
        async for event in self._change("assignee", value):
            yield event

    # --- canned replies ------------------------------------------------------------------------
    @guarded(Perm.SUPPORT_REPLY)
    async def use_canned(self, reply_id: Any):
        """Put a canned reply (for this customer) into the reply box; the agent can still edit it."""
        try:
            wanted = _text_arg(reply_id)
        except InvalidInput as exc:
            yield rx.toast.error(str(exc))
            return
        await self._load_canned()
        match = next((c for c in self.canned if c["id"] == wanted), None)
        if match is None:
            yield rx.toast.error("That canned reply no longer exists.")
            return
        self.reply_draft = canned_service.render(match["body"], first_name=self.customer.get("first_name", ""))
        self.reply_key += 1
        self.reply_error = ""

    @guarded(Perm.SUPPORT_VIEW)
    async def set_canned_open(self, value: Any):
        self.canned_open = value is True
        self.canned_error = ""
        if self.canned_open:
            await self._load_canned()

    @guarded(Perm.SUPPORT_REPLY)
    async def new_canned(self):
        self.canned_form = {"id": "", "title": "", "body": ""}
        self.canned_key += 1
        self.canned_error = ""

    @guarded(Perm.SUPPORT_REPLY)
    async def edit_canned(self, reply_id: Any):
        try:
            wanted = _text_arg(reply_id)
        except InvalidInput as exc:
            yield rx.toast.error(str(exc))
            return
        match = next((c for c in self.canned if c["id"] == wanted), None)
        if match is None:
            yield rx.toast.error("That canned reply no longer exists.")
            return
        self.canned_form = {"id": match["id"], "title": match["title"], "body": match["body"]}
        self.canned_key += 1
        self.canned_error = ""

    @guarded(Perm.SUPPORT_REPLY)
    async def save_canned(self, form_data: Any):
        """Create (no ``id``) or edit a canned reply: ``title`` and ``body``."""
        try:
            form = _form(form_data, ("id", "title", "body"))
        except InvalidInput as exc:
            self.canned_error = str(exc)
            return
        if form["id"]:
            message = await self._write(canned_service.update, reply_id=form["id"], title=form["title"],
                                        body=form["body"])
        else:
            message = await self._write(canned_service.create, title=form["title"], body=form["body"])
        if message:
            self.canned_error = message
            return
        self.canned_error = ""
        self.canned_form = {"id": "", "title": "", "body": ""}
        self.canned_key += 1
        await self._load_canned()
        yield rx.toast.success("Canned reply saved.")

    @guarded(Perm.SUPPORT_REPLY)
    async def ask_delete_canned(self, reply_id: Any):
        try:
            wanted = _text_arg(reply_id)
        except InvalidInput as exc:
            yield rx.toast.error(str(exc))
            return
        match = next((c for c in self.canned if c["id"] == wanted), None)
        if match is None:
            yield rx.toast.error("That canned reply no longer exists.")
            return
        self.delete_id, self.delete_title = match["id"], match["title"]
        self.canned_error = ""
        self.delete_open = True

    @guarded(Perm.SUPPORT_REPLY)
    async def set_delete_open(self, value: Any):
        if value is False:
            self.delete_open = False

    @guarded(Perm.SUPPORT_REPLY)
    async def confirm_delete_canned(self):
        if not self.delete_id:
            self.delete_open = False
            return
        message = await self._write(canned_service.delete, reply_id=self.delete_id)
        self.delete_open = False
        self.delete_id = self.delete_title = ""
        await self._load_canned()
        if message:
            yield rx.toast.error(message)
            return
        yield rx.toast.success("Canned reply deleted.")


# --- page -----------------------------------------------------------------------------------------
S = SupportState


def _select(name: str, label_text: str, items: list[tuple[str, str]], width: str = "10rem",
            all_text: str = "All") -> rx.Component:
    control_id = f"support-filter-{name}"
    return labelled(
        label_text,
        rx.select.root(
            rx.select.trigger(width=width, id=control_id),
            rx.select.content(rx.select.item(all_text, value=ALL), *[rx.select.item(t, value=v) for v, t in items]),
            name=name,
            default_value=rx.cond(S.filters[name] != "", S.filters[name], ALL),
        ),
        html_for=control_id,
    )


def _filters() -> rx.Component:
    return rx.form(
        filter_bar(
            labelled("Search", rx.input(name="search", default_value=S.filters["search"], type="search",
                                        placeholder="Subject or customer email", width="16rem",
                                        max_length=support_service.MAX_SEARCH, id="support-filter-search"),
                     html_for="support-filter-search"),
            _select("view", "Show", [("mine", "Assigned to me"), ("unassigned", "Unassigned")], "10rem",
                    "All agents"),
            _select("status", "Status", [(s, label(s)) for s in support_service.STATUSES] + [("ALL", "Any status")],
                    "11rem", "Open + in progress"),
            _select("priority", "Priority", [(p, label(p)) for p in support_service.PRIORITIES], "8rem"),
            _select("category", "Category", [(c, label(c)) for c in support_service.CATEGORIES] +
                    [("NONE", "No category")], "9rem"),
            rx.hstack(
                rx.button(rx.icon("filter", size=14), "Apply", type="submit", loading=S.loading,
                          custom_attrs={"data-testid": "support-apply"}),
                rx.button("Clear", type="button", on_click=S.clear_filters, variant="soft", color_scheme="gray"),
                spacing="2",
            ),
            test_id="support-filters",
        ),
        rx.cond(S.filter_error != "",
                rx.callout.root(rx.callout.icon(rx.icon("triangle_alert")), rx.callout.text(S.filter_error),
                                color_scheme="red", variant="surface", size="1", role="alert", margin_bottom="1rem",
                                custom_attrs={"data-testid": "support-filter-error"})),
        on_submit=S.apply_filters,
        reset_on_submit=False,
        no_validate=True,
        key=S.filters_key.to_string(),
        custom_attrs={"aria-label": "Inbox filters"},
    )


def _count_card(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(item["label"], size="1", color="var(--gray-11)"),
            rx.text(item["count"], size="5", weight="bold"),
            spacing="0",
        ),
        as_child=False,
        size="1",
        min_width="9rem",
        cursor="pointer",
        on_click=S.quick_filter(item["key"]),
        _hover={"background_color": "var(--gray-a2)"},
        custom_attrs={"data-testid": "support-count-" + item["key"], "role": "button",
                      "aria-label": "Show " + item["label"]},
    )


def _inbox_row(row: rx.Var) -> rx.Component:
    unread = row["unread"] == "yes"
    return rx.table.row(
        rx.table.cell(
            rx.hstack(
                rx.cond(unread, rx.box(width="8px", height="8px", border_radius="50%", background="var(--accent-9)",
                                       flex_shrink="0", title="Unread customer message",
                                       custom_attrs={"data-testid": "support-unread"}),
                        rx.box(width="8px", flex_shrink="0")),
                rx.vstack(
                    rx.button(row["number"] + " · " + row["subject"], on_click=S.open_ticket(row["id"]),
                              variant="ghost", size="2", font_weight=rx.cond(unread, "700", "400"),
                              text_align="left", justify="start", height="auto", white_space="normal",
                              custom_attrs={"data-testid": "support-open"}),
                    rx.text(row["customer"], " · ", row["customer_email"], size="1", color="var(--gray-11)"),
                    spacing="0", align="start",
                ),
                align="center", spacing="2",
            )
        ),
        rx.table.cell(status_badge(row["status_label"], STATUS_COLOURS)),
        rx.table.cell(status_badge(row["priority_label"], PRIORITY_COLOURS)),
        rx.table.cell(rx.text(row["category"], size="2")),
        rx.table.cell(rx.cond(row["assignee"] != "", rx.text(row["assignee"], size="1"),
                              rx.text("Unassigned", size="1", color="var(--gray-10)"))),
        rx.table.cell(rx.text(row["last_reply"], size="2", white_space="nowrap"),
                      rx.text(row["age"], " old", size="1", color="var(--gray-11)")),
        rx.table.cell(rx.badge(row["sla_label"], variant="soft", radius="full",
                               color_scheme=rx.match(row["sla_state"], *SLA_COLOURS.items(), "gray"),
                               custom_attrs={"data-testid": "support-sla"})),
        custom_attrs={"data-testid": "support-row", "data-ticket": row["id"], "data-unread": row["unread"]},
    )


def _inbox() -> rx.Component:
    return rx.fragment(
        rx.flex(rx.foreach(S.counts, _count_card), gap="3", wrap="wrap", margin_bottom="1rem"),
        _filters(),
        data_table(
            ["Ticket", ("Status", "8rem"), ("Priority", "6rem"), ("Category", "7rem"), ("Assignee", "11rem"),
             ("Last reply", "9rem"), ("First response", "9rem")],
            S.rows,
            _inbox_row,
            loading=S.loading,
            is_empty=S.rows.length() == 0,
            empty=rx.cond(
                S.active_filters > 0,
                empty_state("No tickets match", "Change or clear the filters.", "search_x"),
                empty_state("The inbox is empty", "New customer tickets appear here.", "inbox"),
            ),
            caption="Support tickets, latest activity first",
            test_id="support-table",
        ),
        pager(label=S.page_label, has_prev=S.has_prev, has_next=S.has_next, on_prev=S.prev_page,
              on_next=S.next_page, loading=S.loading,
              extra=rx.cond(S.page_number > 1, rx.button("First page", on_click=S.first_page, variant="soft",
                                                         color_scheme="gray", size="2")),
              test_id="support-pager"),
    )


# --- thread ---------------------------------------------------------------------------------------
def _fact(name: str, value: Any) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(name, min_width="7rem"),
                             rx.data_list.value(value if isinstance(value, rx.Component) else
                                                rx.text(value, size="2", word_break="break-word")))


def _customer_card() -> rx.Component:
    c = S.customer
    return rx.card(
        rx.heading("Customer", size="3", margin_bottom="0.5rem"),
        rx.data_list.root(
            _fact("Name", c["name"]), _fact("Email", c["email"]),
            _fact("KYC status", status_badge(c["kyc_label"], KYC_COLOURS)),
            _fact("Account type", c["account_type"]), _fact("Platform", c["platform"]),
            _fact("Country", c["country"]), _fact("Customer since", c["since"]),
            size="1",
        ),
        rx.heading("Recent transactions", size="2", margin_top="0.75rem", margin_bottom="0.25rem"),
        rx.cond(
            S.transactions.length() > 0,
            rx.vstack(rx.foreach(S.transactions, lambda t: rx.hstack(
                rx.text(t["when"], size="1", color="var(--gray-11)", white_space="nowrap"),
                rx.text(t["type"], size="1"),
                rx.text(t["amount"], size="1", weight="medium"),
                rx.badge(t["status"], size="1", variant="soft", color_scheme="gray"),
                spacing="2", wrap="wrap", custom_attrs={"data-testid": "support-transaction"},
            )), spacing="1"),
            rx.text("No transactions.", size="1", color="var(--gray-11)"),
        ),
        size="2",
        width="100%",
        custom_attrs={"data-testid": "support-customer"},
    )


def _message(msg: rx.Var) -> rx.Component:
    staff = msg["side"] == "staff"
    return rx.box(
        rx.hstack(
            rx.text(msg["sender"], size="1", weight="bold"),
            rx.text(msg["role"], size="1", color="var(--gray-11)"),
            rx.text(msg["when"], size="1", color="var(--gray-10)"),
            spacing="2", wrap="wrap",
        ),
        # Plain text only: customer messages are never interpreted as HTML or markdown.
        rx.text(msg["text"], size="2", white_space="pre-wrap", word_break="break-word", margin_top="0.25rem",
                custom_attrs={"data-testid": "support-message-text"}),
        rx.cond(msg["attachment_url"] != "",
                rx.link(rx.hstack(rx.icon("paperclip", size=13), rx.text(msg["attachment"], " (",
                                                                          msg["attachment_size"], ")", size="1")),
                        href=msg["attachment_url"], is_external=True, margin_top="0.25rem",
                        custom_attrs={"data-testid": "support-attachment"})),
        background=rx.cond(staff, "var(--accent-a3)", "var(--gray-a3)"),
        border_radius="8px",
        padding="0.6rem 0.8rem",
        max_width="85%",
        align_self=rx.cond(staff, "flex-end", "flex-start"),
        custom_attrs={"data-testid": "support-message", "data-side": msg["side"]},
    )


def _note(msg: rx.Var) -> rx.Component:
    return rx.box(
        rx.hstack(rx.text(msg["sender"], size="1", weight="bold"), rx.text(msg["when"], size="1",
                                                                             color="var(--gray-10)"), spacing="2"),
        rx.text(msg["text"], size="2", white_space="pre-wrap", word_break="break-word"),
        background="var(--amber-a3)", border_radius="6px", padding="0.5rem 0.7rem", width="100%",
        custom_attrs={"data-testid": "support-note"},
    )


def _control(name: str, value: rx.Var, items: list[tuple[str, str]], on_change: Any, width: str = "9rem",
             agents: bool = False) -> rx.Component:
    control_id = f"support-{name}"
    content = (rx.select.content(rx.select.item("Unassigned", value="NONE"),
                                 rx.foreach(S.agents, lambda a: rx.select.item(a["email"], value=a["id"])))
               if agents else rx.select.content(*[rx.select.item(t, value=v) for v, t in items]))
    return labelled(
        name.title(),
        rx.select.root(rx.select.trigger(width=width, id=control_id), content,
                       value=rx.cond(value != "", value, "NONE"), on_change=on_change,
                       disabled=~S.can_reply | S.busy),
        html_for=control_id,
    )


def _ticket_header() -> rx.Component:
    t = S.ticket
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t["number"], " · ", t["subject"], size="4"),
                status_badge(t["status_label"], STATUS_COLOURS),
                status_badge(t["priority_label"], PRIORITY_COLOURS),
                rx.badge(t["sla_label"], " (target ", t["target"], ")", variant="soft", radius="full",
                         color_scheme=rx.match(t["sla_state"], *SLA_COLOURS.items(), "gray")),
                spacing="2", align="center", wrap="wrap",
            ),
            rx.text("Opened ", t["created"], " · last reply ", t["last_reply"], " · first response ",
                    t["first_response"], rx.cond(t["closed"] != "", " · closed " + t["closed"], ""),
                    size="1", color="var(--gray-11)"),
            rx.cond(S.viewers_label != "",
                    rx.callout.root(rx.callout.icon(rx.icon("eye")), rx.callout.text(S.viewers_label),
                                    color_scheme="amber", variant="surface", size="1",
                                    custom_attrs={"data-testid": "support-viewers"})),
            rx.flex(
                _control("status", t["status"], [(s, label(s)) for s in support_service.STATUSES], S.change_status),
                _control("priority", t["priority"], [(p, label(p)) for p in support_service.PRIORITIES],
                         S.change_priority, "8rem"),
                _control("category", t["category"], [(c, label(c)) for c in support_service.CATEGORIES] +
                         [("NONE", "No category")], S.change_category),
                _control("assignee", t["assignee_id"], [], S.change_assignee, "15rem", agents=True),
                gap="3", wrap="wrap",
            ),
            spacing="2",
            width="100%",
        ),
        size="2",
        custom_attrs={"data-testid": "support-ticket-header", "data-status": t["status"]},
    )


def _error(var: rx.Var, test_id: str) -> rx.Component:
    return rx.cond(var != "", rx.callout.root(rx.callout.icon(rx.icon("triangle_alert")), rx.callout.text(var),
                                              color_scheme="red", variant="surface", size="1", role="alert",
                                              width="100%", custom_attrs={"data-testid": test_id}))


def _canned_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(rx.button(rx.icon("message_square_text", size=14), "Canned reply", type="button",
                                  variant="soft", color_scheme="gray", custom_attrs={"data-testid": "support-canned"})),
        rx.menu.content(
            rx.cond(S.canned.length() == 0, rx.menu.item("No canned replies yet", disabled=True)),
            rx.foreach(S.canned, lambda c: rx.menu.item(c["title"], on_select=S.use_canned(c["id"]),
                                                        custom_attrs={"data-testid": "support-canned-item"})),
            rx.menu.separator(),
            rx.menu.item("Manage canned replies…", on_select=S.set_canned_open(True)),
        ),
    )


def _reply_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label(rx.text("Reply to the customer", size="2", weight="medium"), html_for="support-reply"),
            rx.text_area(name="body", id="support-reply", default_value=S.reply_draft, key=S.reply_key.to_string(),
                         rows="5", width="100%", max_length=support_service.MAX_MESSAGE + 1000,
                         placeholder="Write a reply the customer will see…"),
            _error(S.reply_error, "support-reply-error"),
            rx.hstack(
                _canned_menu(),
                rx.button(rx.icon("send", size=14), "Send reply", type="submit", loading=S.busy,
                          custom_attrs={"data-testid": "support-send"}),
                justify="end", width="100%", spacing="2",
            ),
            spacing="2", width="100%",
        ),
        on_submit=S.send_reply,
        reset_on_submit=False,
        width="100%",
    )


def _conversation() -> rx.Component:
    return rx.card(
        rx.heading("Conversation", size="3", margin_bottom="0.5rem"),
        rx.cond(S.new_notice != "",
                rx.callout.root(rx.callout.icon(rx.icon("bell")), rx.callout.text(S.new_notice), color_scheme="blue",
                                variant="surface", size="1", margin_bottom="0.5rem",
                                custom_attrs={"data-testid": "support-new-notice"})),
        rx.vstack(rx.foreach(S.messages, _message), spacing="2", width="100%", align="stretch",
                  custom_attrs={"data-testid": "support-messages"}),
        rx.cond(S.can_reply, rx.box(rx.separator(margin_y="0.75rem"), _reply_form(), width="100%"),
                rx.text("You can read this ticket; replying needs a support agent.", size="1",
                        color="var(--gray-11)", margin_top="0.75rem")),
        size="2",
        width="100%",
    )


def _notes_card() -> rx.Component:
    return rx.card(
        rx.hstack(rx.icon("lock", size=14), rx.heading("Internal notes", size="3"), align="center", spacing="2"),
        rx.text("Staff only: never shown to the customer.", size="1", color="var(--gray-11)", margin_bottom="0.5rem"),
        rx.vstack(rx.foreach(S.notes, _note), spacing="2", width="100%",
                  custom_attrs={"data-testid": "support-notes"}),
        rx.cond(
            S.can_reply,
            rx.form(
                rx.vstack(
                    rx.text_area(name="note", id="support-note", key=S.note_key.to_string(), rows="3", width="100%",
                                 placeholder="Add an internal note…", max_length=support_service.MAX_MESSAGE + 1000,
                                 custom_attrs={"aria-label": "Internal note"}),
                    _error(S.note_error, "support-note-error"),
                    rx.button(rx.icon("sticky_note", size=14), "Add note", type="submit", variant="soft",
                              color_scheme="amber", loading=S.busy, custom_attrs={"data-testid": "support-add-note"}),
                    spacing="2", width="100%", align="end",
                ),
                on_submit=S.add_note, reset_on_submit=False, width="100%", margin_top="0.5rem",
            ),
        ),
        size="2",
        width="100%",
        custom_attrs={"data-testid": "support-notes-card"},
    )


def _canned_row(c: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.text(c["title"], size="2", weight="medium"), rx.text(c["preview"], size="1",
                                                                          color="var(--gray-11)"), spacing="0"),
        rx.spacer(),
        rx.button("Edit", size="1", variant="soft", type="button", on_click=S.edit_canned(c["id"])),
        rx.button("Delete", size="1", variant="soft", color_scheme="red", type="button",
                  on_click=S.ask_delete_canned(c["id"])),
        width="100%", align="center", custom_attrs={"data-testid": "support-canned-row"},
    )


def _canned_dialog() -> rx.Component:
    f = S.canned_form
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Canned replies"),
            rx.dialog.description("Standard answers for every agent. {first_name} becomes the customer's first name.",
                                  size="2", margin_bottom="0.75rem"),
            rx.vstack(rx.foreach(S.canned, _canned_row), spacing="2", width="100%", max_height="14rem",
                      overflow_y="auto"),
            rx.separator(margin_y="0.75rem"),
            rx.form(
                rx.vstack(
                    rx.hstack(rx.text(rx.cond(f["id"] != "", "Edit canned reply", "New canned reply"), weight="bold",
                                      size="2"),
                              rx.cond(f["id"] != "", rx.button("New instead", size="1", variant="ghost", type="button",
                                                               on_click=S.new_canned)),
                              justify="between", width="100%"),
                    rx.el.input(type="hidden", name="id", value=f["id"], read_only=True),
                    rx.input(name="title", default_value=f["title"], placeholder="Title", width="100%",
                             max_length=canned_service.MAX_TITLE, id="support-canned-title",
                             custom_attrs={"aria-label": "Title"}),
                    rx.text_area(name="body", default_value=f["body"], placeholder="Text", rows="4", width="100%",
                                 id="support-canned-body", custom_attrs={"aria-label": "Text"}),
                    _error(S.canned_error, "support-canned-error"),
                    rx.flex(
                        rx.dialog.close(rx.button("Close", type="button", variant="soft", color_scheme="gray")),
                        rx.button("Save", type="submit", loading=S.busy,
                                  custom_attrs={"data-testid": "support-canned-save"}),
                        gap="3", justify="end", width="100%",
                    ),
                    spacing="2", width="100%",
                ),
                on_submit=S.save_canned, reset_on_submit=False, key=S.canned_key.to_string(),
            ),
            max_width="36rem",
            custom_attrs={"data-testid": "support-canned-dialog"},
        ),
        open=S.canned_open,
        on_open_change=S.set_canned_open,
    )


def _thread() -> rx.Component:
    return rx.vstack(
        rx.box(rx.button(rx.icon("arrow_left", size=14), "Back to the inbox", on_click=S.back_to_inbox,
                         variant="ghost", custom_attrs={"data-testid": "support-back"})),
        _ticket_header(),
        rx.grid(
            _conversation(),
            rx.vstack(_customer_card(), _notes_card(), spacing="3", width="100%"),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="3",
            width="100%",
        ),
        # The poll: a hidden timer that only exists while a thread is shown (unmounted on leaving it or
        # the page), calling the guarded ``poll_thread`` every few seconds.
        rx.moment(interval=POLL_MS, format="HH:mm:ss", on_change=S.poll_thread, display="none"),
        _canned_dialog(),
        confirm_dialog(
            open=S.delete_open,
            on_open_change=S.set_delete_open,
            title="Delete this canned reply?",
            description=rx.text("“", S.delete_title, "” is removed for every agent.", size="2"),
            confirm_label="Delete",
            on_confirm=S.confirm_delete_canned,
            busy=S.busy,
            test_id="support-delete-dialog",
        ),
        spacing="3",
        width="100%",
        align="stretch",
        custom_attrs={"data-testid": "support-thread"},
    )


def support_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary),
        rx.cond(S.error != "", error_callout(S.error)),
        rx.cond(S.thread_error != "", error_callout(S.thread_error)),
        rx.cond(
            S.ticket_id != "",
            _thread(),
            rx.cond(S.thread_loading, rx.center(rx.spinner(size="3"), padding="3rem"), _inbox()),
        ),
        active=SCREEN.route,
    )
