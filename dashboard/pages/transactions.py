"""Transaction queues (``/transactions``, ``Perm.TRANSACTIONS_VIEW``; deciding needs
``TRANSACTIONS_APPROVE``, exporting ``TRANSACTIONS_EXPORT``: treasurers; administrators look only).

- Tabs with live counts: deposits & withdrawals, crypto buy & sell, gift-card orders.
- Filters (type, method, currency, amount range, customer, age), sort by age or amount, search by
  reference / blockchain tx id / bank reference / e-mail; keyset pages of 50 (``Next`` / ``Previous``).
- A row opens the detail panel (customer, KYC, account type, balances, recent transactions, risk flags,
  status history, proof image via ``/_private/proofs/...``); the view is audited by the service.
- Approve, decline with a reason, admin note; bulk approve/decline of the selected rows after a
  confirmation showing how many and what total; the per-item report is shown afterwards.
- CSV export of the filtered queue in chunks, with a progress bar.
- ``/transactions?tab=crypto&item=<uuid>`` opens a tab and an item.

Every public handler is guarded; arguments are untrusted. The browser gets one page of display strings
(money as formatted text); cursors and the open item's id stay in backend-only vars.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from dashboard.ui import screens as routes
from dashboard.ui.components import error_callout, layout, page_header
from dashboard.ui.components.data_table import data_table, labelled, pager, status_badge
from dashboard.ui.components.page import empty_state
from dashboard.db import run_db, session_scope
from dashboard.models.enums import label
from dashboard.core.permissions import Perm
from dashboard.services import transactions as svc
from dashboard.core.errors import DomainError, InvalidInput, NotAuthenticated
from dashboard.ui.auth_state import AuthState, current_actor, guarded

log = logging.getLogger(__name__)

SCREEN = routes.screen_for(routes.TRANSACTIONS)
PAGE_SIZE = svc.PAGE_SIZE
ANY = "any"
TABS = tuple(q.value for q in svc.Queue)
FILTER_FIELDS = ("type", "method", "currency", "min_amount", "max_amount", "user", "age", "search", "sort")
EMPTY_FILTERS = {name: "" for name in FILTER_FIELDS} | {"sort": "age_asc"}
LOAD_ERROR = "The queue could not be read from the database. Try again in a moment."
NOT_ON_PAGE = "This item is not in the list any more. Refresh the list and try again."
APPROVE_PERMISSION = Perm.TRANSACTIONS_APPROVE.value
EXPORT_PERMISSION = Perm.TRANSACTIONS_EXPORT.value
AGE_OPTIONS = (("1", "Older than 1 hour"), ("24", "Older than 1 day"), ("72", "Older than 3 days"),
               ("168", "Older than 7 days"))
SORT_OPTIONS = (("age_asc", "Oldest first"), ("age_desc", "Newest first"), ("amount_desc", "Largest first"),
                ("amount_asc", "Smallest first"))
STATUS_COLOURS = {"Pending": "amber", "Awaiting Second Approval": "violet", "Completed": "green",
                  "Approved": "green", "Declined": "red"}


# --- plain helpers ----------------------------------------------------------------------------------
def _tab(value: Any) -> str:
    return value if isinstance(value, str) and value in TABS else ""


def _form_filters(form_data: Any) -> dict[str, str]:
    if not isinstance(form_data, Mapping):
        raise InvalidInput("The filters could not be read. Reload the page and try again.")
    out: dict[str, str] = {}
    for name in FILTER_FIELDS:
        value = form_data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput(f"{svc.FILTER_LABELS[name]}: expected text.")
        value = value.strip()
        out[name] = "" if value == ANY else value
    out["sort"] = out["sort"] or "age_asc"
    return out


def _uuid_text(value: Any) -> str:
    if isinstance(value, str) and len(value) <= 64:
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            pass
    raise InvalidInput("Unknown item: pick one from the list.")


def _form_text(form_data: Any, name: str) -> str:
    if not isinstance(form_data, Mapping):
        raise InvalidInput("The form could not be read. Close it and try again.")
    value = form_data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("The form could not be read. Close it and try again.")
    return value


def _strings(rows: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [{str(k): "" if v is None else str(v) for k, v in row.items()} for row in rows]


# --- state ----------------------------------------------------------------------------------------
class TransactionsState(AuthState):
    tab: str = svc.Queue.DEPOSITS.value
    counts: dict[str, str] = {q: "…" for q in TABS}
    rows: list[dict[str, str]] = []
    loading: bool = False
    error: str = ""
    page_number: int = 1
    has_next: bool = False
    has_prev: bool = False
    _cursors: list[Any] = []  # the ``after`` cursor of each page shown so far (page 1: None)
    _next: Any = None

    filters: dict[str, str] = dict(EMPTY_FILTERS)
    filter_error: str = ""
    filters_key: int = 0
    active_filters: int = 0

    selected: list[str] = []

    # detail panel
    detail_open: bool = False
    detail: dict[str, str] = {}
    detail_balances: list[dict[str, str]] = []
    detail_recent: list[dict[str, str]] = []
    detail_flags: list[dict[str, str]] = []
    detail_history: list[dict[str, str]] = []
    detail_error: str = ""
    detail_key: int = 0
    acting: bool = False
    _open_id: str = ""
    _open_queue: str = ""

    # bulk
    bulk_open: bool = False
    bulk_action: str = ""
    bulk_count: int = 0
    bulk_total: str = ""
    bulk_skipped: int = 0
    bulk_error: str = ""
    bulk_busy: bool = False
    bulk_results: list[dict[str, str]] = []
    bulk_summary: str = ""
    _bulk_ids: list[str] = []

    # export
    exporting: bool = False
    export_progress: int = 0
    export_label: str = ""

    # --- computed --------------------------------------------------------------------------------
    @rx.var
    def page_label(self) -> str:
        n = len(self.rows)
        if n == 0:
            return ""
        start = (self.page_number - 1) * PAGE_SIZE + 1
        return f"Items {start:,}–{start + n - 1:,}" + (" (filtered)" if self.active_filters else "")

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def type_options(self) -> list[list[str]]:
        q = svc.Queue(self.tab) if self.tab in TABS else svc.Queue.DEPOSITS
        return [[t, label(t)] for t in svc.TYPES[q]]

    @rx.var
    def method_options(self) -> list[list[str]]:
        q = svc.Queue(self.tab) if self.tab in TABS else svc.Queue.DEPOSITS
        return [[mth, svc.nice(mth)] for mth in svc.METHODS[q]]

    @rx.var
    def amount_label(self) -> str:
        q = svc.Queue(self.tab) if self.tab in TABS else svc.Queue.DEPOSITS
        return svc.AMOUNT_LABEL[q]

    # --- reading ---------------------------------------------------------------------------------
    async def _read(self, after: Any = None) -> bool:
        try:
            page = await run_db(svc.list_queue, actor=current_actor(), queue=self.tab, filters=dict(self.filters),
                                after=after, limit=PAGE_SIZE)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.filter_error = str(exc)
            return False
        except Exception:
            log.exception("transactions: reading the queue failed")
            self.rows = []
            self.error = LOAD_ERROR
            self.has_next = self.has_prev = False
            return False
        finally:
            self.loading = False
        self.error = ""
        self.rows = page.rows
        self._next = page.next_after
        self.has_next = page.next_after is not None
        visible = {r["id"] for r in page.rows}
        self.selected = [i for i in self.selected if i in visible]
        return True

    async def _refresh_counts(self) -> None:
        try:
            counts = await run_db(svc.queue_counts, actor=current_actor())
        except NotAuthenticated:
            raise
        except Exception:
            log.exception("transactions: counting the queues failed")
            return
        self.counts = {k: f"{v:,}" for k, v in counts.items()}

    async def _first_page(self) -> None:
        self.page_number = 1
        self._cursors = [None]
        self.has_prev = False
        await self._read(None)

    async def _reload_current(self) -> None:
        cursor = self._cursors[-1] if self._cursors else None
        await self._read(cursor)
        if not self.rows and self.page_number > 1:
            await self._first_page()

    async def _load(self):
        params = self.router.url.query_parameters
        wanted_tab = _tab(params.get("tab", "")) or self.tab or svc.Queue.DEPOSITS.value
        wanted_item = params.get("item", "")
        if wanted_tab != self.tab:
            self.tab = wanted_tab
            self.filters = dict(EMPTY_FILTERS)
            self.active_filters = 0
            self.filters_key += 1
        self.selected = []
        self.bulk_results = []
        self.detail_open = False
        self.loading = True
        yield
        await self._refresh_counts()
        await self._first_page()
        if wanted_item:
            async for event in self._open(wanted_item):
                yield event

    @guarded(Perm.TRANSACTIONS_VIEW, opens_page=True)
    async def load_transactions(self):
        """Page load: counts, the first page of the tab in ``?tab=``; ``?item=<id>`` opens that item."""
        async for event in self._load():
            yield event

    @guarded(Perm.TRANSACTIONS_VIEW)
    async def open_tab(self, value: Any):
        tab = _tab(value)
        if not tab:
            yield rx.toast.error("Unknown queue.")
            return
        if tab == self.tab:
            return
        self.tab = tab
        self.filters = dict(EMPTY_FILTERS)
        self.active_filters = 0
        self.filter_error = ""
        self.filters_key += 1
        self.selected = []
        self.bulk_results = []
        self.loading = True
        yield
        await self._refresh_counts()
        await self._first_page()

    @guarded(Perm.TRANSACTIONS_VIEW)
    async def apply_filters(self, form_data: Any):
        try:
            wanted = _form_filters(form_data)
            svc.parse_filters(self.tab, wanted)
        except InvalidInput as exc:
            self.filter_error = str(exc)
            return
        previous = dict(self.filters)
        self.filters = wanted
        self.active_filters = sum(1 for k, v in wanted.items() if v and k != "sort")
        self.filter_error = ""
        self.loading = True
        yield
        self.page_number = 1
        self._cursors = [None]
        self.has_prev = False
        if not await self._read(None):
            self.filters = previous
            self.active_filters = sum(1 for k, v in previous.items() if v and k != "sort")

    @guarded(Perm.TRANSACTIONS_VIEW)
    async def clear_filters(self):
        self.filters = dict(EMPTY_FILTERS)
        self.active_filters = 0
        self.filter_error = ""
        self.filters_key += 1
        self.loading = True
        yield
        await self._first_page()

    @guarded(Perm.TRANSACTIONS_VIEW)
    async def refresh(self):
        self.loading = True
        yield
        await self._refresh_counts()
        await self._reload_current()

    @guarded(Perm.TRANSACTIONS_VIEW)
    async def next_page(self):
        if self._next is None:
            return
        self.loading = True
        yield
        cursor = self._next
        if await self._read(cursor):
            self._cursors = [*self._cursors, cursor]
            self.page_number += 1
            self.has_prev = True

    @guarded(Perm.TRANSACTIONS_VIEW)
    async def prev_page(self):
        if len(self._cursors) <= 1:
            return
        self.loading = True
        yield
        cursors = self._cursors[:-1]
        if await self._read(cursors[-1]):
            self._cursors = cursors
            self.page_number = max(1, self.page_number - 1)
            self.has_prev = len(cursors) > 1

    # --- selection --------------------------------------------------------------------------------
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

    # --- detail -----------------------------------------------------------------------------------
    def _show_detail(self, data: Mapping[str, Any]) -> None:
        self.detail = {k: str(v) for k, v in data["facts"].items()}
        self.detail_balances = _strings(data["balances"])
        self.detail_recent = _strings(data["recent"])
        self.detail_flags = _strings(data["flags"])
        self.detail_history = _strings(data["history"])
        self.detail_key += 1

    async def _open(self, item_id: Any):
        try:
            ident = _uuid_text(item_id)
        except InvalidInput as exc:
            yield rx.toast.error(str(exc))
            return
        try:
            data = await run_db(svc.item_detail, actor=current_actor(), queue=self.tab, item_id=ident)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            yield rx.toast.error(str(exc))
            return
        except Exception:
            log.exception("transactions: opening an item failed")
            yield rx.toast.error("The item could not be read. Try again in a moment.")
            return
        self._open_id = ident
        self._open_queue = self.tab
        self._show_detail(data)
        self.detail_error = ""
        self.detail_open = True

    @guarded(Perm.TRANSACTIONS_VIEW)
    async def open_item(self, item_id: Any):
        async for event in self._open(item_id):
            yield event

    @guarded(Perm.TRANSACTIONS_VIEW)
    async def set_detail_open(self, value: Any):
        """The panel's ``on_open_change``: only closes."""
        if value is False:
            self.detail_open = False

    async def _after_change(self) -> None:
        await self._refresh_counts()
        await self._reload_current()
        if self._open_id:
            try:
                data = await run_db(svc.item_detail, actor=current_actor(), queue=self._open_queue,
                                    item_id=self._open_id)
            except DomainError:
                return
            self._show_detail(data)

    async def _decide(self, action: str, reason: str | None = None, note: str | None = None):
        if not self._open_id or not self.detail_open:
            yield rx.toast.error("Open an item first.")
            return
        self.acting = True
        yield
        try:
            out = await run_db(svc.decide, actor=current_actor(), queue=self._open_queue, item_id=self._open_id,
                               action=action, reason=reason, note=note)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.detail_error = str(exc)
            yield rx.toast.error(str(exc))
            return
        except Exception:
            log.exception("transactions: a decision failed")
            self.detail_error = "The decision could not be saved. Nothing was changed; try again in a moment."
            yield rx.toast.error(self.detail_error)
            return
        finally:
            self.acting = False
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
        """Decline the open item; the form's ``reason`` is required (checked by the service)."""
        try:
            reason = _form_text(form_data, "reason")
        except InvalidInput as exc:
            self.detail_error = str(exc)
            return
        if not reason.strip():
            self.detail_error = "A reason is required to decline."
            return
        async for event in self._decide("decline", reason=reason):
            yield event

    @guarded(Perm.TRANSACTIONS_APPROVE)
    async def save_note(self, form_data: Any):
        if not self._open_id:
            yield rx.toast.error("Open an item first.")
            return
        try:
            note = _form_text(form_data, "note")
            ref = await run_db(svc.save_note, actor=current_actor(), queue=self._open_queue, item_id=self._open_id,
                               note=note)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.detail_error = str(exc)
            return
        except Exception:
            log.exception("transactions: saving a note failed")
            self.detail_error = "The note could not be saved. Try again in a moment."
            return
        self.detail_error = ""
        self.detail = {**self.detail, "admin_note": note.strip()}
        yield rx.toast.success(f"Note saved on {ref}.")

    # --- bulk -------------------------------------------------------------------------------------
    @guarded(Perm.TRANSACTIONS_APPROVE)
    async def open_bulk(self, action: Any):
        if action not in ("approve", "decline"):
            yield rx.toast.error("Unknown action.")
            return
        ids = [i for i in self.selected if i in {r["id"] for r in self.rows}]
        if not ids:
            yield rx.toast.error("Select at least one item first.")
            return
        try:
            preview = await run_db(svc.bulk_preview, actor=current_actor(), queue=self.tab, item_ids=ids)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            yield rx.toast.error(str(exc))
            return
        except Exception:
            log.exception("transactions: bulk preview failed")
            yield rx.toast.error("The selection could not be checked. Try again in a moment.")
            return
        self._bulk_ids = ids
        self.bulk_action = action
        self.bulk_count = preview.count
        self.bulk_total = preview.total
        self.bulk_skipped = preview.skipped
        self.bulk_error = ""
        self.bulk_open = True

    @guarded(Perm.TRANSACTIONS_APPROVE)
    async def set_bulk_open(self, value: Any):
        if value is False and not self.bulk_busy:
            self.bulk_open = False

    @guarded(Perm.TRANSACTIONS_APPROVE)
    async def confirm_bulk(self, form_data: Any = None):
        if not self.bulk_open or not self._bulk_ids or self.bulk_action not in ("approve", "decline"):
            yield rx.toast.error("Choose the items and the action again.")
            return
        reason = None
        if self.bulk_action == "decline":
            try:
                reason = _form_text(form_data if form_data is not None else {}, "reason")
            except InvalidInput as exc:
                self.bulk_error = str(exc)
                return
            if not reason.strip():
                self.bulk_error = "A reason is required to decline."
                return
        self.bulk_busy = True
        yield
        actor = current_actor()
        try:
            report = await asyncio.to_thread(svc.decide_many, sessions=session_scope, actor=actor, queue=self.tab,
                                             item_ids=list(self._bulk_ids), action=self.bulk_action, reason=reason)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.bulk_error = str(exc)
            return
        except Exception:
            log.exception("transactions: bulk decision failed")
            self.bulk_error = "The bulk action failed on the server. Check the list: some items may be done."
            return
        finally:
            self.bulk_busy = False
        self.bulk_results = report.results
        self.bulk_summary = report.summary
        self.bulk_open = False
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

    # --- export -----------------------------------------------------------------------------------
    @guarded(Perm.TRANSACTIONS_EXPORT)
    async def export_csv(self):
        """The filtered queue as CSV, read in chunks of 2,000 with a progress bar; audited."""
        if self.exporting:
            return
        actor = current_actor()
        queue, filters = self.tab, dict(self.filters)
        self.exporting = True
        self.export_progress = 0
        self.export_label = "Counting…"
        yield
        rows: list[dict[str, str]] = []
        try:
            total = await run_db(svc.count_filtered, actor=actor, queue=queue, filters=filters)
            total = min(total, svc.MAX_EXPORT_ROWS)
            after = None
            while True:
                chunk = await run_db(svc.export_chunk, actor=actor, queue=queue, filters=filters, after=after)
                rows += chunk.rows
                self.export_progress = min(100, int(len(rows) * 100 / total)) if total else 100
                self.export_label = f"{len(rows):,} of {total:,} rows"
                yield
                if chunk.next_after is None or len(rows) >= svc.MAX_EXPORT_ROWS:
                    break
                after = chunk.next_after
            await run_db(svc.record_export, actor=actor, queue=queue, filters=filters, rows=len(rows))
            data = await asyncio.to_thread(svc.to_csv, rows)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            yield rx.toast.error(str(exc))
            return
        except Exception:
            log.exception("transactions: the CSV export failed")
            yield rx.toast.error("The export could not be made (database error). Try again in a moment.")
            return
        finally:
            self.exporting = False
        self.export_label = f"Exported {len(rows):,} rows"
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        yield rx.download(data=data, filename=f"pending-{queue}-{stamp}.csv", mime_type="text/csv")


