"""Portfolios (``/portfolios``, ``Perm.PORTFOLIOS_VIEW``: managers and administrators).

- Overview: AUM over time, the crypto / stock / cash split, daily and monthly PnL, net flows against
  market effect, drawdown of the time-weighted (flow-adjusted) index, top movers; ranges 1M .. All and a
  validated custom range. Read from the daily totals the snapshot job keeps (``services.portfolios``).
- A client: found by name or e-mail (at most 20 results), or opened from a mover or by URL
  (``/portfolios?client=<portfolio or user id>``): value over time with missing days as gaps (and
  listed), allocation, holdings, time-weighted return and drawdown for the range, recent trades and
  transactions.
- Every chart exports its data as CSV (``Perm.PORTFOLIOS_EXPORT``, audited).

Every public handler is guarded and validates its arguments. The browser gets formatted strings and
small figures (template "none", at most ~400 points each); the selected client's id stays backend-only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import plotly.graph_objects as go
import reflex as rx

from dashboard.ui import screens as routes
from dashboard.ui.components import error_callout, layout, page_header
from dashboard.ui.components.chart import (
    PALETTE,
    bar_figure,
    chart_card,
    donut_figure,
    drawdown_figure,
    empty_figure,
    line_figure,
    stacked_area_figure,
)
from dashboard.ui.components.data_table import data_table, labelled
from dashboard.ui.components.page import empty_state
from dashboard.db import run_db
from dashboard.core.permissions import Perm
from dashboard.services import portfolios as svc
from dashboard.core.errors import DomainError, InvalidInput, NotAuthenticated
from dashboard.ui.auth_state import AuthState, current_actor, guarded

log = logging.getLogger(__name__)

SCREEN = routes.screen_for(routes.PORTFOLIOS)
LOAD_ERROR = "The portfolio figures could not be read from the database. Try again in a moment."
EXPORT_PERMISSION = Perm.PORTFOLIOS_EXPORT.value


# --- building the view (worker thread) ------------------------------------------------------------
def _iso(days) -> list[str]:
    return [d.isoformat() for d in days]


def _gap_labels(gaps) -> list[str]:
    out = []
    for a, b in gaps:
        n = (b - a).days + 1
        out.append(a.isoformat() if n == 1 else f"{a.isoformat()} to {b.isoformat()} ({n} days)")
    return out


def _overview_view(ov: svc.Overview) -> dict[str, Any]:
    x = _iso(ov.days)

    def ds(ys):
        return svc.downsample(x, ys)

    dx, total = ds(ov.total)
    _, crypto = ds(ov.crypto)
    _, stock = ds(ov.stock)
    _, cash = ds(ov.cash)
    _, pnl = ds(ov.daily_pnl)
    cum_flow, cum_market, f_acc, m_acc = [], [], 0.0, 0.0
    for f, p, t in zip(ov.net_flow, ov.daily_pnl, ov.total):
        f_acc += float(f or 0)
        m_acc += float(p or 0)
        cum_flow.append(f_acc if t is not None else None)
        cum_market.append(m_acc if t is not None else None)
    _, cum_flow = ds(cum_flow)
    _, cum_market = ds(cum_market)
    dd = [d if t is not None else None for d, t in zip(ov.drawdown, ov.total)]
    _, dd = ds(dd)
    return {
        "stats": ov.stats(),
        "movers": ov.movers,
        "gaps": _gap_labels(ov.missing) + _gap_labels(svc.gap_ranges(ov.days, [None if d in set(ov.incomplete) else 1
                                                                             for d in ov.days]))
        if ov.incomplete else _gap_labels(ov.missing),
        "has_data": ov.has_data,
        "aum_fig": line_figure(dx, [("AUM", total, PALETTE["total"])], fill=True),
        "split_fig": stacked_area_figure(dx, [("Crypto", crypto, PALETTE["crypto"]), ("Stocks", stock, PALETTE["stock"]),
                                              ("Cash", cash, PALETTE["cash"])]),
        "pnl_fig": bar_figure(dx, pnl, name="Daily PnL"),
        "monthly_fig": bar_figure([m for m, _ in ov.monthly], [v for _, v in ov.monthly], name="Monthly PnL",
                                  date_axis=False),
        "flows_fig": line_figure(dx, [("Net flows", cum_flow, PALETTE["flow"]),
                                      ("Market effect", cum_market, PALETTE["market"])]),
        "drawdown_fig": drawdown_figure(dx, dd),
    }


def _client_view(cd: svc.ClientDetail) -> dict[str, Any]:
    s = cd.series
    x = _iso(s.days)
    dx, total = svc.downsample(x, s.total)
    _, dd = svc.downsample(x, [d if t is not None else None for d, t in zip(s.drawdown, s.total)])
    return {
        "client": cd.info,
        "holdings": cd.holdings,
        "trades": cd.trades,
        "transactions": cd.transactions,
        "gaps": _gap_labels(s.missing),
        "value_fig": line_figure(dx, [("Value", total, PALETTE["total"])]),
        "dd_fig": drawdown_figure(dx, dd),
        "alloc_fig": donut_figure([label for label, _ in cd.allocation], [v for _, v in cd.allocation]),
    }


def _load_overview(session, *, actor, range_name, date_from, date_to) -> dict[str, Any]:
    return _overview_view(svc.overview(session, actor=actor, range_name=range_name, date_from=date_from,
                                       date_to=date_to))


def _load_client(session, *, actor, ref, range_name, date_from, date_to) -> dict[str, Any]:
    return _client_view(svc.client_detail(session, actor=actor, ref=ref, range_name=range_name,
                                          date_from=date_from, date_to=date_to))


def _form_text(form_data: Any, name: str) -> str:
    if not isinstance(form_data, Mapping):
        raise InvalidInput("The form could not be read. Reload the page and try again.")
    value = form_data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > 200:
        raise InvalidInput("The form could not be read. Reload the page and try again.")
    return value.strip()


# --- state ----------------------------------------------------------------------------------------
class PortfoliosState(AuthState):
    range_name: str = svc.DEFAULT_RANGE
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

    async def _refresh_overview(self) -> bool:
        try:
            view = await run_db(_load_overview, actor=current_actor(), **self._range_args())
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.range_error = str(exc)
            return False
        except Exception:
            log.exception("portfolios: loading the overview failed")
            self.error = LOAD_ERROR
            return False
        finally:
            self.loading = False
        self.error = ""
        self.stats = view["stats"]
        self.movers = view["movers"]
        self.overview_gaps = view["gaps"]
        self.has_data = view["has_data"]
        for name in ("aum_fig", "split_fig", "pnl_fig", "monthly_fig", "flows_fig", "drawdown_fig"):
            setattr(self, name, view[name])
        return True

    async def _refresh_client(self, ref: str) -> bool:
        try:
            view = await run_db(_load_client, actor=current_actor(), ref=ref, **self._range_args())
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.client_error = str(exc)
            return False
        except Exception:
            log.exception("portfolios: loading a client failed")
            self.client_error = LOAD_ERROR
            return False
        finally:
            self.client_loading = False
        self.client_error = ""
        self._client_ref = view["client"]["portfolio_id"]
        self.client = view["client"]
        self.holdings = view["holdings"]
        self.trades = view["trades"]
        self.transactions = view["transactions"]
        self.client_gaps = view["gaps"]
        self.value_fig = view["value_fig"]
        self.dd_fig = view["dd_fig"]
        self.alloc_fig = view["alloc_fig"]
        self.client_open = True
        return True

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
                self.client_error = self.client_error or "That is not a portfolio or customer id"
        await self._refresh_overview()

    @guarded(Perm.PORTFOLIOS_VIEW)
    async def set_range(self, name: Any):
        """One of the named ranges (1M, 3M, 6M, YTD, 1Y, All)."""
        if not isinstance(name, str) or name not in svc.RANGES:
            self.range_error = f"Unknown range; choose one of {', '.join(svc.RANGES)}"
            return
        previous = (self.range_name, self.custom_from, self.custom_to)
        self.range_name, self.custom_from, self.custom_to = name, "", ""
        self.range_error = ""
        self.loading = True
        self.client_loading = self.client_open
        yield
        ok = await self._refresh_overview()
        if ok and self.client_open and self._client_ref:
            await self._refresh_client(self._client_ref)
        if not ok:
            self.range_name, self.custom_from, self.custom_to = previous

    @guarded(Perm.PORTFOLIOS_VIEW)
    async def apply_custom_range(self, form_data: Any):
        """The custom range form (``date_from``, ``date_to`` as YYYY-MM-DD), validated before reading."""
        try:
            start, end = _form_text(form_data, "date_from"), _form_text(form_data, "date_to")
            svc.resolve_range(svc.CUSTOM, start, end, first=None, last=None)
        except InvalidInput as exc:
            self.range_error = str(exc)
            return
        previous = (self.range_name, self.custom_from, self.custom_to)
        self.range_name, self.custom_from, self.custom_to = svc.CUSTOM, start, end
        self.range_error = ""
        self.loading = True
        self.client_loading = self.client_open
        yield
        ok = await self._refresh_overview()
        if ok and self.client_open and self._client_ref:
            await self._refresh_client(self._client_ref)
        if not ok:
            self.range_name, self.custom_from, self.custom_to = previous

    @guarded(Perm.PORTFOLIOS_VIEW)
    async def search(self, form_data: Any):
        """The client search form (``query``: name, e-mail or id); at most 20 results."""
        try:
            query = _form_text(form_data, "query")
            results = await run_db(svc.search_clients, actor=current_actor(), query=query)
        except NotAuthenticated:
            raise
        except DomainError as exc:
            self.search_error = str(exc)
            self.search_results = []
            self.searched = False
            return
        except Exception:
            log.exception("portfolios: search failed")
            self.search_error = "The search could not run. Try again in a moment."
            return
        self.search_error = ""
        self.search_results = results
        self.searched = True

    @guarded(Perm.PORTFOLIOS_VIEW)
    async def open_client(self, ref: Any):
        """Open a client by portfolio or user id (from search results or movers)."""
        try:
            svc.parse_ref(ref)
        except InvalidInput as exc:
            self.client_error = str(exc)
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
        """One chart's data (current range; client charts for the open client) as a CSV download."""
        if not isinstance(chart, str) or chart not in svc.CHARTS:
            yield rx.toast.error("Unknown chart to export.")
            return
        if chart in svc.CLIENT_CHARTS and not self._client_ref:
            yield rx.toast.error("Open a client first.")
            return
        self.exporting = chart
        yield
        try:
            filename, data = await run_db(svc.export_csv, actor=current_actor(), chart=chart,
                                          client=self._client_ref or None, **self._range_args())
        except DomainError:
            raise
        except Exception:
            log.exception("portfolios: export failed")
            yield rx.toast.error("The export could not be made (database error). Try again in a moment.")
            return
        finally:
            self.exporting = ""
        yield rx.download(data=data, filename=filename, mime_type="text/csv")


