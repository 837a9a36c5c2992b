"""Portfolios: the screen's figures, built from the query results in the worker thread.

Each figure is small on the wire (template "none", at most ``MAX_POINTS`` points: long ranges are
downsampled without bridging a gap). ``overview_view`` / ``client_view`` run one query and return what
the state shows, keyed by the state's var names.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from dashboard.core.actor import Actor
from dashboard.portfolios import queries
from dashboard.portfolios.rules import downsample, gap_labels, gap_ranges, iso_days
from dashboard.ui.components.chart import (
    PALETTE,
    bar_figure,
    donut_figure,
    drawdown_figure,
    line_figure,
    stacked_area_figure,
)

def _cumulative(ov: queries.Overview) -> tuple[list[float | None], list[float | None]]:
    """Net flows and market effect summed over the range (None on the days without a total)."""
    cum_flow, cum_market, f_acc, m_acc = [], [], 0.0, 0.0
    for f, p, t in zip(ov.net_flow, ov.daily_pnl, ov.total):
        f_acc += float(f or 0)
        m_acc += float(p or 0)
        cum_flow.append(f_acc if t is not None else None)
        cum_market.append(m_acc if t is not None else None)
    return cum_flow, cum_market


def _overview_gaps(ov: queries.Overview) -> list[str]:
    if not ov.incomplete:
        return gap_labels(ov.missing)
    incomplete = set(ov.incomplete)
    return gap_labels(ov.missing) + gap_labels(gap_ranges(ov.days, [None if d in incomplete else 1 for d in ov.days]))


def _drawdown_with_gaps(drawdown: list[float], total: list[Any]) -> list[float | None]:
    return [d if t is not None else None for d, t in zip(drawdown, total)]


def overview_figures(ov: queries.Overview) -> dict[str, Any]:
    x = iso_days(ov.days)

    def ds(ys):
        return downsample(x, ys)

    dx, total = ds(ov.total)
    _, crypto = ds(ov.crypto)
    _, stock = ds(ov.stock)
    _, cash = ds(ov.cash)
    _, pnl = ds(ov.daily_pnl)
    flow, market = _cumulative(ov)
    _, cum_flow = ds(flow)
    _, cum_market = ds(market)
    _, dd = ds(_drawdown_with_gaps(ov.drawdown, ov.total))
    return {
        "stats": ov.stats(),
        "movers": ov.movers,
        "overview_gaps": _overview_gaps(ov),
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


def client_figures(cd: queries.ClientDetail) -> dict[str, Any]:
    s = cd.series
    x = iso_days(s.days)
    dx, total = downsample(x, s.total)
    _, dd = downsample(x, _drawdown_with_gaps(s.drawdown, s.total))
    return {
        "client": cd.info,
        "holdings": cd.holdings,
        "trades": cd.trades,
        "transactions": cd.transactions,
        "client_gaps": gap_labels(s.missing),
        "value_fig": line_figure(dx, [("Value", total, PALETTE["total"])]),
        "dd_fig": drawdown_figure(dx, dd),
        "alloc_fig": donut_figure([label for label, _ in cd.allocation], [v for _, v in cd.allocation]),
    }


def overview_view(session: Session, *, actor: Actor, **range_args: Any) -> dict[str, Any]:
    """The overview for a range (``queries.overview``, permission checked there) as the page shows it."""
    return overview_figures(queries.overview(session, actor=actor, **range_args))


def client_view(session: Session, *, actor: Actor, ref: Any, **range_args: Any) -> dict[str, Any]:
    """One client for a range (``queries.client_detail``, permission checked there) as the page shows it."""
    return client_figures(queries.client_detail(session, actor=actor, ref=ref, **range_args))