# --- page -----------------------------------------------------------------------------------------
T = TransactionsState
_CAN_APPROVE = T.officer_permissions.contains(APPROVE_PERMISSION)
_ELLIPSIS = {"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"}
_NOWRAP = ("reference", "amount", "value")
_NUM = {"font_variant_numeric": "tabular-nums", "white_space": "nowrap"}


def _tabs() -> rx.Component:
    def trigger(q: svc.Queue) -> rx.Component:
        return rx.tabs.trigger(
            rx.hstack(rx.text(svc.QUEUE_LABELS[q]), rx.badge(T.counts[q.value], variant="soft", radius="full"),
                      spacing="2", align="center"),
            value=q.value,
            custom_attrs={"data-testid": f"tab-{q.value}"},
        )

    return rx.tabs.root(
        rx.tabs.list(*[trigger(q) for q in svc.Queue], size="2"),
        value=T.tab,
        on_change=T.open_tab,
        margin_bottom="1rem",
    )


def _select(name: str, label_text: str, options: rx.Var | list, width: str = "10rem") -> rx.Component:
    control_id = f"tx-filter-{name.replace('_', '-')}"
    if isinstance(options, list):
        items = [rx.select.item(text, value=value) for value, text in options]
    else:
        items = [rx.foreach(options, lambda o: rx.select.item(o[1], value=o[0]))]
    return labelled(
        label_text,
        rx.select.root(
            rx.select.trigger(width=width, id=control_id),
            rx.select.content(rx.select.item("Any", value=ANY), *items),
            name=name,
            default_value=rx.cond(T.filters[name] != "", T.filters[name], ANY),
        ),
        html_for=control_id,
    )