S = PortfoliosState


# --- page -----------------------------------------------------------------------------------------
def _stat(label: str, key: str, test_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="1", weight="medium", color="var(--gray-11)"),
            rx.skeleton(
                rx.text(S.stats.get(key, "—"), size="5", weight="bold",
                        style={"font_variant_numeric": "tabular-nums"}),
                loading=S.loading,
            ),
            spacing="1",
        ),
        size="1",
        custom_attrs={"data-testid": test_id},
    )


def _range_bar() -> rx.Component:
    buttons = [
        rx.button(name, size="1", variant=rx.cond(S.range_name == name, "solid", "soft"),
                  on_click=S.set_range(name), custom_attrs={"data-testid": f"range-{name}",
                                                            "aria-pressed": rx.cond(S.range_name == name, "true", "false")})
        for name in svc.RANGES
    ]
    custom = rx.form(
        rx.hstack(
            labelled("From", rx.input(id="date_from", name="date_from", type="date", size="1",
                                      default_value=S.custom_from), html_for="date_from"),
            labelled("To", rx.input(id="date_to", name="date_to", type="date", size="1",
                                    default_value=S.custom_to), html_for="date_to"),
            rx.button("Apply", type="submit", size="1", variant=rx.cond(S.range_name == svc.CUSTOM, "solid", "soft"),
                      custom_attrs={"data-testid": "range-apply"}),
            align="end",
            spacing="2",
        ),
        on_submit=S.apply_custom_range,
        reset_on_submit=False,
    )
    return rx.vstack(
        rx.flex(rx.hstack(*buttons, spacing="1"), custom, justify="between", align="end", wrap="wrap", gap="3",
                width="100%"),
        rx.cond(S.range_error != "", rx.text(S.range_error, size="2", color="var(--red-11)", role="alert",
                                             custom_attrs={"data-testid": "range-error"})),
        rx.text("Period: ", S.stats.get("period", ""), size="1", color="var(--gray-11)",
                custom_attrs={"data-testid": "period"}),
        spacing="2",
        width="100%",
        margin_bottom="1rem",
    )


