"""The support inbox's state (``/support``, issue 7): the inbox list, the open thread, replies, notes,
ticket changes and canned replies.

The inbox is the shared list mechanism (``ListState``): filters (also in the URL), keyset pages of 50,
``?ticket=<id>`` opens a thread (``open_item`` / ``close_item``). Counts per status and for "mine" /
"unassigned" come with each page; clicking one filters the inbox (``quick_filter``). While a thread is
open a hidden timer calls ``poll_thread``: new messages appear, and "X is viewing" shows other agents.

Every handler is guarded; arguments are untrusted and parsed by ``ui.forms`` and the queries/actions.
Only display strings go to the browser; cursors and the reply guard's counters stay in backend-only vars.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import reflex as rx

from dashboard.core.errors import InvalidInput
from dashboard.core.listing import Page
from dashboard.core.permissions import Perm
from dashboard.db import run_db
from dashboard.support import actions, queries, rules
from dashboard.support.thread import ThreadView
from dashboard.ui import screens
from dashboard.ui.auth_state import SCREEN, AuthState, current_actor, guarded
from dashboard.ui.dialog_state import DialogState
from dashboard.ui.forms import choice_arg, form_fields, id_arg
from dashboard.ui.list_state import ListSpec, ListState
from dashboard.ui.screens import Screen

SAVE_ERROR = "The change could not be saved (database error). Nothing was changed; try again."
MAX_FORM = 100_000  # a form field longer than this is refused as such; the actions give the precise limits
COUNT_CARDS = (("OPEN", "Open"), ("IN_PROGRESS", "In progress"), ("RESOLVED", "Resolved"), ("CLOSED", "Closed"),
               ("mine", "Mine (open)"), ("unassigned", "Unassigned (open)"))
NO_CANNED = {"id": "", "title": "", "body": ""}


class SupportState(ListState, DialogState, AuthState):
    screen: ClassVar[Screen] = screens.SUPPORT_SCREEN
    # "canned": the canned replies (its form new, or editing the target); "delete_canned": the confirmation
    # over it. Only agents manage them (the menu that opens them is in the reply form).
    dialogs: ClassVar[tuple[str, ...]] = ("canned", "delete_canned")
    dialog_perm: ClassVar[str] = Perm.SUPPORT_REPLY
    spec: ClassVar[ListSpec] = ListSpec(filter_keys=rules.FILTER_KEYS, item_param="ticket", item_noun="Tickets",
                                        order_note=", latest activity first", page_size=rules.PAGE_SIZE)

    counts: list[dict[str, str]] = []

    # the open thread (``open_id`` is its ticket id)
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
    _quiet_error: str = ""  # a failed poll or presence drop: not shown (the next tick retries; presence expires)

    # writing
    reply_draft: str = ""
    reply_key: int = 0
    note_key: int = 0
    reply_error: str = ""
    note_error: str = ""

    # canned replies
    canned: list[dict[str, str]] = []
    canned_form: dict[str, str] = dict(NO_CANNED)
    canned_key: int = 0
    canned_error: str = ""
    delete_id: str = ""
    delete_title: str = ""

    @rx.var
    def canned_open(self) -> bool:
        return self.dialog != ""  # either dialog: the confirmation opens over the canned replies

    @rx.var
    def delete_open(self) -> bool:
        return self.dialog == "delete_canned"

    @rx.var
    def viewers_label(self) -> str:
        if not self.viewers:
            return ""
        who = ", ".join(self.viewers[:3]) + (f" and {len(self.viewers) - 3} more" if len(self.viewers) > 3 else "")
        return f"{who} {'is' if len(self.viewers) == 1 else 'are'} viewing this ticket"

    # --- the list mechanism's hooks ----------------------------------------------------------------
    async def _fetch(self, after: str | None) -> Page:
        return await run_db(queries.list_inbox, actor=current_actor(), filters=dict(self.filters), after=after,
                            limit=rules.PAGE_SIZE)

    def _count_filters(self, wanted: dict[str, str]) -> int:
        return rules.parse_filters(wanted).active()

    def _show_page(self, page: Page) -> None:
        counts = page.extra.get("counts", {})
        self.counts = [{"key": k, "label": text, "count": f"{counts.get(k, 0):,}"} for k, text in COUNT_CARDS]

    async def _load_item(self, item_id: str) -> None:
        self._show_thread(await run_db(queries.open_thread, actor=current_actor(), ticket_id=item_id))

    async def _closing_item(self, item_id: str) -> None:
        await self._run(actions.leave, into="_quiet_error", ticket_id=item_id)

    def _clear_item(self) -> None:
        self.new_notice = ""
        self.ticket, self.customer = {}, {}
        self.transactions, self.messages, self.notes, self.viewers = [], [], [], []
        self.can_reply = False
        self._seen_others, self._fingerprint = 0, ""
        self.reply_error = self.note_error = ""
        self.reply_draft = ""
        self.reply_key += 1
        self.note_key += 1

    # --- helpers -----------------------------------------------------------------------------------
    def _show_thread(self, view: ThreadView) -> None:
        self.ticket, self.customer = view.ticket, view.customer
        self.transactions, self.messages, self.notes = view.transactions, view.messages, view.notes
        self.viewers, self.can_reply, self.agents, self.canned = view.viewers, view.can_reply, view.agents, view.canned
        self._seen_others, self._fingerprint = view.seen_others, view.fingerprint

    def _form(self, form_data: Any, keys: tuple[str, ...], into: str) -> dict[str, str] | None:
        """The form's text fields, or None with the refusal shown next to the form (in ``into``)."""
        try:
            return form_fields(form_data, keys, max_length=MAX_FORM)
        except InvalidInput as exc:
            setattr(self, into, str(exc))
            return None

    def _thread_text(self, form_data: Any, key: str, into: str) -> str | None:
        """The text of a thread form (the reply, the note), or None with the refusal shown in ``into``."""
        form = self._form(form_data, (key,), into)
        if form is not None and not self.open_id:
            setattr(self, into, "Open a ticket first.")
            return None
        return None if form is None else form[key]

    async def _write(self, fn: Callable[..., Any], /, *, into: str = "", **kwargs: Any) -> bool:
        """Run one action; False (its message in ``into``, or raised to the toast) when nothing was written."""
        self.busy = True
        try:
            ok, _ = await self._run(fn, into=into, failure=SAVE_ERROR, **kwargs)
        finally:
            self.busy = False
        return ok

    async def _reload_canned(self) -> None:
        ok, rows = await self._run(queries.canned_replies, into="canned_error")
        if ok:
            self.canned = rows

    def _canned_row(self, reply_id: Any) -> dict[str, str]:
        wanted = id_arg(reply_id)
        match = next((c for c in self.canned if c["id"] == wanted), None)
        if match is None:
            raise InvalidInput(rules.CANNED_GONE)
        return match

    async def _prepare_dialog(self, which: str, target: Any) -> str:
        if which == "delete_canned":
            match = self._canned_row(target)
            self.delete_id, self.delete_title = match["id"], match["title"]
        else:
            if not self.dialog:  # opening: the list afresh
                await self._reload_canned()
            match = self._canned_row(target) if target != "" else NO_CANNED
            self.canned_form = {key: match[key] for key in NO_CANNED}
            self.canned_key += 1
        self.canned_error = ""
        return ""

    def _close_dialog(self) -> None:
        """Closing the delete confirmation goes back to the canned replies under it."""
        back = self.dialog == "delete_canned"
        super()._close_dialog()
        self.delete_id = self.delete_title = ""
        if back:
            self.dialog = "canned"
        else:
            self.canned_error = ""

    # --- the inbox -----------------------------------------------------------------------------------
    @guarded(SCREEN)
    async def quick_filter(self, key: Any):
        """A count card: filter the inbox by that status, or "mine" / "unassigned"."""
        async for event in self._filter_by(rules.quick_filter(key)):
            yield event

    # --- the thread ----------------------------------------------------------------------------------
    @guarded(SCREEN)
    async def poll_thread(self, _tick: Any = None):
        """Every few seconds while a thread is open (the hidden timer): renew presence, and reload the
        thread when it changed (new messages, another agent's change)."""
        if not self.open_id:
            return
        ok, result = await self._run(queries.poll, into="_quiet_error", ticket_id=self.open_id,
                                     fingerprint=self._fingerprint, seen_others=self._seen_others)
        if not ok:
            return
        if result.gone:
            self._forget_item()
            self.item_error = "This ticket no longer exists."
            yield self._sync_url()
            return
        self.viewers = result.viewers
        if not result.changed:
            return
        fresh = result.new_from_others
        if await self._show_item(self.open_id) and fresh:
            self.new_notice = f"{fresh} new message{'s' if fresh != 1 else ''} since you opened this ticket."
            yield rx.toast.info(self.new_notice)

    @guarded(Perm.SUPPORT_REPLY)
    async def send_reply(self, form_data: Any):
        """The reply form (``body``): refused, with the draft kept, when the thread moved on."""
        body = self._thread_text(form_data, "body", "reply_error")
        if body is None:
            return
        self.reply_draft = body
        if not await self._write(actions.reply, into="reply_error", ticket_id=self.open_id, body=body,
                                 seen_others=self._seen_others, internal=False):
            if rules.MOVED_ON in self.reply_error:  # show the new messages; the draft stays
                await self._show_item(self.open_id)
                self.new_notice = self.reply_error
            return
        self.reply_error = self.new_notice = ""
        self.reply_draft = ""
        self.reply_key += 1
        await self._show_item(self.open_id)
        yield rx.toast.success("Reply sent. The customer is notified.")

    @guarded(Perm.SUPPORT_REPLY)
    async def add_note(self, form_data: Any):
        """The internal-note form (``note``): stored apart, never shown to the customer."""
        note = self._thread_text(form_data, "note", "note_error")
        if note is None:
            return
        if not await self._write(actions.reply, into="note_error", ticket_id=self.open_id, body=note,
                                 seen_others=self._seen_others, internal=True):
            return
        self.note_error = ""
        self.note_key += 1
        await self._show_item(self.open_id)
        yield rx.toast.success("Internal note added.")

    @guarded(Perm.SUPPORT_REPLY)
    async def change_ticket(self, field_name: Any, value: Any):
        """A control of the ticket header (status, priority, category, assignee) changed: change it from
        the value the agent saw. The thread is re-read either way (a refusal shows what it holds now)."""
        field = choice_arg(field_name, tuple(rules.COLUMN), "ticket field")
        if not self.open_id:
            raise InvalidInput("Open a ticket first.")
        expected = self.ticket.get("assignee_id" if field == "assignee" else field, "")
        try:
            await self._write(actions.change, ticket_id=self.open_id, field_name=field, value=value,
                              expected=expected)
        finally:
            await self._show_item(self.open_id)
        yield rx.toast.success(f"Ticket {self.ticket.get('number', '')}: {field} updated.")

    # --- canned replies ------------------------------------------------------------------------------
    @guarded(Perm.SUPPORT_REPLY)
    async def use_canned(self, reply_id: Any):
        """Put a canned reply (for this customer) into the reply box; the agent can still edit it."""
        _, text = await self._run(queries.canned_draft, reply_id=id_arg(reply_id), ticket_id=self.open_id)
        self.reply_draft = text or ""
        self.reply_key += 1
        self.reply_error = ""

    @guarded(Perm.SUPPORT_REPLY)
    async def save_canned(self, form_data: Any):
        """Create (no ``id``) or edit a canned reply: ``title`` and ``body``."""
        form = self._form(form_data, ("id", "title", "body"), "canned_error")
        if form is None:
            return
        if form["id"]:
            saved = await self._write(actions.update_canned, into="canned_error", reply_id=form["id"],
                                      title=form["title"], body=form["body"])
        else:
            saved = await self._write(actions.create_canned, into="canned_error", title=form["title"],
                                      body=form["body"])
        if not saved:
            return
        self.canned_error = ""
        self.canned_form = dict(NO_CANNED)
        self.canned_key += 1
        await self._reload_canned()
        yield rx.toast.success("Canned reply saved.")

    @guarded(Perm.SUPPORT_REPLY)
    async def confirm_delete_canned(self):
        reply_id = self.delete_id
        self.delete_id = self.delete_title = ""
        if self.dialog == "delete_canned":
            self._close_dialog()
        if not reply_id:
            return
        try:
            await self._write(actions.delete_canned, reply_id=reply_id)
        finally:
            await self._reload_canned()
        yield rx.toast.success("Canned reply deleted.")