def _input(name: str, label_text: str, placeholder: str = "", width: str = "9rem", max_length: int = 128) -> rx.Component:
    control_id = f"tx-filter-{name.replace('_', '-')}"
    return labelled(
        label_text,
        rx.input(name=name, default_value=T.filters[name], placeholder=placeholder, width=width,
                 max_length=max_length, id=control_id),
        html_for=control_id,
    )


def _filters_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.flex(
                _input("search", "Search", "reference, tx id, bank ref or e-mail", width="18rem"),
                rx.cond(T.type_options.length() > 0, _select("type", "Type", T.type_options, "9rem")),
                rx.cond(T.method_options.length() > 0, _select("method", "Method", T.method_options)),
                _input("currency", "Currency", "e.g. USD, BTC", width="7rem", max_length=10),
                _input("min_amount", "Min " + T.amount_label, "0.00", width="8rem", max_length=40),
                _input("max_amount", "Max " + T.amount_label, "", width="8rem", max_length=40),
                _input("user", "Customer", "e-mail or id", width="12rem", max_length=255),
                _select("age", "Age", list(AGE_OPTIONS), "10rem"),
                labelled(
                    "Sort",
                    rx.select.root(
                        rx.select.trigger(width="9rem", id="tx-filter-sort"),
                        rx.select.content(*[rx.select.item(t, value=v) for v, t in SORT_OPTIONS]),
                        name="sort",
                        default_value=T.filters["sort"],
                    ),
                    html_for="tx-filter-sort",
                ),
                rx.hstack(
                    rx.button(rx.icon("filter", size=14), "Apply", type="submit", loading=T.loading,
                              custom_attrs={"data-testid": "apply-filters"}),
                    rx.button("Clear", type="button", on_click=T.clear_filters, variant="soft", color_scheme="gray"),
                    rx.cond(T.active_filters > 0,
                            rx.badge(T.active_filters.to_string() + " active", variant="soft", radius="full")),
                    spacing="2",
                    align="center",
                ),
                gap="3",
                align="end",
                wrap="wrap",
            ),
            rx.cond(
                T.filter_error != "",
                rx.callout.root(rx.callout.icon(rx.icon("triangle_alert")), rx.callout.text(T.filter_error),
                                color_scheme="red", variant="surface", size="1", role="alert", margin_top="0.6rem",
                                custom_attrs={"data-testid": "filter-error"}),
            ),
            on_submit=T.apply_filters,
            reset_on_submit=False,
            no_validate=True,
            key=T.tab + T.filters_key.to_string(),
            custom_attrs={"data-testid": "tx-filters", "aria-label": "Queue filters"},
        ),
        size="2",
        width="100%",
        margin_bottom="1rem",
    )


