"""Portfolios (``/portfolios``, ``Perm.PORTFOLIOS_VIEW``: managers and administrators): the state.

Charts and a client search, not a keyset list. The overview follows the chosen range; a client is found
by name or e-mail, opened from a mover, or by URL (``?client=<portfolio or user id>``). Every chart
exports its data as CSV (``Perm.PORTFOLIOS_EXPORT``, audited). Each handler parses its input and runs one
read (``charts.overview_view`` / ``client_view``, ``queries.search_clients``) or the export through
``AuthState._run``; the selected client's id stays backend-only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import plotly.graph_objects as go
import reflex as rx

from dashboard.core import storage
from dashboard.core.errors import InvalidInput
from dashboard.core.permissions import Perm
from dashboard.portfolios import charts, exports, queries, rules
from dashboard.ui.auth_state import AuthState, guarded
from dashboard.ui.components.chart import empty_figure
from dashboard.ui.forms import choice_arg, form_fields

LOAD_ERROR = "The portfolio figures could not be read from the database. Try again in a moment."
SEARCH_ERROR = "The search could not run. Try again in a moment."
EXPORT_ERROR = "The export could not be made (database error). Try again in a moment."
NOT_A_CLIENT = "That is not a portfolio or customer id"


def _custom_range(form_data: Any) -> tuple[str, str]:
    """The custom range form (``date_from``, ``date_to`` as YYYY-MM-DD), validated before any read."""
    form = form_fields(form_data, ("date_from", "date_to"), max_length=200)
    rules.resolve_range(rules.CUSTOM, form["date_from"], form["date_to"], first=None, last=None)
    return form["date_from"], form["date_to"]


def _search_text(form_data: Any) -> Any:
    """The search box's value as sent (``queries.search_clients`` checks it)."""
    if not isinstance(form_data, Mapping):
        raise InvalidInput("The form could not be read. Reload the page and try again.")
    return form_data.get("query")