def _search() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.form(
                rx.hstack(
                    rx.input(id="client-search", name="query", placeholder="Find a client by name or e-mail",
                             size="2", width="22rem", max_length=100),
                    rx.button(rx.icon("search", size=15), "Search", type="submit", size="2", variant="soft",
                              custom_attrs={"data-testid": "search-submit"}),
                    spacing="2",
                ),
                on_submit=S.search,
                reset_on_submit=False,
            ),
            rx.cond(S.search_error != "", rx.text(S.search_error, size="2", color="var(--red-11)", role="alert")),
            rx.cond(
                S.searched,
                rx.cond(
                    S.search_results.length() > 0,
                    rx.flex(
                        rx.foreach(S.search_results, _search_hit),
                        gap="2",
                        wrap="wrap",
                    ),
                    rx.text("No client matches.", size="2", color="var(--gray-11)"),
                ),
            ),
            spacing="2",
            width="100%",
        ),
        size="1",
        width="100%",
        margin_bottom="1rem",
    )


def _search_hit(row: rx.Var) -> rx.Component:
    return rx.button(
        rx.vstack(rx.text(row["name"], size="2", weight="medium"), rx.text(row["email"], size="1"),
                  spacing="0", align="start"),
        variant="surface",
        color_scheme="gray",
        height="auto",
        padding_y="0.35rem",
        on_click=S.open_client(row["portfolio_id"]),
        custom_attrs={"data-testid": "search-hit"},
    )


