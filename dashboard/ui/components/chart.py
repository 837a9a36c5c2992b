"""Small interactive Plotly charts: figure builders (plain Python, no data access) and a card to show one.

Figures stay small on the wire: ``template="none"`` (the default template is ~10 KB per figure and the
browser replaces it anyway), compact margins, values rounded to cents, and callers downsample long
series (``portfolios.rules.downsample``). Missing values are ``None`` with ``connectgaps=False``,
so Plotly breaks the line at a gap instead of drawing through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import reflex as rx

PALETTE = {"total": "#3e63dd", "crypto": "#f76b15", "stock": "#3e63dd", "cash": "#46a758",
           "gain": "#30a46c", "loss": "#e5484d", "flow": "#8e4ec6", "market": "#12a594", "dd": "#e5484d"}


def _num(values: Sequence[Any], digits: int = 2) -> list[float | None]:
    return [None if v is None else round(float(v), digits) for v in values]


def _layout(*, y_prefix: str = "$", y_format: str = ",.2f", barmode: str | None = None, height: int = 260,
            legend: bool = False) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none",
        "height": height,
        "margin": {"l": 64, "r": 12, "t": 8, "b": 32},
        "hovermode": "x unified",
        "showlegend": legend,
        "legend": {"orientation": "h", "y": 1.12, "x": 0},
        "xaxis": {"type": "date", "showgrid": False},
        "yaxis": {"tickprefix": y_prefix, "tickformat": "~s" if y_prefix == "$" else y_format,
                  "gridcolor": "#e8e8ec", "zerolinecolor": "#c8c8cf"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"size": 11},
    }
    if barmode:
        layout["barmode"] = barmode
    return layout


def _figure(traces: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    # plain dicts, validated once by plotly; no default template is merged in (template "none")
    return go.Figure(data=traces, layout=layout)


def empty_figure() -> go.Figure:
    return go.Figure(layout={"template": "none", "height": 40, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}})


def line_figure(x: Sequence[str], series: Sequence[tuple[str, Sequence[Any], str]], *, fill: bool = False,
                y_prefix: str = "$", y_format: str = ",.2f", hover_format: str = "$%{y:,.2f}",
                digits: int = 2) -> go.Figure:
    traces = [{"type": "scatter", "mode": "lines", "name": name, "x": list(x), "y": _num(ys, digits),
               "line": {"color": colour, "width": 2}, "connectgaps": False,
               "hovertemplate": f"{name}: {hover_format}<extra></extra>",
               **({"fill": "tozeroy"} if fill else {})}
              for name, ys, colour in series]
    return _figure(traces, _layout(y_prefix=y_prefix, y_format=y_format, legend=len(series) > 1))


def stacked_area_figure(x: Sequence[str], series: Sequence[tuple[str, Sequence[Any], str]]) -> go.Figure:
    """Areas stacked on the server (fill to the previous line) so a missing day breaks every band;
    Plotly's own ``stackgroup`` would count it as zero or interpolate it. Hover shows each band's value."""
    traces, running = [], [0.0] * len(x)
    for n, (name, ys, colour) in enumerate(series):
        values = _num(ys)
        running = [None if v is None or r is None else round(r + v, 2) for v, r in zip(values, running)]
        traces.append({"type": "scatter", "mode": "lines", "name": name, "x": list(x), "y": list(running),
                       "customdata": values, "fill": "tozeroy" if n == 0 else "tonexty", "connectgaps": False,
                       "line": {"color": colour, "width": 1},
                       "hovertemplate": f"{name}: $%{{customdata:,.2f}}<extra></extra>"})
    return _figure(traces, _layout(legend=True))


def bar_figure(x: Sequence[str], ys: Sequence[Any], *, name: str, date_axis: bool = True) -> go.Figure:
    values = _num(ys)
    colours = [PALETTE["gain"] if (v or 0) >= 0 else PALETTE["loss"] for v in values]
    layout = _layout()
    if not date_axis:
        layout["xaxis"] = {"type": "category", "showgrid": False}
    return _figure([{"type": "bar", "name": name, "x": list(x), "y": values, "marker": {"color": colours},
                     "hovertemplate": f"{name}: $%{{y:,.2f}}<extra></extra>"}], layout)


def drawdown_figure(x: Sequence[str], dd: Sequence[Any]) -> go.Figure:
    traces = [{"type": "scatter", "mode": "lines", "name": "Drawdown", "x": list(x), "y": _num(dd, 6),
               "fill": "tozeroy", "line": {"color": PALETTE["dd"], "width": 1.5}, "connectgaps": False,
               "hovertemplate": "Drawdown: %{y:.2%}<extra></extra>"}]
    layout = _layout(y_prefix="", y_format=".0%")
    layout["yaxis"]["tickformat"] = ".0%"
    return _figure(traces, layout)


def donut_figure(labels: Sequence[str], values: Sequence[Any]) -> go.Figure:
    trace = {"type": "pie", "labels": list(labels), "values": _num(values), "hole": 0.55, "sort": False,
             "textinfo": "percent", "hovertemplate": "%{label}: $%{value:,.2f} (%{percent})<extra></extra>"}
    layout = {"template": "none", "height": 260, "margin": {"l": 8, "r": 8, "t": 8, "b": 8}, "showlegend": True,
              "legend": {"orientation": "v"}, "paper_bgcolor": "rgba(0,0,0,0)", "font": {"size": 11}}
    return _figure([trace], layout)


def csv_button(title: str, on_export: Any, *, test_id: str = "", exporting: rx.Var | bool = False) -> rx.Component:
    """The small "CSV" button that exports ``title``'s data (data-testid ``{test_id}-export``)."""
    return rx.button(
        rx.icon("download", size=14), "CSV", size="1", variant="soft", color_scheme="gray",
        on_click=on_export, loading=exporting, aria_label=f"Export {title} as CSV",
        custom_attrs={"data-testid": f"{test_id}-export"} if test_id else {},
    )


def export_heading(title: str, on_export: Any, *, can_export: rx.Var, test_id: str,
                   exporting: rx.Var | bool = False) -> rx.Component:
    """A section heading (h2) with the section's "CSV" button on the right when ``can_export``."""
    return rx.hstack(
        rx.heading(title, as_="h2", size="4"),
        rx.cond(can_export, csv_button(title, on_export, test_id=test_id, exporting=exporting)),
        justify="between",
        width="100%",
        margin_top="0.5rem",
    )


def chart_card(title: str, figure: rx.Var, *, subtitle: rx.Var | str = "", on_export: Any = None,
               can_export: rx.Var | bool = False, test_id: str = "", exporting: rx.Var | bool = False) -> rx.Component:
    """A card with a title, an optional "CSV" button (shown when ``can_export``) and the figure."""
    export_button = csv_button(title, on_export, test_id=test_id, exporting=exporting) \
        if on_export is not None else rx.fragment()
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.vstack(
                    rx.heading(title, as_="h2", size="3", weight="medium"),
                    *([rx.text(subtitle, size="1", color="var(--gray-11)")] if isinstance(subtitle, rx.Var) or subtitle else []),
                    spacing="0",
                ),
                rx.cond(can_export, export_button) if isinstance(can_export, rx.Var) else (
                    export_button if can_export else rx.fragment()),
                justify="between",
                align="start",
                width="100%",
            ),
            rx.box(rx.plotly(data=figure, config={"displaylogo": False, "responsive": True}, width="100%"),
                   width="100%"),
            spacing="2",
            width="100%",
        ),
        size="2",
        width="100%",
        custom_attrs={"data-testid": test_id} if test_id else {},
    )