class PortfoliosState(AuthState):
    range_name: str = rules.DEFAULT_RANGE
    custom_from: str = ""
    custom_to: str = ""
    range_error: str = ""
    loading: bool = False
    error: str = ""
    has_data: bool = True
    stats: dict[str, str] = {}
    movers: list[dict[str, str]] = []
    overview_gaps: list[str] = []
    aum_fig: go.Figure = empty_figure()
    split_fig: go.Figure = empty_figure()
    pnl_fig: go.Figure = empty_figure()
    monthly_fig: go.Figure = empty_figure()
    flows_fig: go.Figure = empty_figure()
    drawdown_fig: go.Figure = empty_figure()

    search_results: list[dict[str, str]] = []
    search_error: str = ""
    searched: bool = False

    client_open: bool = False
    client_loading: bool = False
    client_error: str = ""
    client: dict[str, str] = {}
    holdings: list[dict[str, str]] = []
    trades: list[dict[str, str]] = []
    transactions: list[dict[str, str]] = []
    client_gaps: list[str] = []
    value_fig: go.Figure = empty_figure()
    dd_fig: go.Figure = empty_figure()
    alloc_fig: go.Figure = empty_figure()
    _client_ref: str = ""  # the open client's portfolio id (backend only)

    exporting: str = ""

    # --- helpers --------------------------------------------------------------------------------
    def _range_args(self) -> dict[str, Any]:
        return {"range_name": self.range_name, "date_from": self.custom_from or None,
                "date_to": self.custom_to or None}

    def _parsed(self, into: str, parse: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
        """Parse untrusted input; a bad value becomes the message in ``into``: ``(ok, value)``."""
        try:
            return True, parse(*args)
        except InvalidInput as exc:
            setattr(self, into, str(exc))
            return False, None

    def _show(self, view: dict[str, Any]) -> None:
        """A view from ``charts``: its keys are this state's var names."""
        for name, value in view.items():
            setattr(self, name, value)

    async def _refresh_overview(self) -> bool:
        try:
            ok, view = await self._run(charts.overview_view, into="error", failure=LOAD_ERROR, **self._range_args())
        finally:
            self.loading = False
        if ok:
            self.error = ""
            self._show(view)
        return ok

    async def _refresh_client(self, ref: str) -> bool:
        try:
            ok, view = await self._run(charts.client_view, into="client_error", failure=LOAD_ERROR, ref=ref,
                                       **self._range_args())
        finally:
            self.client_loading = False
        if ok:
            self.client_error = ""
            self._show(view)
            self._client_ref = view["client"]["portfolio_id"]
            self.client_open = True
        return ok

    async def _switch_range(self, name: str, start: str = "", end: str = ""):
        """Show ``name`` (with its custom days): the overview, then the open client; a failed read keeps
        the range that was shown."""
        previous = (self.range_name, self.custom_from, self.custom_to)
        self.range_name, self.custom_from, self.custom_to = name, start, end
        self.range_error = ""
        self.loading = True
        self.client_loading = self.client_open
        yield
        ok = await self._refresh_overview()
        if ok and self.client_open and self._client_ref:
            await self._refresh_client(self._client_ref)
        if not ok:
            self.range_name, self.custom_from, self.custom_to = previous
            self.client_loading = False

    # --- handlers -------------------------------------------------------------------------------
    @guarded(Perm.PORTFOLIOS_VIEW, opens_page=True)
    async def load_portfolios(self):
        """Page load: the overview for the current range; ``?client=<id>`` also opens that client."""
        wanted = self.router.url.query_parameters.get("client", "")
        self.loading = True
        self.range_error = ""
        self.client_open = False
        self.client_error = ""
        self._client_ref = ""
        self.client_loading = bool(wanted)
        yield
        if wanted:
            if not isinstance(wanted, str) or not await self._refresh_client(wanted):
                self.client_error = self.client_error or NOT_A_CLIENT
        await self._refresh_overview()

    @guarded(Perm.PORTFOLIOS_VIEW)
    async def set_range(self, name: Any):
        """One of the named ranges (1M, 3M, 6M, YTD, 1Y, All)."""
        if not isinstance(name, str) or name not in rules.RANGES:
            self.range_error = f"Unknown range; choose one of {', '.join(rules.RANGES)}"
            return
        async for event in self._switch_range(name):
            yield event

    @guarded(Perm.PORTFOLIOS_VIEW)
    async def apply_custom_range(self, form_data: Any):
        """The custom range form (``date_from``, ``date_to`` as YYYY-MM-DD), validated before reading."""
        ok, days = self._parsed("range_error", _custom_range, form_data)
        if not ok:
            return
        async for event in self._switch_range(rules.CUSTOM, *days):
            yield event

    @guarded(Perm.PORTFOLIOS_VIEW)
    async def search(self, form_data: Any):
        """The client search form (``query``: name, e-mail or id); at most 20 results."""
        ok, query = self._parsed("search_error", _search_text, form_data)
        if ok:
            ok, results = await self._run(queries.search_clients, into="search_error", failure=SEARCH_ERROR,
                                          query=query)
        if not ok:
            self.search_results = []
            self.searched = False
            return
        self.search_error = ""
        self.search_results = results
        self.searched = True

    @guarded(Perm.PORTFOLIOS_VIEW)
    async def open_client(self, ref: Any):
        """Open a client by portfolio or user id (from search results or movers)."""
        ok, _ = self._parsed("client_error", rules.parse_ref, ref)
        if not ok:
            return
        self.client_loading = True
        yield
        await self._refresh_client(ref)

    @guarded(Perm.PORTFOLIOS_VIEW)
    async def close_client(self):
        self.client_open = False
        self.client_error = ""
        self._client_ref = ""
        self.client = {}

    @guarded(Perm.PORTFOLIOS_EXPORT)
    async def export_chart(self, chart: Any):
        """One chart's data (current range; client charts for the open client) as a CSV file, fetched once
        from ``/_download/<token>``."""
        chart = choice_arg(chart, rules.CHARTS, "chart to export")
        if chart in rules.CLIENT_CHARTS and not self._client_ref:
            yield rx.toast.error("Open a client first.")
            return
        self.exporting = chart
        yield
        try:
            _, url = await self._run(exports.export_download, failure=EXPORT_ERROR, chart=chart,
                                     client=self._client_ref or None, base=storage.root(), **self._range_args())
        finally:
            self.exporting = ""
        yield rx.download(url=url)
