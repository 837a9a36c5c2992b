"""The transaction queues' page state (``/transactions``): one ``ListState`` over three queues (the
``tab``), the selection and bulk decisions, the detail panel's decisions and note, the CSV export.

``/transactions?tab=crypto&item=<uuid>`` opens a tab and an item (the URL is kept in step). Viewing
needs ``transactions.view``; deciding ``transactions.approve``; exporting ``transactions.export``.
Every handler parses its arguments and calls one query or action; the services check everything
again. The browser gets one page of display strings; cursors stay in backend-only vars.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import reflex as rx

from dashboard.core import downloads, storage
from dashboard.core.listing import Page
from dashboard.core.permissions import Perm
from dashboard.db import run_db
from dashboard.models.enums import label
from dashboard.transactions import actions, bulk, export, queries
from dashboard.transactions.rules import (
    AMOUNT_LABEL, FILTER_FIELDS, MAX_EXPORT_ROWS, METHODS, PAGE_SIZE, REASON_REQUIRED, TABS, TYPES, Queue, nice,
    parse_filters,
)
from dashboard.ui import screens
from dashboard.ui.auth_state import AuthState, current_actor, guarded
from dashboard.ui.dialog_state import DialogState
from dashboard.ui.forms import choice_arg
from dashboard.ui.list_state import ListSpec, ListState
from dashboard.ui.screens import Screen

BULK_ACTIONS = ("approve", "decline")
NOT_ON_PAGE = "This item is not in the list any more. Refresh the list and try again."
OPEN_FIRST = "Open an item first."
FORM_UNREADABLE = "The form could not be read. Close it and try again."
DECIDE_FAILED = "The decision could not be saved. Nothing was changed; try again in a moment."
NOTE_FAILED = "The note could not be saved. Try again in a moment."
PREVIEW_FAILED = "The selection could not be checked. Try again in a moment."
BULK_FAILED = "The bulk action failed on the server. Check the list: some items may be done."
EXPORT_FAILED = "The export could not be made (database error). Try again in a moment."


def _field(form_data: Any, name: str) -> str | None:
    """A text field of a submitted form ("" when absent); None when the form cannot be read."""
    if not isinstance(form_data, Mapping):
        return None
    value = form_data.get(name, "")
    if value is None:
        return ""
    return value if isinstance(value, str) else None


def _strings(rows: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [{str(k): "" if v is None else str(v) for k, v in row.items()} for row in rows]


class TransactionsState(ListState, DialogState, AuthState):
    """The detail panel is the open list item (``open_id``, in the URL), not one of ``dialogs``."""

    screen: ClassVar[Screen] = screens.TRANSACTIONS_SCREEN
    dialogs: ClassVar[tuple[str, ...]] = ("bulk",)  # its target: the action, approve or decline
    dialog_perm: ClassVar[str] = Perm.TRANSACTIONS_APPROVE
    spec: ClassVar[ListSpec] = ListSpec(filter_keys=FILTER_FIELDS, item_param="item", item_noun="Items",
                                        page_size=PAGE_SIZE)

    tab: str = Queue.DEPOSITS.value
    counts: dict[str, str] = {q: "…" for q in TABS}
    selected: list[str] = []

    # the open item (``open_id``)
    detail: dict[str, str] = {}
    detail_balances: list[dict[str, str]] = []
    detail_recent: list[dict[str, str]] = []
    detail_flags: list[dict[str, str]] = []
    detail_history: list[dict[str, str]] = []
    detail_error: str = ""
    detail_key: int = 0
    acting: bool = False

    # bulk (the dialog's ``busy`` and ``dialog_error``: DialogState)
    bulk_action: str = ""
    bulk_count: int = 0
    bulk_total: str = ""
    bulk_skipped: int = 0
    bulk_results: list[dict[str, str]] = []
    bulk_summary: str = ""
    _bulk_ids: list[str] = []
    _bulk_seen: dict[str, str] = {}  # the status each selected row showed

    # export
    exporting: bool = False
    export_progress: int = 0
    export_label: str = ""

    # --- computed --------------------------------------------------------------------------------
    @rx.var
    def bulk_open(self) -> bool:
        return self.dialog == "bulk"

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def type_options(self) -> list[list[str]]:
        return [[t, label(t)] for t in TYPES[self._queue()]]

    @rx.var
    def method_options(self) -> list[list[str]]:
        return [[mth, nice(mth)] for mth in METHODS[self._queue()]]

    @rx.var
    def amount_label(self) -> str:
        return AMOUNT_LABEL[self._queue()]

    def _queue(self) -> Queue:
        return Queue(self.tab) if self.tab in TABS else Queue.DEPOSITS

    # --- the list (ListState) ----------------------------------------------------------------------
    async def _fetch(self, after: str | None) -> Page:
        return await run_db(queries.list_queue, actor=current_actor(), queue=self.tab, filters=dict(self.filters),
                            after=after, limit=PAGE_SIZE, with_counts=True)

    def _count_filters(self, wanted: dict[str, str]) -> int:
        return parse_filters(self.tab, wanted).active

    def _show_page(self, page: Page) -> None:
        self.counts = {k: f"{v:,}" for k, v in page.extra.get("counts", {}).items()} or self.counts
        visible = {r["id"] for r in page.rows}
        self.selected = [i for i in self.selected if i in visible]

    async def _load_item(self, item_id: str) -> None:
        data = await run_db(queries.item_detail, actor=current_actor(), queue=self.tab, item_id=item_id)
        self.detail = {k: str(v) for k, v in data["facts"].items()}
        self.detail_balances = _strings(data["balances"])
        self.detail_recent = _strings(data["recent"])
        self.detail_flags = _strings(data["flags"])
        self.detail_history = _strings(data["history"])
        self.detail_key += 1

    def _clear_item(self) -> None:
        self.detail = {}
        self.detail_balances, self.detail_recent, self.detail_flags, self.detail_history = [], [], [], []
        self.detail_error = ""

    def _screen_params(self) -> dict[str, str]:
        return {"tab": self.tab}

    def _restore_screen_params(self, params: Mapping[str, Any]) -> None:
        wanted = params.get("tab", "")
        self.tab = wanted if isinstance(wanted, str) and wanted in TABS else Queue.DEPOSITS.value  # the URL decides
        self.selected = []
        self.bulk_results = []

    async def _after_change(self) -> None:
        """After a decision: the page on screen again (its counts too) and the open item."""
        await self._reload()
        if not self.rows and self.page_number > 1:
            self._reset_pages()
            await self._read("")
        if self.open_id:
            await self._show_item(self.open_id)

    # --- tabs and selection ------------------------------------------------------------------------
    @guarded(Perm.TRANSACTIONS_VIEW)
    async def open_tab(self, value: Any):
        tab = choice_arg(value, TABS, "queue")
        if tab == self.tab:
            return
        self.tab = tab
        self.filters = {key: "" for key in FILTER_FIELDS}
        self.active_filters = 0
        self.filter_error = ""
        self.filters_key += 1
        self.selected = []
        self.bulk_results = []
        self._forget_item()
        self._reset_pages()
        self.loading = True
        yield
        await self._read("")
        yield self._sync_url()

    @guarded(Perm.TRANSACTIONS_VIEW)
    async def toggle_select(self, item_id: Any):
        ident = item_id if isinstance(item_id, str) else ""
        if ident not in {r["id"] for r in self.rows}:
            yield rx.toast.error(NOT_ON_PAGE)
            return
        self.selected = [i for i in self.selected if i != ident] if ident in self.selected else [*self.selected, ident]

    @guarded(Perm.TRANSACTIONS_VIEW)
    async def select_page(self, checked: Any):
        self.selected = [r["id"] for r in self.rows] if checked is True else []

    # --- the open item -----------------------------------------------------------------------------
    async def _decide(self, action: str, reason: str | None = None):
        if not self.open_id:
            yield rx.toast.error(OPEN_FIRST)
            return
        self.acting = True
        yield
        try:
            ok, out = await self._run(actions.decide, into="detail_error", failure=DECIDE_FAILED, queue=self.tab,
                                      item_id=self.open_id, action=action, reason=reason,
                                      expected_status=self.detail.get("status_code") or None)
        finally:
            self.acting = False
        if not ok:
            yield rx.toast.error(self.detail_error)
            await self._after_change()  # a refusal on a stale view: show the item as it is now
            return
        self.detail_error = ""
        await self._after_change()
        yield rx.toast.success(out.message)

    @guarded(Perm.TRANSACTIONS_APPROVE)
    async def approve_item(self):
        """Approve the open item (first or final approval, as the service decides)."""
        async for event in self._decide("approve"):
            yield event

    @guarded(Perm.TRANSACTIONS_APPROVE)
    async def decline_item(self, form_data: Any):
        """Decline the open item; the form's ``reason`` is required (checked by the service too)."""
        reason = _field(form_data, "reason")
        if reason is None or not reason.strip():
            self.detail_error = FORM_UNREADABLE if reason is None else REASON_REQUIRED
            return
        async for event in self._decide("decline", reason=reason):
            yield event

    @guarded(Perm.TRANSACTIONS_APPROVE)
    async def save_note(self, form_data: Any):
        if not self.open_id:
            yield rx.toast.error(OPEN_FIRST)
            return
        note = _field(form_data, "note")
        if note is None:
            self.detail_error = FORM_UNREADABLE
            return
        ok, reference = await self._run(actions.save_note, into="detail_error", failure=NOTE_FAILED,
                                        queue=self.tab, item_id=self.open_id, note=note)
        if not ok:
            return
        self.detail_error = ""
        self.detail = {**self.detail, "admin_note": note.strip()}
        yield rx.toast.success(f"Note saved on {reference}.")

    # --- bulk --------------------------------------------------------------------------------------
    async def _prepare_dialog(self, which: str, action: Any) -> str:
        """The bulk dialog for the selected items on the page: how many are still pending, and their total."""
        act = choice_arg(action, BULK_ACTIONS, "action")
        ids = [i for i in self.selected if i in {r["id"] for r in self.rows}]
        if not ids:
            return "Select at least one item first."
        _, preview = await self._run(bulk.bulk_preview, failure=PREVIEW_FAILED, queue=self.tab, item_ids=ids)
        self._bulk_ids = ids
        self._bulk_seen = {r["id"]: r.get("status_code", "") for r in self.rows if r["id"] in ids}
        self.bulk_action = act
        self.bulk_count = preview.count
        self.bulk_total = preview.total
        self.bulk_skipped = preview.skipped
        return ""

    @guarded(Perm.TRANSACTIONS_APPROVE)
    async def confirm_bulk(self, form_data: Any = None):
        if self.dialog != "bulk" or not self._bulk_ids or self.bulk_action not in BULK_ACTIONS:
            yield rx.toast.error("Choose the items and the action again.")
            return
        reason = None
        if self.bulk_action == "decline":
            reason = _field(form_data if form_data is not None else {}, "reason")
            if reason is None or not reason.strip():
                self.dialog_error = FORM_UNREADABLE if reason is None else REASON_REQUIRED
                return
        self.busy = True
        yield
        ok, report = await self._submit(bulk.decide_many, failure=BULK_FAILED, queue=self.tab,
                                        item_ids=list(self._bulk_ids), action=self.bulk_action, reason=reason,
                                        expected_statuses={k: v or None for k, v in self._bulk_seen.items()})
        if not ok:
            return
        self.bulk_results = report.results
        self.bulk_summary = report.summary
        self._close_dialog()
        self._bulk_ids = []
        self.selected = []
        self.loading = True
        yield
        await self._after_change()
        yield (rx.toast.success(report.summary) if report.done == len(report.results) else rx.toast.warning(report.summary))

    @guarded(Perm.TRANSACTIONS_VIEW)
    async def close_results(self):
        self.bulk_results = []
        self.bulk_summary = ""

    # --- export ------------------------------------------------------------------------------------
    @guarded(Perm.TRANSACTIONS_EXPORT, background=True)
    async def export_csv(self):
        """The filtered queue as CSV, read in chunks of 2,000 with a progress bar and appended to a private
        file (a background event: the tab's other events go on); audited, then fetched once by the
        browser from ``/_download/<token>``."""
        async with self:
            if self.exporting:
                return
            queue, filters = self.tab, dict(self.filters)
            self.exporting = True
            self.export_progress = 0
            self.export_label = "Counting…"
        key, base, written = downloads.new_key(), storage.root(), 0
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        try:
            _, total = await self._run(export.count_filtered, failure=EXPORT_FAILED, queue=queue, filters=filters)
            total = min(total, MAX_EXPORT_ROWS)
            after = None
            with downloads.open_file(key, base=base) as out:
                while True:
                    _, chunk = await self._run(export.export_chunk, failure=EXPORT_FAILED, queue=queue,
                                               filters=filters, after=after)
                    await asyncio.to_thread(export.write_rows, out, chunk.rows, first=written == 0)
                    written += len(chunk.rows)
                    async with self:
                        self.export_progress = min(100, int(written * 100 / total)) if total else 100
                        self.export_label = f"{written:,} of {total:,} rows"
                    if chunk.next_cursor is None or written >= MAX_EXPORT_ROWS:
                        break
                    after = chunk.next_cursor
            _, url = await self._run(export.finish_download, failure=EXPORT_FAILED, queue=queue, filters=filters,
                                     rows=written, key=key, file_name=f"pending-{queue}-{stamp}.csv", base=base)
        except BaseException:
            downloads.discard(key, base=base)
            async with self:
                self.exporting = False
            raise
        async with self:
            self.exporting = False
            self.export_label = f"Exported {written:,} rows"
        yield rx.download(url=url)
