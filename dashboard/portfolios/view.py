"""Portfolios (``/portfolios``): the page: a client search, the range bar, then the book's overview
(stats, charts, top movers) or the open client (facts, charts, holdings, trades, transactions).

The browser gets formatted strings and small figures; every chart card's "CSV" button exports its data
for officers holding ``portfolios.export``.
"""

from __future__ import annotations

import reflex as rx

from dashboard.core.permissions import Perm
from dashboard.portfolios import rules
from dashboard.portfolios.state import PortfoliosState as S
from dashboard.ui import screens
from dashboard.ui.components import error_callout, layout, page_header
from dashboard.ui.components.chart import chart_card, export_heading
from dashboard.ui.components.data_table import data_table, labelled
from dashboard.ui.components.page import empty_state

SCREEN = screens.PORTFOLIOS_SCREEN
EXPORT_PERMISSION = Perm.PORTFOLIOS_EXPORT.value


def _can_export() -> rx.Var:
    return S.officer_permissions.contains(EXPORT_PERMISSION)


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
        for name in rules.RANGES
    ]
    custom = rx.form(
        rx.hstack(
            labelled("From", rx.input(id="date_from", name="date_from", type="date", size="1",
                                      default_value=S.custom_from), html_for="date_from"),
            labelled("To", rx.input(id="date_to", name="date_to", type="date", size="1",
                                    default_value=S.custom_to), html_for="date_to"),
            rx.button("Apply", type="submit", size="1", variant=rx.cond(S.range_name == rules.CUSTOM, "solid", "soft"),
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
        spacing="2", width="100%", margin_bottom="1rem",
    )


def _search() -> rx.Component:
    hits = rx.cond(
        S.search_results.length() > 0,
        rx.flex(rx.foreach(S.search_results, _search_hit), gap="2", wrap="wrap"),
        rx.text("No client matches.", size="2", color="var(--gray-11)"),
    )
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
            rx.cond(S.searched, hits),
            spacing="2", width="100%",
        ),
        size="1", width="100%", margin_bottom="1rem",
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


def _chart(title: str, fig: rx.Var, chart: str, subtitle: str = "", test_id: str = "") -> rx.Component:
    """A chart card whose "CSV" button exports ``chart`` (two cards may share one export)."""
    return chart_card(title, fig, subtitle=subtitle, on_export=S.export_chart(chart), can_export=_can_export(),
                      exporting=S.exporting == chart, test_id=test_id or f"chart-{chart}")


def _heading(title: str, chart: str) -> rx.Component:
    """A table's heading with the "CSV" button exporting ``chart``."""
    return export_heading(title, S.export_chart(chart), can_export=_can_export(), test_id=f"chart-{chart}",
                          exporting=S.exporting == chart)


def _mover_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.button(row["name"], on_click=S.open_client(row["portfolio_id"]), variant="ghost", size="2",
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
    charts = rx.grid(
        _chart("Assets under management", S.aum_fig, "aum", "Sum of every portfolio's daily snapshot"),
        _chart("Crypto / stocks / cash", S.split_fig, "aum", "Stacked", test_id="chart-split"),
        _chart("Daily PnL", S.pnl_fig, "pnl_daily", "Value change minus net flows"),
        _chart("Monthly PnL", S.monthly_fig, "pnl_monthly"),
        _chart("Net flows vs market effect", S.flows_fig, "flows", "Cumulative over the period"),
        _chart("Drawdown", S.drawdown_fig, "drawdown", "From the high-water mark of the time-weighted index"),
        columns=rx.breakpoints(initial="1", lg="2"), spacing="3", width="100%",
    )
    movers = data_table(
        ["Client", "E-mail", ("Value", "9rem"), ("PnL (period)", "10rem"), ("PnL %", "7rem")],
        S.movers, _mover_row, loading=S.loading, is_empty=S.movers.length() == 0,
        empty=empty_state("No movers", "No portfolio changed value in this period.", "chart-line"),
        caption="Top movers", test_id="movers-table",
    )
    return rx.vstack(
        rx.grid(
            _stat("Assets under management", "aum", "stat-aum"),
            _stat("Portfolios", "portfolios", "stat-portfolios"),
            _stat("Net flows (period)", "net_flows", "stat-flows"),
            _stat("Market effect (period)", "market_effect", "stat-market"),
            _stat("Time-weighted return", "twr", "stat-twr"),
            _stat("Max drawdown", "max_drawdown", "stat-drawdown"),
            columns=rx.breakpoints(initial="2", md="3", lg="6"), spacing="3", width="100%",
        ),
        _gaps_note(S.overview_gaps, "overview-gaps"),
        rx.cond(
            S.has_data,
            rx.vstack(charts, _heading("Top movers", "movers"), movers, spacing="3", width="100%"),
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


def _plain_row(keys: tuple[str, ...], right: tuple[str, ...], test_id: str):
    """A row drawer: one cell per key, the ``right`` ones right-aligned (numbers)."""
    def draw(row: rx.Var) -> rx.Component:
        return rx.table.row(*[rx.table.cell(row[k], text_align="right") if k in right else rx.table.cell(row[k])
                              for k in keys], custom_attrs={"data-testid": test_id})
    return draw


_trade_row = _plain_row(("when", "type", "symbol", "quantity", "price", "value"), ("quantity", "price", "value"),
                        "trade-row")
_tx_row = _plain_row(("when", "reference", "type", "method", "status", "amount"), ("amount",), "transaction-row")


def _client_table(columns: list[str], rows: rx.Var, draw, empty: rx.Component, caption: str,
                  test_id: str) -> rx.Component:
    return data_table(columns, rows, draw, loading=S.client_loading, is_empty=rows.length() == 0, empty=empty,
                      caption=caption, test_id=test_id)


def _client_card() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.heading(S.client.get("name", ""), as_="h2", size="5", custom_attrs={"data-testid": "client-name"}),
                rx.text(S.client.get("email", ""), " · ", S.client.get("account_type", ""), " account", size="2",
                        color="var(--gray-11)"),
                spacing="1",
            ),
            rx.button(rx.icon("arrow_left", size=15), "Back to overview", variant="soft", color_scheme="gray",
                      on_click=S.close_client, custom_attrs={"data-testid": "close-client"}),
            justify="between", align="start", width="100%",
        ),
        rx.grid(
            _fact("Value", "value"), _fact("Cash", "cash"), _fact("Invested", "invested"),
            _fact("All-time PnL", "all_time_pnl"), _fact("Time-weighted return (period)", "twr"),
            _fact("Max drawdown (period)", "max_drawdown"),
            columns=rx.breakpoints(initial="2", md="3", lg="6"), spacing="3", margin_top="1rem", width="100%",
        ),
        width="100%",
    )


def _client() -> rx.Component:
    return rx.vstack(
        _client_card(),
        _gaps_note(S.client_gaps, "client-gaps"),
        rx.grid(
            _chart("Value over time", S.value_fig, "client_value", "Daily snapshots; missing days are gaps"),
            chart_card("Allocation", S.alloc_fig, subtitle="Holdings at current prices, and cash",
                       test_id="chart-allocation"),
            _chart("Drawdown", S.dd_fig, "client_value", "Time-weighted, from the high-water mark",
                   test_id="chart-client_drawdown"),
            columns=rx.breakpoints(initial="1", lg="2"), spacing="3", width="100%",
        ),
        _heading("Holdings", "client_holdings"),
        _client_table(["Asset", "Type", "Quantity", "Avg buy price", "Current price", "Value", "PnL", "PnL %"],
                      S.holdings, _holding_row, empty_state("No holdings", "This portfolio holds only cash.", "wallet"),
                      "Holdings", "holdings-table"),
        rx.heading("Recent trades", as_="h2", size="4", margin_top="0.5rem"),
        _client_table(["Executed (UTC)", "Side", "Symbol", "Quantity", "Price", "Value"], S.trades, _trade_row,
                      empty_state("No trades", "No trade was executed for this portfolio.", "arrow-left-right"),
                      "Recent trades", "trades-table"),
        rx.heading("Recent transactions", as_="h2", size="4", margin_top="0.5rem"),
        _client_table(["Created (UTC)", "Reference", "Type", "Method", "Status", "Amount (USD)"], S.transactions,
                      _tx_row, empty_state("No transactions", "This client has no deposits or withdrawals.", "banknote"),
                      "Recent transactions", "transactions-table"),
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
        rx.cond(S.client_loading & ~S.client_open, rx.center(rx.spinner(size="3"), padding="2rem")),
        rx.cond(S.client_open, _client(), _overview()),
        active=SCREEN.route,
    )