def _can_export() -> rx.Var:
    return S.officer_permissions.contains(EXPORT_PERMISSION)


def _chart(title: str, fig: rx.Var, chart: str, subtitle: str = "", test_id: str = "") -> rx.Component:
    """A chart card whose "CSV" button exports ``chart`` (two cards may share one export)."""
    return chart_card(title, fig, subtitle=subtitle, on_export=S.export_chart(chart), can_export=_can_export(),
                      exporting=S.exporting == chart, test_id=test_id or f"chart-{chart}")


def _mover_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(row["name"], href="#", on_click=S.open_client(row["portfolio_id"]),
                              custom_attrs={"data-testid": "mover-link"})),
        rx.table.cell(rx.text(row["email"], size="1", color="var(--gray-11)")),
        rx.table.cell(row["value"], text_align="right"),
        rx.table.cell(rx.text(row["pnl"], color=rx.cond(row["side"] == "gain", "var(--green-11)", "var(--red-11)")),
                      text_align="right"),
        rx.table.cell(row["pnl_pct"], text_align="right"),
        custom_attrs={"data-testid": "mover-row"},
    )


def _gaps_note(gaps: rx.Var, test_id: str) -> rx.Component:
    return rx.cond(
        gaps.length() > 0,
        rx.callout.root(
            rx.callout.icon(rx.icon("calendar_x")),
            rx.callout.text(
                rx.text("Missing snapshot days (shown as gaps, not interpolated): ", weight="medium", as_="span"),
                rx.foreach(gaps, lambda g: rx.badge(g, variant="soft", color_scheme="amber", margin_right="0.25rem")),
            ),
            color_scheme="amber",
            variant="surface",
            size="1",
            custom_attrs={"data-testid": test_id},
        ),
    )


