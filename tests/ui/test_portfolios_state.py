"""The portfolio page state, driven in plain pytest against a real database (one per test)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

import dashboard.dashboard  # noqa: F401  (builds the app and its state tree once per process)
from dashboard.ui import auth_state as app_state
from dashboard.portfolios.state import PortfoliosState
from tests.e2e.portfolio_data import GAP, PortfolioFixture, insert_portfolios
from tests.ui.signin import downloads, page_state, present_cookie, run_handler, sign_in_state, toasted

HANDLERS = ("load_portfolios", "set_range", "apply_custom_range", "search", "open_client", "close_client",
            "export_chart")
JUNK = [None, {"$ne": None}, ["x"] * 3, "../../etc/passwd", -1, "'; DROP TABLE users; --", "1" * 5000]


@pytest.fixture
def book(app_engine: Engine) -> list[PortfolioFixture]:
    with Session(app_engine) as session:
        made = insert_portfolios(session)
        session.commit()
    return made


@pytest.fixture
def decisions() -> Iterator[list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    token = app_state.decisions.set(seen)
    yield seen
    app_state.decisions.reset(token)


def _state(engine: Engine, role: str = "MANAGER", query: dict[str, str] | None = None) -> PortfoliosState:
    state = page_state(PortfoliosState)
    sign_in_state(state, engine, role, path="/portfolios", query=query)
    return state


def _figure_points(fig: Any) -> list[Any]:
    return [y for trace in fig.data for y in (trace.y or ())]


def test_manager_loads_the_overview_with_small_figures(app_engine: Engine, book) -> None:
    state = _state(app_engine)
    run_handler(state.load_portfolios())
    assert state.error == "" and state.access_error == ""
    assert state.range_name == "1Y" and state.stats["portfolios"] == "2"
    assert state.stats["aum"].startswith("$") and state.stats["twr"][0] in "+−0"
    # Paula's missing days make those days' sums incomplete: shown as gaps and listed, not as a drop in AUM
    assert state.overview_gaps == [f"{GAP[0].isoformat()} to {GAP[1].isoformat()} (3 days)"]
    assert list(state.aum_fig.data[0].y).count(None) == 3
    assert len(state.movers) == 2 and {r["name"] for r in state.movers} == {"Paula Lindqvist", "Omar Haddad"}
    for fig in (state.aum_fig, state.split_fig, state.pnl_fig, state.monthly_fig, state.flows_fig, state.drawdown_fig):
        payload = fig.to_json()
        assert len(json.dumps(fig.layout.template.to_plotly_json())) < 200  # template "none": nothing merged in
        assert len(payload) < 40_000
    assert len(state.aum_fig.data[0].x) == 200  # the 200 days of data (the 1Y range starts at the first day)


def test_switching_ranges_and_a_custom_range(app_engine: Engine, book) -> None:
    state = _state(app_engine)
    run_handler(state.load_portfolios())
    run_handler(state.set_range("1M"))
    assert state.range_name == "1M" and state.stats["period"] == "2026-10-21 to 2026-11-20"
    assert len(state.aum_fig.data[0].x) == 31
    run_handler(state.apply_custom_range({"date_from": "2026-09-01", "date_to": "2026-09-30"}))
    assert state.range_name == "Custom" and state.stats["period"] == "2026-09-01 to 2026-09-30"
    assert len(state.pnl_fig.data[0].x) == 30


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"date_from": "2026-10-01", "date_to": "2026-09-01"}, "From must be on or before To"),
        ({"date_from": "2026-02-30", "date_to": "2026-03-01"}, "not a valid date"),
        ({"date_from": "", "date_to": "2026-03-01"}, "enter a date"),
        ({"date_from": ["x"], "date_to": "2026-03-01"}, "could not be read"),
        ("junk", "could not be read"),
    ],
)
def test_bad_custom_ranges_are_named_and_change_nothing(app_engine: Engine, book, form, message) -> None:
    state = _state(app_engine)
    run_handler(state.load_portfolios())
    before = (state.range_name, dict(state.stats))
    run_handler(state.apply_custom_range(form))
    assert message in state.range_error
    assert (state.range_name, dict(state.stats)) == before


def test_bad_range_names_are_refused(app_engine: Engine, book) -> None:
    state = _state(app_engine)
    run_handler(state.load_portfolios())
    for junk in JUNK + ["5Y", "Custom"]:
        run_handler(state.set_range(junk))
        assert "Unknown range" in state.range_error and state.range_name == "1Y"


def test_opening_a_client_shows_its_chart_holdings_and_gaps(app_engine: Engine, book) -> None:
    paula = book[0]
    state = _state(app_engine)
    run_handler(state.load_portfolios())
    run_handler(state.search({"query": "lindq"}))
    assert [r["name"] for r in state.search_results] == ["Paula Lindqvist"]
    run_handler(state.open_client(state.search_results[0]["portfolio_id"]))
    assert state.client_open and state.client["name"] == "Paula Lindqvist"
    assert [h["symbol"] for h in state.holdings] == ["BTC", "ETH"]
    assert state.holdings[0]["pnl"].startswith("+$") and state.holdings[0]["pnl_pct"].endswith("%")
    assert len(state.trades) == 2 and len(state.transactions) == 1
    gap = f"{GAP[0].isoformat()} to {GAP[1].isoformat()} (3 days)"
    assert state.client_gaps == [gap] and state.client["missing_days"] == "3"
    ys = list(state.value_fig.data[0].y)
    assert ys.count(None) == 3  # the gap is a break in the line, never interpolated
    assert state.value_fig.data[0].connectgaps is False
    assert state._client_ref == paula.portfolio_id
    run_handler(state.close_client())
    assert not state.client_open and state._client_ref == ""


def test_the_url_opens_a_client_by_user_id(app_engine: Engine, book) -> None:
    omar = book[1]
    state = _state(app_engine, query={"client": omar.user_id})
    run_handler(state.load_portfolios())
    assert state.client_open and state.client["email"] == omar.email and state.client_gaps == []
    bad = _state(app_engine, query={"client": "not-a-uuid"})
    run_handler(bad.load_portfolios())
    assert not bad.client_open and "not a portfolio or customer id" in bad.client_error
    assert bad.stats["portfolios"] == "2"  # the overview still loads


def test_junk_ids_and_searches_are_refused_without_an_exception(app_engine: Engine, book) -> None:
    state = _state(app_engine)
    run_handler(state.load_portfolios())
    for junk in JUNK + ["00000000-0000-4000-8000-000000000000"]:
        run_handler(state.open_client(junk))
        assert not state.client_open and state.client_error
        run_handler(state.search(junk if isinstance(junk, dict) else {"query": junk}))
        assert state.search_results == [] and (state.search_error or state.searched)


def test_exports_are_csv_downloads_and_audited(app_engine: Engine, book) -> None:
    state = _state(app_engine)
    run_handler(state.load_portfolios())
    files = downloads(run_handler(state.export_chart("aum")), state)
    assert len(files) == 1 and files[0][0].startswith("portfolios-aum-")
    rows = list(csv.DictReader(io.StringIO(files[0][1].decode())))
    assert len(rows) == 200 and set(rows[0]) >= {"date", "aum_usd", "crypto_usd", "portfolios"}
    events = run_handler(state.export_chart("client_value"))
    assert toasted(events, "Open a client first.") and downloads(events) == []
    run_handler(state.open_client(book[0].portfolio_id))
    files = downloads(run_handler(state.export_chart("client_value")), state)
    text = files[0][1].decode()
    assert text.count(",,") >= 3  # the gap days are empty cells, not invented values
    events = run_handler(state.export_chart("nope"))
    assert toasted(events, "Unknown chart to export.")
    with Session(app_engine) as session:
        logged = session.execute(sa.text("SELECT details FROM activity_logs WHERE action = 'portfolios.export' "
                                         "ORDER BY seq")).scalars().all()
    assert [d["chart"] for d in logged] == ["aum", "client_value"]


@pytest.mark.parametrize("role", ["SUPPORT", "TREASURER", "COMPLIANCE"])
def test_every_handler_refuses_a_wrong_role_and_changes_nothing(app_engine: Engine, book, decisions, role) -> None:
    state = _state(app_engine, role)
    args = {"set_range": ("1M",), "apply_custom_range": ({"date_from": "2026-01-01", "date_to": "2026-02-01"},),
            "search": ({"query": "paula"},), "open_client": (book[0].portfolio_id,), "export_chart": ("aum",)}
    for name in HANDLERS:
        before = json.dumps({k: v for k, v in state.dict()[state.get_full_name()].items()
                             if k not in ("access_error",) and not k.endswith("_fig")}, default=str, sort_keys=True)
        events = run_handler(getattr(state, name)(*args.get(name, ())))
        assert decisions[-1] == (f"PortfoliosState.{name}", "denied")
        assert toasted(events, "You do not have permission to do this.", "error")
        after = json.dumps({k: v for k, v in state.dict()[state.get_full_name()].items()
                            if k not in ("access_error",) and not k.endswith("_fig")}, default=str, sort_keys=True)
        assert after == before
    assert state.client == {} and state.movers == [] and state._client_ref == ""


def test_admin_views_but_may_not_export(app_engine: Engine, book, decisions) -> None:
    state = _state(app_engine, "ADMIN")
    run_handler(state.load_portfolios())
    assert state.stats["portfolios"] == "2"
    events = run_handler(state.export_chart("aum"))
    assert decisions[-1] == ("PortfoliosState.export_chart", "denied") and downloads(events) == []


def test_a_signed_out_caller_is_sent_to_sign_in(app_engine: Engine, book, decisions) -> None:
    state = page_state(PortfoliosState)
    present_cookie(state, None, path="/portfolios")
    run_handler(state.load_portfolios())
    assert decisions[-1] == ("PortfoliosState.load_portfolios", "unauthenticated") and state.stats == {}
