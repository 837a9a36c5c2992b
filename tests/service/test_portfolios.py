"""Portfolio overview and client services: aggregates against a pandas reference on generated data,
time-weighted return and drawdown on hand-computed series, gap detection, ranges, exports, permissions."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session

from dashboard import models as m
from dashboard.db import make_engine
from dashboard.portfolios import exports, queries, rules, snapshots
from dashboard.core.actor import Actor
from dashboard.core.errors import InvalidInput, NotAllowed, NotAuthenticated, NotFound
from tests import factories as f

MANAGER = Actor(user_id=uuid.uuid4(), email="mia@staff.test", role="MANAGER")
ADMIN = Actor(user_id=uuid.uuid4(), email="ada@staff.test", role="ADMIN")
SUPPORT = Actor(user_id=uuid.uuid4(), email="sam@staff.test", role="SUPPORT")
D0 = date(2026, 3, 1)


# --- pure maths -----------------------------------------------------------------------------------
# --- a small hand-made book -----------------------------------------------------------------------
def _book(db: Session, days: int = 10, gap: tuple[int, ...] = ()) -> tuple[m.Portfolio, m.Portfolio]:
    """Two portfolios with daily snapshots from D0; ``gap`` skips those day offsets for the first one."""
    a = f.portfolio(db, f.user(db, first_name="Alma", last_name="Quist", email=f"alma-{uuid.uuid4().hex[:6]}@ex.test"),
                    cash_value=Decimal("100.00"), total_value=Decimal("100.00"))
    b = f.portfolio(db, f.user(db, first_name="Bert", last_name="Rolf", email=f"bert-{uuid.uuid4().hex[:6]}@ex.test"))
    for i in range(days):
        day = D0 + timedelta(days=i)
        if i not in gap:
            value = Decimal(100 + 10 * i)
            f.snapshot(db, a, day, total_value=value, crypto_value=value - 50, stock_value=Decimal("25"),
                       cash_value=Decimal("25"), net_flow=Decimal("5") if i else Decimal("100"),
                       total_pnl=value - (100 + 5 * i))
        value = Decimal(1000 - 20 * i)
        f.snapshot(db, b, day, total_value=value, crypto_value=Decimal("0"), stock_value=value - 100,
                   cash_value=Decimal("100"), net_flow=Decimal("0"), total_pnl=value - 1000)
    snapshots.rebuild_daily_totals(db)
    return a, b


def test_client_series_shows_missing_days_as_gaps_and_lists_them(db: Session) -> None:
    a, _ = _book(db, days=10, gap=(3, 4, 7))
    series = queries.client_series(db, actor=MANAGER, portfolio_id=a.id, range_name="All")
    assert series.days[0] == D0 and series.days[-1] == D0 + timedelta(days=9)
    assert [i for i, v in enumerate(series.total) if v is None] == [3, 4, 7]
    assert series.missing == [(D0 + timedelta(days=3), D0 + timedelta(days=4)),
                              (D0 + timedelta(days=7), D0 + timedelta(days=7))]
    # never interpolated: the days around the gap keep their own values
    assert series.total[2] == Decimal("120") and series.total[5] == Decimal("150")
    detail = queries.client_detail(db, actor=MANAGER, ref=str(a.user_id), range_name="All")
    assert detail.info["missing_days"] == "3" and detail.info["name"] == "Alma Quist"


def test_client_twr_uses_the_day_before_the_range_as_its_base(db: Session) -> None:
    _, b = _book(db, days=10)
    s = queries.client_series(db, actor=MANAGER, portfolio_id=b.id, range_name="Custom",
                          date_from=(D0 + timedelta(days=5)).isoformat(), date_to=(D0 + timedelta(days=9)).isoformat())
    # 900 (day 5's base is day 4 = 920) ... 820: no flows, so TWR = 820 / 920 - 1
    assert s.twr == pytest.approx(820 / 920 - 1)
    assert min(s.drawdown) == pytest.approx(820 / 920 - 1)


def test_overview_reads_the_daily_totals_with_flow_adjusted_returns(db: Session) -> None:
    _book(db, days=10, gap=(3,))
    ov = queries.overview(db, actor=MANAGER, range_name="All")
    assert ov.start == D0 and ov.end == D0 + timedelta(days=9)
    assert ov.total[0] == Decimal("1100") and ov.count[0] == 2 and ov.count[3] == 1
    # day 3 lacks one portfolio's snapshot: its sums would be a fake drop, so they are a gap
    assert ov.incomplete == [D0 + timedelta(days=3)] and ov.total[3] is None and ov.crypto[3] is None
    # day 1: a +10-5 = +5, b -20 -> pnl -15 on a base of 1100
    assert ov.daily_pnl[1] == Decimal("-15")
    # day 4: a has no snapshot on day 3, so only b counts
    assert ov.daily_pnl[4] == Decimal("-20")
    assert ov.index[1] == pytest.approx(1 - 15 / 1100)
    assert ov.monthly == [("2026-03", sum(p for p in ov.daily_pnl if p is not None))]
    assert ov.stats()["portfolios"] == "2"
    assert {r["side"] for r in ov.movers} == {"gain", "loss"}


def test_services_refuse_callers_without_the_permission(db: Session) -> None:
    a, _ = _book(db, days=3)
    for call in (
        lambda who: queries.overview(db, actor=who),
        lambda who: queries.client_detail(db, actor=who, ref=str(a.id)),
        lambda who: queries.client_series(db, actor=who, portfolio_id=a.id),
        lambda who: queries.search_clients(db, actor=who, query="alma"),
        lambda who: exports.export_csv(db, actor=who, chart="aum"),
    ):
        for who in (SUPPORT, Actor(user_id=None, email="x", role="CUSTOMER")):
            with pytest.raises(NotAllowed):
                call(who)
        with pytest.raises(NotAuthenticated):  # no actor at all: the shared check says "sign in"
            call(None)
    with pytest.raises(NotAllowed):  # ADMIN may view but not export
        exports.export_csv(db, actor=ADMIN, chart="aum")
    assert queries.overview(db, actor=ADMIN).has_data


def test_search_by_name_email_or_id_and_junk_is_refused(db: Session) -> None:
    a, _ = _book(db, days=2)
    assert [r["name"] for r in queries.search_clients(db, actor=MANAGER, query="alma")] == ["Alma Quist"]
    assert [r["name"] for r in queries.search_clients(db, actor=MANAGER, query="Quist")] == ["Alma Quist"]
    assert queries.search_clients(db, actor=MANAGER, query=str(a.id))[0]["portfolio_id"] == str(a.id)
    assert queries.search_clients(db, actor=MANAGER, query="%%") == []  # wildcards are literal
    for junk in ("", "a", {"$ne": None}, ["x"], "x" * 101):
        with pytest.raises(InvalidInput):
            queries.search_clients(db, actor=MANAGER, query=junk)
    for junk in ("nope", str(uuid.uuid4()), 5, None):
        with pytest.raises((InvalidInput, NotFound)):
            queries.client_detail(db, actor=MANAGER, ref=junk)


def test_export_is_csv_and_audited(db: Session) -> None:
    a, _ = _book(db, days=5)
    f.user(db, id=MANAGER.user_id, email=MANAGER.email, role="MANAGER", platform="STAFF")
    name, data = exports.export_csv(db, actor=MANAGER, chart="aum", range_name="All")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert name.startswith("portfolios-aum-") and len(rows) == 5 and rows[0]["aum_usd"] == "1100.00"
    name, data = exports.export_csv(db, actor=MANAGER, chart="client_holdings", client=str(a.id))
    assert data.decode().startswith("symbol,name,asset_type")
    entries = db.execute(sa.select(m.ActivityLog.action, m.ActivityLog.actor_email)
                         .where(m.ActivityLog.action == "portfolios.export")).all()
    assert len(entries) == 2 and entries[0].actor_email == MANAGER.email
    with pytest.raises(InvalidInput):
        exports.export_csv(db, actor=MANAGER, chart="../../etc/passwd")


# --- generated data against pandas -----------------------------------------------------------------
@pytest.fixture
def generated(fresh_db_url: str, private_dir) -> Engine:
    from dashboard.seed import run_seed

    assert run_seed(url=fresh_db_url, profile="tiny", seed=61, if_empty=False, quiet=True) == 0
    engine = make_engine(fresh_db_url, pool_size=2, max_overflow=2)
    with Session(engine) as session:
        snapshots.rebuild_daily_totals(session)
        session.commit()
    yield engine
    engine.dispose()


def _pandas_reference(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        snaps = pd.read_sql(sa.text("SELECT portfolio_id, snapshot_date, total_value, crypto_value, stock_value, "
                                    "cash_value, net_flow, total_pnl FROM portfolio_snapshots"), conn, coerce_float=False)
    snaps["snapshot_date"] = pd.to_datetime(snaps["snapshot_date"])
    snaps = snaps.sort_values(["portfolio_id", "snapshot_date"])
    prev = snaps.groupby("portfolio_id")[["snapshot_date", "total_value"]].shift(1)
    linked = prev["snapshot_date"] == snaps["snapshot_date"] - pd.Timedelta(days=1)
    snaps["daily_pnl"] = (snaps["total_value"] - prev["total_value"] - snaps["net_flow"]).where(linked, Decimal(0))
    snaps["prev_value"] = prev["total_value"].where(linked, Decimal(0))
    return snaps.groupby("snapshot_date").agg(
        portfolio_count=("portfolio_id", "size"), total_value=("total_value", "sum"),
        crypto_value=("crypto_value", "sum"), stock_value=("stock_value", "sum"), cash_value=("cash_value", "sum"),
        net_flow=("net_flow", "sum"), total_pnl=("total_pnl", "sum"), daily_pnl=("daily_pnl", "sum"),
        prev_value=("prev_value", "sum"))


def test_daily_totals_and_overview_match_a_pandas_reference(generated: Engine) -> None:
    ref = _pandas_reference(generated)
    with Session(generated) as session:
        table = pd.read_sql(sa.text("SELECT * FROM portfolio_daily_totals ORDER BY snapshot_date"), session.connection(), coerce_float=False)
        ov = queries.overview(session, actor=MANAGER, range_name="All")
        ov3 = queries.overview(session, actor=MANAGER, range_name="3M")
    assert len(table) == len(ref) == 365
    for column in ("portfolio_count", "total_value", "crypto_value", "stock_value", "cash_value", "net_flow",
                   "total_pnl", "daily_pnl", "prev_value"):
        assert [Decimal(str(v)) for v in table[column]] == [Decimal(str(v)) for v in ref[column]], column
    assert ov.total == list(ref["total_value"])
    assert ov.count == list(ref["portfolio_count"])
    # monthly PnL and the chained index, recomputed in pandas
    monthly = ref["daily_pnl"].groupby(ref.index.strftime("%Y-%m")).sum()
    assert ov.monthly == [(k, v) for k, v in monthly.items()]
    returns = (ref["daily_pnl"].astype(float) / ref["prev_value"].astype(float).where(ref["prev_value"] != 0)).fillna(0)
    index = (1 + returns).cumprod()
    assert ov.index == pytest.approx(list(index), rel=1e-9)
    dd = index / index.cummax().clip(lower=1.0) - 1
    assert ov.drawdown == pytest.approx(list(dd), abs=1e-12)
    # a shorter range: flows and market effect over exactly its days
    window = ref.loc[pd.Timestamp(ov3.start):pd.Timestamp(ov3.end)]
    assert sum(x for x in ov3.net_flow if x is not None) == window["net_flow"].sum()
    assert sum(x for x in ov3.daily_pnl if x is not None) == window["daily_pnl"].sum()


def test_top_movers_match_pandas(generated: Engine) -> None:
    with Session(generated) as session:
        ov = queries.overview(session, actor=MANAGER, range_name="3M")
        snaps = pd.read_sql(sa.text("SELECT portfolio_id, snapshot_date, total_pnl FROM portfolio_snapshots"),
                            session.connection(), coerce_float=False)
    snaps["snapshot_date"] = pd.to_datetime(snaps["snapshot_date"])
    base = snaps[snaps.snapshot_date == pd.Timestamp(ov.start - timedelta(days=1))].set_index("portfolio_id")["total_pnl"]
    end = snaps[snaps.snapshot_date == pd.Timestamp(ov.end)].set_index("portfolio_id")["total_pnl"]
    change = (end - base.reindex(end.index).fillna(Decimal(0))).sort_values()
    gainers = [str(p) for p in change[change > 0].sort_values(ascending=False).index[:rules.MOVERS]]
    losers = [str(p) for p in change[change < 0].index[:rules.MOVERS]]
    got = [r["portfolio_id"] for r in ov.movers]
    assert got[:len(gainers)] == gainers
    assert sorted(got[len(gainers):]) == sorted(losers)


def test_client_series_of_generated_data_matches_its_snapshots(generated: Engine) -> None:
    with Session(generated) as session:
        pid = session.execute(sa.text("SELECT id FROM portfolios ORDER BY id LIMIT 1")).scalar_one()
        series = queries.client_series(session, actor=MANAGER, portfolio_id=pid, range_name="All")
        frame = pd.read_sql(sa.text("SELECT snapshot_date, total_value, net_flow FROM portfolio_snapshots "
                                    "WHERE portfolio_id = :p ORDER BY snapshot_date"), session.connection(),
                            params={"p": pid}, coerce_float=False)
    assert series.total == list(frame["total_value"]) and series.missing == []
    v = frame["total_value"].astype(float)
    r = ((v - frame["net_flow"].astype(float)) / v.shift(1) - 1).where(v.shift(1) > 0, 0.0)
    expected = (1 + r.iloc[1:]).cumprod()
    assert series.index[1:] == pytest.approx(list(expected), rel=1e-9)