def _overview() -> rx.Component:
    return rx.vstack(
        rx.grid(
            _stat("Assets under management", "aum", "stat-aum"),
            _stat("Portfolios", "portfolios", "stat-portfolios"),
            _stat("Net flows (period)", "net_flows", "stat-flows"),
            _stat("Market effect (period)", "market_effect", "stat-market"),
            _stat("Time-weighted return", "twr", "stat-twr"),
            _stat("Max drawdown", "max_drawdown", "stat-drawdown"),
            columns=rx.breakpoints(initial="2", md="3", lg="6"),
            spacing="3",
            width="100%",
        ),
        _gaps_note(S.overview_gaps, "overview-gaps"),
        rx.cond(
            S.has_data,
            rx.vstack(
                rx.grid(
                    _chart("Assets under management", S.aum_fig, "aum", "Sum of every portfolio's daily snapshot"),
                    _chart("Crypto / stocks / cash", S.split_fig, "aum", "Stacked", test_id="chart-split"),
                    _chart("Daily PnL", S.pnl_fig, "pnl_daily", "Value change minus net flows"),
                    _chart("Monthly PnL", S.monthly_fig, "pnl_monthly"),
                    _chart("Net flows vs market effect", S.flows_fig, "flows", "Cumulative over the period"),
                    _chart("Drawdown", S.drawdown_fig, "drawdown", "From the high-water mark of the time-weighted index"),
                    columns=rx.breakpoints(initial="1", lg="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.hstack(
                    rx.heading("Top movers", as_="h2", size="4"),
                    rx.cond(_can_export(), rx.button(rx.icon("download", size=14), "CSV", size="1", variant="soft",
                                                     color_scheme="gray", on_click=S.export_chart("movers"),
                                                     custom_attrs={"data-testid": "chart-movers-export"})),
                    justify="between",
                    width="100%",
                    margin_top="0.5rem",
                ),
                data_table(
                    ["Client", "E-mail", ("Value", "9rem"), ("PnL (period)", "10rem"), ("PnL %", "7rem")],
                    S.movers,
                    _mover_row,
                    loading=S.loading,
                    is_empty=S.movers.length() == 0,
                    empty=empty_state("No movers", "No portfolio changed value in this period.", "chart-line"),
                    caption="Top movers",
                    test_id="movers-table",
                ),
                spacing="3",
                width="100%",
            ),
            empty_state("No snapshots yet", "Run `python -m dashboard.cli snapshot` to build the daily snapshots.",
                        "chart-line"),
        ),
        spacing="3",
        width="100%",
        custom_attrs={"data-testid": "overview"},
    )


def _fact(label: str, key: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color="var(--gray-11)"),
        rx.text(S.client.get(key, ""), size="3", weight="bold", style={"font_variant_numeric": "tabular-nums"},
                custom_attrs={"data-testid": f"client-{key}"}),
        spacing="0",
    )


def _holding_row(row: rx.Var) -> rx.Component:
    tone = rx.match(row["tone"], ("green", "var(--green-11)"), ("red", "var(--red-11)"), "var(--gray-12)")
    return rx.table.row(
        rx.table.cell(rx.vstack(rx.text(row["symbol"], weight="medium"), rx.text(row["name"], size="1",
                                                                                 color="var(--gray-11)"), spacing="0")),
        rx.table.cell(row["asset_type"]),
        rx.table.cell(row["quantity"], text_align="right"),
        rx.table.cell(row["avg_price"], text_align="right"),
        rx.table.cell(row["price"], text_align="right"),
        rx.table.cell(row["value"], text_align="right"),
        rx.table.cell(rx.text(row["pnl"], color=tone), text_align="right"),
        rx.table.cell(rx.text(row["pnl_pct"], color=tone), text_align="right"),
        custom_attrs={"data-testid": "holding-row"},
    )


def _trade_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["when"]), rx.table.cell(row["type"]), rx.table.cell(row["symbol"]),
        rx.table.cell(row["quantity"], text_align="right"), rx.table.cell(row["price"], text_align="right"),
        rx.table.cell(row["value"], text_align="right"),
        custom_attrs={"data-testid": "trade-row"},
    )


def _tx_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["when"]), rx.table.cell(row["reference"]), rx.table.cell(row["type"]),
        rx.table.cell(row["method"]), rx.table.cell(row["status"]), rx.table.cell(row["amount"], text_align="right"),
        custom_attrs={"data-testid": "transaction-row"},
    )