def _bulk_bar() -> rx.Component:
    return rx.flex(
        rx.hstack(
            rx.checkbox(
                checked=(T.selected_count > 0) & (T.selected_count == T.rows.length()),
                on_change=T.select_page,
                custom_attrs={"aria-label": "Select every item on this page", "data-testid": "select-page"},
            ),
            rx.text(rx.cond(T.selected_count > 0, T.selected_count.to_string() + " selected", "Select items for a bulk action"),
                    size="2", color="var(--gray-11)"),
            align="center",
            spacing="2",
        ),
        rx.cond(
            _CAN_APPROVE,
            rx.hstack(
                rx.button(rx.icon("check_check", size=14), "Approve selected", on_click=T.open_bulk("approve"),
                          disabled=T.selected_count == 0, color_scheme="green", variant="soft", size="2",
                          custom_attrs={"data-testid": "bulk-approve"}),
                rx.button(rx.icon("x", size=14), "Decline selected", on_click=T.open_bulk("decline"),
                          disabled=T.selected_count == 0, color_scheme="red", variant="soft", size="2",
                          custom_attrs={"data-testid": "bulk-decline"}),
                spacing="2",
            ),
        ),
        justify="between",
        align="center",
        margin_bottom="0.5rem",
        wrap="wrap",
        gap="2",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.checkbox(checked=T.selected.contains(row["id"]), on_change=lambda _v: T.toggle_select(row["id"]),
                        custom_attrs={"aria-label": "Select " + row["reference"], "data-testid": "row-select"}),
        ),
        rx.table.cell(
            rx.button(row["reference"], on_click=T.open_item(row["id"]), variant="ghost", size="1",
                      style=_NUM, custom_attrs={"data-testid": "open-item", "aria-label": "Open " + row["reference"]}),
        ),
        rx.table.cell(rx.text(row["email"], size="2", max_width="14rem", style=_ELLIPSIS, title=row["email"])),
        rx.table.cell(rx.vstack(rx.text(row["kind"], size="2"), rx.text(row["method"], size="1", color="var(--gray-11)"),
                                spacing="0")),
        rx.table.cell(rx.vstack(rx.text(row["amount"], size="2", style=_NUM),
                                rx.text(row["rate"], size="1", color="var(--gray-11)", style=_NUM), spacing="0")),
        rx.table.cell(rx.text(row["value"], size="2", weight="medium", style=_NUM)),
        rx.table.cell(status_badge(row["status"], STATUS_COLOURS)),
        rx.table.cell(rx.text(row["age"], size="2", style=_NUM, title=row["created"])),
        custom_attrs={"data-testid": "tx-row", "data-reference": row["reference"]},
        _hover={"background_color": "var(--gray-a2)"},
    )


