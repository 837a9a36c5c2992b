"""The one list mechanism: filters, search, keyset pages, an open item and the URL kept in step.

A list screen's state mixes this in and declares what differs; it writes no paging handlers::

    class KycState(ListState, AuthState):
        screen: ClassVar[Screen] = screens.KYC_SCREEN   # route + permission, declared once
        spec: ClassVar[ListSpec] = ListSpec(
            filter_keys=rules.FILTER_KEYS,  # the filter form's fields (also read from the URL)
            item_param="case",              # /kyc?case=<id> opens an item
            item_noun="Cases", order_note=", oldest first",
        )

        async def _fetch(self, after): ...     # one page: run_db(queries.list_x, actor=..., ...)
        async def _load_item(self, item_id): ...  # fill the detail vars (raise a DomainError to refuse)
        def _clear_item(self): ...

Both class attributes must be annotated ``ClassVar``: Reflex turns an unannotated class attribute of a
state into a var. Every shared handler is ``guarded(SCREEN)``: it checks the permission of the screen the
state declares. Errors become messages in one place (``_read`` and ``_show_item``): a refused filter under the filter bar,
a database failure above the list, a refused item as a toast. The browser receives one page of display
strings; the page cursors stay in backend-only vars.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

import reflex as rx

from dashboard.core.errors import DomainError, InvalidInput, NotAuthenticated
from dashboard.core.listing import PAGE_SIZE, Page
from dashboard.ui.auth_state import SCREEN, guarded
from dashboard.ui.forms import choice_arg, form_fields, id_arg
from dashboard.ui.screens import Screen

log = logging.getLogger(__name__)

LIST_ERROR = "The list could not be read from the database. Try again in a moment."
ITEM_ERROR = "That item could not be read from the database. Try again in a moment."
MAX_FILTER = 200


@dataclass(frozen=True)
class ListSpec:
    """What a list screen declares besides its screen: the filter fields (also read from the URL),
    the URL parameter naming the open item, and the words of the position label."""

    filter_keys: tuple[str, ...] = ()
    item_param: str = "item"
    item_noun: str = "Rows"
    order_note: str = ""
    page_size: int = PAGE_SIZE
    max_filter: int = MAX_FILTER  # the longest filter value accepted (form and URL)
    # False: the filters and the open item live in the state only (kept between visits) and the URL is
    # left alone, for a screen whose URL parameters mean something else (the audit log's record timeline)
    in_url: bool = True


class ListState(rx.State, mixin=True):
    screen: ClassVar[Screen]
    spec: ClassVar[ListSpec] = ListSpec()

    rows: list[dict[str, str]] = []
    loading: bool = False
    error: str = ""
    page_number: int = 1
    has_next: bool = False
    filters: dict[str, str] = {}
    filter_error: str = ""
    filters_key: int = 0  # bumped to reset the filter form's uncontrolled inputs
    active_filters: int = 0
    open_id: str = ""
    item_loading: bool = False
    item_error: str = ""
    _starts: list[str] = []  # the cursor each visited page started after ("" = the first page)
    _next_cursor: str = ""

    # --- what a screen provides ---------------------------------------------------------------------
    async def _fetch(self, after: str | None) -> Page:
        """One page of rows after the cursor ``after`` (None: the first page), with ``self.filters``."""
        raise NotImplementedError

    def _count_filters(self, wanted: dict[str, str]) -> int:
        """Validate a filter set (raise InvalidInput with the officer's message); how many are active."""
        return sum(1 for value in wanted.values() if value)

    def _show_page(self, page: Page) -> None:
        """Show what comes beside the rows (counts per status, totals): ``page.extra``."""

    async def _load_item(self, item_id: str) -> None:
        """Fill the open item's vars; raise a DomainError to refuse (the message is shown)."""
        raise NotImplementedError

    def _clear_item(self) -> None:
        """Forget the open item's vars."""

    async def _on_load(self) -> None:
        """Page load only, before the open item and the first page: read what the screen shows beside
        the list (e.g. the choices of a filter select)."""

    def _screen_params(self) -> dict[str, str]:
        """What the screen keeps in the URL besides the filters and the open item (e.g. its open tab)."""
        return {}

    def _restore_screen_params(self, params: Mapping[str, Any]) -> None:
        """Page load: take back what ``_screen_params`` wrote (before the filters are read)."""

    async def _closing_item(self, item_id: str) -> None:
        """The officer closed the open item (``close_item``): e.g. drop their presence on it."""

    # --- the mechanism --------------------------------------------------------------------------------
    @rx.var
    def has_prev(self) -> bool:
        return self.page_number > 1

    @rx.var
    def page_label(self) -> str:
        n = len(self.rows)
        if n == 0:
            return ""
        first = (self.page_number - 1) * self.spec.page_size + 1
        return (f"{self.spec.item_noun} {first:,}–{first + n - 1:,}{self.spec.order_note}"
                + (" (filtered)" if self.active_filters else ""))

    def _reset_pages(self) -> None:
        self.page_number = 1
        self._starts = [""]

    def _current_start(self) -> str:
        return self._starts[self.page_number - 1] if 0 < self.page_number <= len(self._starts) else ""

    async def _read(self, start: str) -> bool:
        """Read the page after ``start`` into ``rows``; False (with a message shown) when it failed."""
        try:
            page = await self._fetch(start or None)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.filter_error = str(exc)
            return False
        except Exception:
            log.exception("%s: reading the list failed", type(self).__name__)
            self.rows = []
            self.error = LIST_ERROR
            self.has_next = False
            return False
        finally:
            self.loading = False
        self.error = ""
        self.rows = page.rows
        self._next_cursor = page.next_cursor or ""
        self.has_next = page.next_cursor is not None
        self._show_page(page)
        return True

    async def _reload(self) -> bool:
        """Re-read the page on screen in place (after an action changed a row)."""
        return await self._read(self._current_start())

    async def _show_item(self, item_id: str) -> bool:
        try:
            await self._load_item(item_id)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self._forget_item()
            self.item_error = str(exc)
            return False
        except Exception:
            log.exception("%s: opening an item failed", type(self).__name__)
            self._forget_item()
            self.item_error = ITEM_ERROR
            return False
        finally:
            self.item_loading = False
        self.open_id = item_id
        self.item_error = ""
        return True

    def _forget_item(self) -> None:
        self.open_id = ""
        self.item_error = ""
        self._clear_item()

    def _url(self) -> str:
        params = self._screen_params() | {key: value for key, value in self.filters.items() if value}
        if self.open_id:
            params[self.spec.item_param] = self.open_id
        return self.screen.route + (f"?{urlencode(params)}" if params else "")

    def _sync_url(self) -> rx.event.EventSpec | None:
        """Keep the address bar in step (a link can be shared and reloaded) without a navigation."""
        if not self.spec.in_url:
            return None
        url = json.dumps(self._url())
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {url})")

    def _filters_from_url(self) -> dict[str, str]:
        params = self.router.url.query_parameters
        wanted = {key: "" for key in self.spec.filter_keys}
        for key in self.spec.filter_keys:
            value = params.get(key, "")
            if isinstance(value, str) and len(value) <= self.spec.max_filter:
                wanted[key] = value.strip()
        return wanted

    # --- handlers (every list screen has them; each checks the screen's permission) -------------------
    @guarded(SCREEN, opens_page=True)
    async def load(self):
        """Page load: filters and the open item from the URL, then the first page."""
        params = self.router.url.query_parameters
        self._restore_screen_params(params)
        if self.spec.in_url:
            wanted = self._filters_from_url()
            item = params.get(self.spec.item_param, "")
        else:
            wanted, item = {key: self.filters.get(key, "") for key in self.spec.filter_keys}, ""
        self._forget_item()
        try:
            self.active_filters = self._count_filters(wanted)
            self.filters, self.filter_error = wanted, ""
        except InvalidInput as exc:
            self.filters = {key: "" for key in self.spec.filter_keys}
            self.active_filters, self.filter_error = 0, str(exc)
        self.filters_key += 1
        self._reset_pages()
        self.loading = True
        self.item_loading = bool(item)
        yield
        await self._on_load()
        if item:
            if isinstance(item, str) and len(item) <= 64:
                await self._show_item(item.strip())
            else:
                self.item_loading = False
                self.item_error = "That link does not name a valid item."
        await self._read("")

    async def _apply(self, wanted: dict[str, str]):
        """Show the first page for the filters ``wanted``; keep the previous ones if they are refused or
        the read fails (the message goes under the filter bar)."""
        try:
            active = self._count_filters(wanted)
        except InvalidInput as exc:
            self.filter_error = str(exc)
            return
        previous, previous_active = dict(self.filters), self.active_filters
        self.filters, self.active_filters, self.filter_error = wanted, active, ""
        self._reset_pages()
        self.loading = True
        yield
        if not await self._read(""):
            self.filters, self.active_filters = previous, previous_active
            return
        yield self._sync_url()

    @guarded(SCREEN)
    async def apply_filters(self, form_data: Any):
        try:  # an unreadable form: the message goes under the filter bar too
            wanted = form_fields(form_data, self.spec.filter_keys, max_length=self.spec.max_filter)
        except InvalidInput as exc:
            self.filter_error = str(exc)
            return
        async for event in self._apply(wanted):
            yield event

    @guarded(SCREEN)
    async def set_filter(self, name: Any, value: Any):
        """One filter from a control that applies at once (a select, a switch, a search box that waits
        for a pause in typing); the other filters stay. A switch sends True/False: "yes" or ""."""
        key = choice_arg(name, self.spec.filter_keys, "filter")
        if isinstance(value, bool):
            value = "yes" if value else ""
        wanted = {k: self.filters.get(k, "") for k in self.spec.filter_keys}
        try:
            wanted.update(form_fields({key: value}, (key,), max_length=self.spec.max_filter))
        except InvalidInput as exc:
            self.filter_error = str(exc)
            return
        async for event in self._apply(wanted):
            yield event

    async def _filter_by(self, wanted: dict[str, str]):
        """Show the first page filtered by exactly ``wanted`` (the other filters cleared), with the form
        and the URL in step: Clear, or a preset such as a count card. Refuses an invalid ``wanted``."""
        filters = {key: wanted.get(key, "") for key in self.spec.filter_keys}
        self.active_filters = self._count_filters(filters) if any(filters.values()) else 0
        self.filters = filters
        self.filter_error = ""
        self.filters_key += 1
        self._reset_pages()
        self.loading = True
        yield
        await self._read("")
        yield self._sync_url()

    @guarded(SCREEN)
    async def clear_filters(self):
        async for event in self._filter_by({}):
            yield event

    @guarded(SCREEN)
    async def next_page(self):
        if not self._next_cursor:
            return
        self.loading = True
        yield
        start = self._next_cursor
        if await self._read(start):
            self._starts = [*self._starts[: self.page_number], start]
            self.page_number += 1

    @guarded(SCREEN)
    async def prev_page(self):
        if self.page_number <= 1:
            return
        self.loading = True
        yield
        starts = self._starts or [""]
        index = max(0, min(self.page_number - 2, len(starts) - 1))
        if await self._read(starts[index]):
            self.page_number = index + 1

    @guarded(SCREEN)
    async def first_page(self):
        self.loading = True
        yield
        if await self._read(""):
            self._reset_pages()

    @guarded(SCREEN)
    async def refresh(self):
        self.loading = True
        yield
        await self._reload()

    @guarded(SCREEN)
    async def open_item(self, item_id: Any):
        wanted = id_arg(item_id)
        self.item_loading = True
        yield
        if await self._show_item(wanted):
            yield self._sync_url()
        else:
            yield rx.toast.error(self.item_error)

    @guarded(SCREEN)
    async def close_item(self):
        leaving = self.open_id
        self._forget_item()
        self.loading = True
        yield
        if leaving:
            await self._closing_item(leaving)
        await self._reload()
        yield self._sync_url()