def _client() -> rx.Component:
    return rx.vstack(
        rx.card(
            rx.flex(
                rx.vstack(
                    rx.heading(S.client.get("name", ""), as_="h2", size="5", custom_attrs={"data-testid": "client-name"}),
                    rx.text(S.client.get("email", ""), " · ", S.client.get("account_type", ""), " account", size="2",
                            color="var(--gray-11)"),
                    spacing="1",
                ),
                rx.button(rx.icon("arrow_left", size=15), "Back to overview", variant="soft", color_scheme="gray",
                          on_click=S.close_client, custom_attrs={"data-testid": "close-client"}),
                justify="between",
                align="start",
                width="100%",
            ),
            rx.grid(
                _fact("Value", "value"), _fact("Cash", "cash"), _fact("Invested", "invested"),
                _fact("All-time PnL", "all_time_pnl"), _fact("Time-weighted return (period)", "twr"),
                _fact("Max drawdown (period)", "max_drawdown"),
                columns=rx.breakpoints(initial="2", md="3", lg="6"),
                spacing="3",
                margin_top="1rem",
                width="100%",
            ),
            width="100%",
        ),
        _gaps_note(S.client_gaps, "client-gaps"),
        rx.grid(
            _chart("Value over time", S.value_fig, "client_value", "Daily snapshots; missing days are gaps"),
            chart_card("Allocation", S.alloc_fig, subtitle="Holdings at current prices, and cash",
                       test_id="chart-allocation"),
            _chart("Drawdown", S.dd_fig, "client_value", "Time-weighted, from the high-water mark",
                   test_id="chart-client_drawdown"),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="3",
            width="100%",
        ),
        rx.hstack(
            rx.heading("Holdings", as_="h2", size="4"),
            rx.cond(_can_export(), rx.button(rx.icon("download", size=14), "CSV", size="1", variant="soft",
                                             color_scheme="gray", on_click=S.export_chart("client_holdings"),
                                             custom_attrs={"data-testid": "chart-client_holdings-export"})),
            justify="between", width="100%", margin_top="0.5rem",
        ),
        data_table(
            ["Asset", "Type", "Quantity", "Avg buy price", "Current price", "Value", "PnL", "PnL %"],
            S.holdings, _holding_row, loading=S.client_loading, is_empty=S.holdings.length() == 0,
            empty=empty_state("No holdings", "This portfolio holds only cash.", "wallet"),
            caption="Holdings", test_id="holdings-table",
        ),
        rx.heading("Recent trades", as_="h2", size="4", margin_top="0.5rem"),
        data_table(
            ["Executed (UTC)", "Side", "Symbol", "Quantity", "Price", "Value"],
            S.trades, _trade_row, loading=S.client_loading, is_empty=S.trades.length() == 0,
            empty=empty_state("No trades", "No trade was executed for this portfolio.", "arrow-left-right"),
            caption="Recent trades", test_id="trades-table",
        ),
        rx.heading("Recent transactions", as_="h2", size="4", margin_top="0.5rem"),
        data_table(
            ["Created (UTC)", "Reference", "Type", "Method", "Status", "Amount (USD)"],
            S.transactions, _tx_row, loading=S.client_loading, is_empty=S.transactions.length() == 0,
            empty=empty_state("No transactions", "This client has no deposits or withdrawals.", "banknote"),
            caption="Recent transactions", test_id="transactions-table",
        ),
        spacing="3",
        width="100%",
        custom_attrs={"data-testid": "client-panel"},
    )


def portfolios_page() -> rx.Component:
    return layout(
        page_header(SCREEN.title, SCREEN.summary),
        rx.cond(S.error != "", error_callout(S.error)),
        _search(),
        _range_bar(),
        rx.cond(S.client_error != "", error_callout(S.client_error)),
        rx.cond(
            S.client_loading & ~S.client_open,
            rx.center(rx.spinner(size="3"), padding="2rem"),
        ),
        rx.cond(S.client_open, _client(), _overview()),
        active=SCREEN.route,
    )


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