COLUMNS = [("", "2.5rem"), ("Reference", "12rem"), ("Customer", "14rem"), ("Type", "8rem"), ("Amount", "11rem"),
           ("Value", "8rem"), ("Status", "10rem"), ("Age", "6rem")]


def _results_card() -> rx.Component:
    return rx.cond(
        T.bulk_results.length() > 0,
        rx.card(
            rx.flex(
                rx.text(T.bulk_summary, weight="medium", size="3"),
                rx.button("Dismiss", on_click=T.close_results, variant="soft", color_scheme="gray", size="1"),
                justify="between",
                align="center",
                margin_bottom="0.5rem",
            ),
            rx.vstack(
                rx.foreach(
                    T.bulk_results,
                    lambda r: rx.hstack(
                        rx.cond(r["outcome"] == "done", rx.icon("circle_check", size=16, color="var(--green-10)"),
                                rx.icon("circle_alert", size=16, color="var(--amber-10)")),
                        rx.code(r["reference"], size="1"),
                        rx.text(r["message"], size="2"),
                        spacing="2",
                        align="center",
                        custom_attrs={"data-testid": "bulk-result", "data-outcome": r["outcome"]},
                    ),
                ),
                spacing="1",
                max_height="14rem",
                overflow_y="auto",
            ),
            size="2",
            width="100%",
            margin_bottom="1rem",
            custom_attrs={"data-testid": "bulk-results"},
        ),
    )


