"""Portfolios: one chart's data as a CSV file (pandas), audited (``portfolios.export``) in the same
transaction. Money stays numbers with a ``_usd`` column name; gap days are empty cells."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from sqlmodel import Session

from dashboard.core import downloads
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput
from dashboard.core.permissions import Perm, requires
from dashboard.portfolios.queries import ClientDetail, Overview, client_detail, overview
from dashboard.portfolios.rules import CHARTS, DEFAULT_RANGE, OVERVIEW_CHARTS, ZERO, iso_days
from dashboard.audit import chain as audit


def _overview_frame(chart: str, ov: Overview):
    import pandas as pd

    if chart == "aum":
        return pd.DataFrame({"date": iso_days(ov.days), "aum_usd": ov.total, "crypto_usd": ov.crypto,
                             "stock_usd": ov.stock, "cash_usd": ov.cash, "portfolios": ov.count})
    if chart == "pnl_daily":
        return pd.DataFrame({"date": iso_days(ov.days), "daily_pnl_usd": ov.daily_pnl})
    if chart == "pnl_monthly":
        return pd.DataFrame(ov.monthly, columns=["month", "pnl_usd"])
    if chart == "flows":
        cum_flow, cum_market, f_acc, m_acc = [], [], ZERO, ZERO
        for f, p in zip(ov.net_flow, ov.daily_pnl):
            f_acc += f or ZERO
            m_acc += p or ZERO
            cum_flow.append(f_acc)
            cum_market.append(m_acc)
        return pd.DataFrame({"date": iso_days(ov.days), "net_flow_usd": ov.net_flow, "market_effect_usd": ov.daily_pnl,
                             "cumulative_net_flow_usd": cum_flow, "cumulative_market_effect_usd": cum_market})
    if chart == "drawdown":
        return pd.DataFrame({"date": iso_days(ov.days), "twr_index": [round(i, 8) for i in ov.index],
                             "drawdown": [round(d, 8) for d in ov.drawdown]})
    return pd.DataFrame(ov.movers, columns=["portfolio_id", "name", "email", "value", "pnl", "pnl_pct", "side"])


def _client_frame(chart: str, cd: ClientDetail):
    import pandas as pd

    s = cd.series
    if chart == "client_value":
        return pd.DataFrame({"date": iso_days(s.days), "value_usd": s.total, "crypto_usd": s.crypto,
                             "stock_usd": s.stock, "cash_usd": s.cash, "net_flow_usd": s.net_flow,
                             "twr_index": [round(i, 8) for i in s.index],
                             "drawdown": [round(d, 8) for d in s.drawdown]})
    return pd.DataFrame(cd.holdings, columns=["symbol", "name", "asset_type", "quantity", "avg_price", "price",
                                              "value", "pnl", "pnl_pct"])


@requires(Perm.PORTFOLIOS_EXPORT)
def export_csv(session: Session, *, actor: Actor, chart: Any, range_name: Any = DEFAULT_RANGE, date_from: Any = None,
               date_to: Any = None, client: Any = None) -> tuple[str, bytes]:
    """One chart's data as CSV; the export is audited in the same transaction. Returns (file name, bytes)."""
    if not isinstance(chart, str) or chart not in CHARTS:
        raise InvalidInput("Unknown chart to export")
    if chart in OVERVIEW_CHARTS:
        ov = overview(session, actor=actor, range_name=range_name, date_from=date_from, date_to=date_to,
                      movers=chart == "movers")
        start, end, target = ov.start, ov.end, None
        frame = _overview_frame(chart, ov)
    else:
        cd = client_detail(session, actor=actor, ref=client, range_name=range_name, date_from=date_from,
                           date_to=date_to)
        start, end, target = cd.series.start, cd.series.end, cd.series.portfolio_id
        frame = _client_frame(chart, cd)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    data = buffer.getvalue().encode()
    audit.record(
        session, actor=actor, action="portfolios.export", target_type="portfolio" if target else "portfolios",
        target_id=target, description=f"Exported {chart} ({start} to {end}) as CSV",
        details={"chart": chart, "from": start.isoformat(), "to": end.isoformat(), "rows": len(frame)},
    )
    suffix = f"-{str(target)[:8]}" if target else ""
    return f"portfolios-{chart}{suffix}-{start}-{end}.csv", data


@requires(Perm.PORTFOLIOS_EXPORT)
def export_download(session: Session, *, actor: Actor, chart: Any, base: Path | None = None, **range_args: Any) -> str:
    """``export_csv`` as a private file offered to the officer's session (``/_download/<token>``)."""
    file_name, data = export_csv(session, actor=actor, chart=chart, **range_args)
    key = downloads.new_key()
    with downloads.open_file(key, base=base) as out:
        out.write(data)
    try:
        return downloads.offer(session, actor=actor, key=key, file_name=file_name, base=base)
    except BaseException:
        downloads.discard(key, base=base)
        raise