def _fact(label_text: str, value: rx.Var) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label_text, min_width="8rem"),
        rx.data_list.value(rx.text(rx.cond(value != "", value, "—"), size="2", word_break="break-word")),
    )


def _mini_table(title: str, rows: rx.Var, keys: list[tuple[str, str]], empty: str, test_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(title, size="2", weight="bold"),
        rx.cond(
            rows.length() == 0,
            rx.text(empty, size="2", color="var(--gray-10)"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h, _ in keys])),
                rx.table.body(rx.foreach(rows, lambda r: rx.table.row(
                    *[rx.table.cell(rx.text(r[k], size="1", white_space="nowrap" if k in _NOWRAP else "normal"))
                      for _, k in keys]))),
                size="1",
                variant="ghost",
                width="100%",
            ),
        ),
        spacing="1",
        width="100%",
        custom_attrs={"data-testid": test_id},
    )


def _detail_panel() -> rx.Component:
    d = T.detail
    decidable = (d["decidable"] == "yes") & _CAN_APPROVE
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.hstack(rx.text(d["reference"]), status_badge(d["status"], STATUS_COLOURS),
                                      spacing="3", align="center")),
            rx.dialog.description(d["kind"] + " · " + d["amount"] + " · " + d["value"], size="2",
                                  color="var(--gray-11)", margin_bottom="0.75rem"),
            rx.cond(T.detail_error != "",
                    rx.callout.root(rx.callout.icon(rx.icon("triangle_alert")), rx.callout.text(T.detail_error),
                                    color_scheme="red", variant="surface", size="1", role="alert",
                                    margin_bottom="0.75rem", custom_attrs={"data-testid": "detail-error"})),
            rx.grid(
                rx.vstack(
                    rx.data_list.root(
                        _fact("Customer", d["customer"]),
                        _fact("E-mail", d["email"]),
                        _fact("KYC status", d["kyc_status"]),
                        _fact("Account type", d["account_type"]),
                        _fact("Platform", d["platform"]),
                        _fact("Method", d["method"]),
                        _fact("Details", d["extra"]),
                        _fact("Created", d["created"] + " (" + d["age"] + " ago)"),
                        _fact("First approval", d["first_approved_by"]),
                        _fact("Processed by", d["processed_by"]),
                        _fact("Decline reason", d["decline_reason"]),
                        size="1",
                    ),
                    _mini_table("Balances", T.detail_balances, [("Balance", "label"), ("Amount", "value")],
                                "No portfolio or wallet.", "detail-balances"),
                    _mini_table("Risk flags", T.detail_flags,
                                [("Check", "check"), ("Result", "result"), ("Level", "level"), ("Flags", "flags")],
                                "No compliance checks on record.", "detail-flags"),
                    spacing="3",
                    width="100%",
                ),
                rx.vstack(
                    rx.cond(
                        d["proof_url"] != "",
                        rx.vstack(
                            rx.text("Proof", size="2", weight="bold"),
                            rx.link(rx.image(src=d["proof_url"], alt="Payment proof", max_height="14rem",
                                             border_radius="var(--radius-2)", border="1px solid var(--gray-a5)"),
                                    href=d["proof_url"], is_external=True),
                            spacing="1",
                            custom_attrs={"data-testid": "detail-proof"},
                        ),
                    ),
                    _mini_table("Status history", T.detail_history,
                                [("When", "when"), ("From", "from"), ("To", "to"), ("By", "by"), ("Reason", "reason")],
                                "No status changes yet.", "detail-history"),
                    _mini_table("Recent transactions", T.detail_recent,
                                [("Reference", "reference"), ("Type", "kind"), ("Amount", "amount"),
                                 ("Status", "status")], "None.", "detail-recent"),
                    spacing="3",
                    width="100%",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                _CAN_APPROVE,
                rx.vstack(
                    rx.separator(size="4", margin_y="0.75rem"),
                    rx.form(
                        rx.hstack(
                            rx.text_area(name="note", default_value=d["admin_note"], placeholder="Admin note (internal)",
                                         max_length=svc.MAX_NOTE, rows="2", width="100%", id="tx-note"),
                            rx.button("Save note", type="submit", variant="soft", size="2",
                                      custom_attrs={"data-testid": "save-note"}),
                            align="end",
                            width="100%",
                        ),
                        on_submit=T.save_note,
                        reset_on_submit=False,
                        key="note-" + T.detail_key.to_string(),
                        width="100%",
                    ),
                    rx.cond(
                        decidable,
                        rx.form(
                            rx.hstack(
                                rx.input(name="reason", placeholder="Reason to decline (required to decline)",
                                         max_length=svc.MAX_REASON, width="100%", id="tx-reason"),
                                rx.button(rx.icon("x", size=14), "Decline", type="submit", color_scheme="red",
                                          variant="soft", loading=T.acting, custom_attrs={"data-testid": "decline"}),
                                rx.button(rx.icon("check", size=14),
                                          rx.cond(d["status_code"] == "AWAITING_SECOND_APPROVAL", "Give second approval",
                                                  "Approve"),
                                          type="button", on_click=T.approve_item, color_scheme="green",
                                          loading=T.acting, custom_attrs={"data-testid": "approve"}),
                                align="center",
                                width="100%",
                            ),
                            on_submit=T.decline_item,
                            reset_on_submit=False,
                            key="decide-" + T.detail_key.to_string(),
                            width="100%",
                        ),
                        rx.text("This item is no longer pending.", size="2", color="var(--gray-11)"),
                    ),
                    spacing="2",
                    width="100%",
                ),
                rx.cond(d["admin_note"] != "", rx.text("Note: " + d["admin_note"], size="2", margin_top="0.75rem")),
            ),
            rx.flex(
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                justify="end",
                margin_top="1rem",
            ),
            max_width="62rem",
            custom_attrs={"data-testid": "detail-panel"},
        ),
        open=T.detail_open,
        on_open_change=T.set_detail_open,
    )


def _bulk_dialog() -> rx.Component:
    verb = rx.cond(T.bulk_action == "approve", "Approve", "Decline")
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(verb + " " + T.bulk_count.to_string() + " items?"),
            rx.alert_dialog.description(
                rx.text(verb + " ", rx.text.strong(T.bulk_count.to_string() + " pending items"),
                        " totalling ", rx.text.strong(T.bulk_total),
                        ". Each item is decided on its own; you get a report per item.", size="2"),
                as_child=True,
            ),
            rx.cond(T.bulk_skipped > 0,
                    rx.text(T.bulk_skipped.to_string() + " selected items are no longer pending and will be skipped.",
                            size="2", color="var(--amber-11)", margin_top="0.5rem")),
            rx.form(
                rx.cond(
                    T.bulk_action == "decline",
                    rx.input(name="reason", placeholder="Reason (required, sent to each customer)",
                             max_length=svc.MAX_REASON, width="100%", margin_top="0.75rem", id="bulk-reason"),
                ),
                rx.cond(T.bulk_error != "",
                        rx.callout.root(rx.callout.icon(rx.icon("triangle_alert")), rx.callout.text(T.bulk_error),
                                        color_scheme="red", variant="surface", size="1", role="alert",
                                        margin_top="0.75rem")),
                rx.flex(
                    rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", type="button",
                                                     disabled=T.bulk_busy)),
                    rx.button(verb + " " + T.bulk_count.to_string(), type="submit", loading=T.bulk_busy,
                              color_scheme=rx.cond(T.bulk_action == "approve", "green", "red"),
                              custom_attrs={"data-testid": "bulk-confirm"}),
                    gap="3",
                    justify="end",
                    margin_top="1.25rem",
                ),
                on_submit=T.confirm_bulk,
                reset_on_submit=False,
            ),
            max_width="32rem",
            custom_attrs={"data-testid": "bulk-dialog"},
        ),
        open=T.bulk_open,
        on_open_change=T.set_bulk_open,
    )


def _export_button() -> rx.Component:
    return rx.cond(
        T.officer_permissions.contains(EXPORT_PERMISSION),
        rx.hstack(
            rx.cond(T.exporting, rx.vstack(rx.progress(value=T.export_progress, width="10rem"),
                                           rx.text(T.export_label, size="1", color="var(--gray-11)"), spacing="1")),
            rx.button(rx.icon("download", size=15), "Export CSV", on_click=T.export_csv, loading=T.exporting,
                      variant="soft", custom_attrs={"data-testid": "export-csv"}),
            rx.button(rx.icon("refresh_cw", size=15), "Refresh", on_click=T.refresh, variant="soft",
                      color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        rx.button(rx.icon("refresh_cw", size=15), "Refresh", on_click=T.refresh, variant="soft", color_scheme="gray"),
    )


def transactions_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary, _export_button()),
        rx.cond(T.error != "", error_callout(T.error)),
        _tabs(),
        _filters_form(),
        _results_card(),
        _bulk_bar(),
        data_table(
            COLUMNS,
            T.rows,
            _row,
            loading=T.loading,
            is_empty=T.rows.length() == 0,
            empty=rx.cond(
                T.active_filters > 0,
                empty_state("Nothing matches", "Change or clear the filters to see more of the queue.", "search_x"),
                empty_state("The queue is empty", "New requests appear here as customers make them.", "inbox"),
            ),
            caption="Pending items, oldest first",
            test_id="tx-table",
        ),
        pager(
            label=T.page_label,
            has_prev=T.has_prev,
            has_next=T.has_next,
            on_prev=T.prev_page,
            on_next=T.next_page,
            loading=T.loading,
            test_id="tx-pager",
        ),
        _detail_panel(),
        _bulk_dialog(),
        active=routes.TRANSACTIONS,
    )
