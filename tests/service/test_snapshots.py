"""The snapshot job: values from holdings and cash, idempotency, backfill, the daily totals it keeps,
its audit entry, and the command's validation (exit 2 on bad dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from dashboard import models as m
from dashboard.portfolios import snapshots
from dashboard.cli.snapshot import cmd_snapshot
from tests import factories as f

DAY = date(2026, 5, 10)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _client(db: Session) -> m.Portfolio:
    """Cash 1,000; 0.5 BTC at 60,000 (avg 50,000) and 10 AAPL at 200; deposits of 25,000 (day before) and
    1,000 (on DAY), a withdrawal of 500 on DAY, a pending deposit that must not count."""
    owner = f.user(db, first_name="Hana", last_name="Ito")
    pf = f.portfolio(db, owner, cash_value=Decimal("1000.00"), crypto_value=Decimal("30000.00"),
                     stock_value=Decimal("2000.00"), total_value=Decimal("33000.00"),
                     total_invested=Decimal("25500.00"), created_at=_at(DAY - timedelta(days=30)))
    for symbol, kind, qty, avg, price in (("BTC", "CRYPTO", "0.5", "50000", "60000"), ("AAPL", "STOCK", "10", "150", "200")):
        db.add(m.Holding(portfolio_id=pf.id, asset_type=kind, symbol=symbol, name=symbol, quantity=Decimal(qty),
                         average_buy_price=Decimal(avg), current_price=Decimal(price),
                         total_value=Decimal(qty) * Decimal(price), profit_loss=Decimal("0"),
                         profit_loss_percent=Decimal("0")))
    staff = f.user(db, role="TREASURER", platform="STAFF")
    for kind, usd, when, status in (("DEPOSIT", "25000", DAY - timedelta(days=1), "COMPLETED"),
                                    ("DEPOSIT", "1000", DAY, "COMPLETED"), ("WITHDRAWAL", "500", DAY, "COMPLETED"),
                                    ("DEPOSIT", "9999", DAY, "PENDING")):
        done = status == "COMPLETED"
        f.transaction(db, owner, transaction_type=kind, amount=Decimal(usd), amount_usd=Decimal(usd), status=status,
                      processed_at=_at(when) if done else None, processed_by=staff.id if done else None,
                      created_at=_at(when, 9))
    db.flush()
    return pf


def _snaps(db: Session) -> list[m.PortfolioSnapshot]:
    return list(db.exec(sa.select(m.PortfolioSnapshot).order_by(m.PortfolioSnapshot.snapshot_date)).scalars())


def _totals(db: Session) -> dict[date, tuple]:
    rows = db.execute(sa.text("SELECT snapshot_date, portfolio_count, total_value, net_flow, daily_pnl, prev_value "
                              "FROM portfolio_daily_totals ORDER BY snapshot_date")).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_a_day_is_computed_from_holdings_cash_and_that_days_flows(db: Session) -> None:
    pf = _client(db)
    run = snapshots.snapshot_days(db, days=[DAY])
    assert run.total_written == 1
    (s,) = _snaps(db)
    assert (s.portfolio_id, s.snapshot_date) == (pf.id, DAY)
    assert s.crypto_value == Decimal("30000.00") and s.stock_value == Decimal("2000.00")
    assert s.cash_value == Decimal("1000.00") and s.total_value == Decimal("33000.00")
    assert s.net_flow == Decimal("500.00")  # +1,000 - 500; the pending deposit does not count
    assert s.total_pnl == Decimal("7500.00")  # 33,000 - invested 25,500
    assert s.total_pnl_percent == Decimal("29.4118")
    assert _totals(db) == {DAY: (1, Decimal("33000.00"), Decimal("500.00"), Decimal("0.00"), Decimal("0.00"))}


def test_running_a_day_twice_changes_nothing_and_says_so(db: Session) -> None:
    _client(db)
    first = snapshots.snapshot_days(db, days=[DAY])
    before = [(s.id, s.total_value, s.created_at) for s in _snaps(db)]
    totals = _totals(db)
    second = snapshots.snapshot_days(db, days=[DAY])
    assert first.total_written == 1 and second.total_written == 0
    assert "nothing to do" in second.summary()
    assert [(s.id, s.total_value, s.created_at) for s in _snaps(db)] == before
    assert _totals(db) == totals
    audits = db.execute(sa.text("SELECT action, actor_email, details FROM activity_logs ORDER BY seq")).all()
    assert [a.action for a in audits] == ["portfolios.snapshot", "portfolios.snapshot"]
    assert audits[0].actor_email == "snapshot-job" and audits[1].details["rows_written"] == 0


def test_backfill_fills_only_missing_days_and_relinks_the_next_days_pnl(db: Session) -> None:
    pf = _client(db)
    start = DAY - timedelta(days=4)
    # an existing snapshot on DAY-2 (another value) must stay untouched
    f.snapshot(db, pf, DAY - timedelta(days=2), total_value=Decimal("100.00"), crypto_value=Decimal("0"),
               stock_value=Decimal("0"), cash_value=Decimal("100.00"))
    run = snapshots.snapshot_days(db, days=snapshots.plan_days(DAY, start, latest=DAY))
    assert run.days == [start + timedelta(days=i) for i in range(5)]
    assert run.written == {start: 1, start + timedelta(days=1): 1, DAY - timedelta(days=2): 0,
                           DAY - timedelta(days=1): 1, DAY: 1}
    snaps = _snaps(db)
    assert [s.snapshot_date for s in snaps] == run.days
    assert snaps[2].total_value == Decimal("100.00")
    # invested as of each day: 0 before the 25,000 deposit, 25,000 the day before DAY
    assert snaps[0].total_pnl == Decimal("33000.00") and snaps[3].total_pnl == Decimal("8000.00")
    totals = _totals(db)
    assert len(totals) == 5
    # DAY-1 links to the kept DAY-2 row: 33,000 - 100 - 25,000 flow
    assert totals[DAY - timedelta(days=1)][3] == Decimal("7900.00")
    # a rebuild from scratch gives the same table
    snapshots.rebuild_daily_totals(db)
    assert _totals(db) == totals
    assert snapshots.snapshot_days(db, days=run.days).total_written == 0


def test_a_portfolio_created_after_the_day_gets_no_snapshot(db: Session) -> None:
    _client(db)
    snapshots.snapshot_days(db, days=[DAY - timedelta(days=40)])
    assert _snaps(db) == []
    assert _totals(db) == {}


def test_the_command_exits_2_on_bad_input_and_is_idempotent(fresh_db_url: str, capsys) -> None:
    assert cmd_snapshot(fresh_db_url, date="2026-13-01") == 2
    assert "not a valid date" in capsys.readouterr().err
    assert cmd_snapshot(fresh_db_url, date="2026-01-05", backfill="2026-01-09") == 2
    assert "after the end date" in capsys.readouterr().err
    from dashboard.db import make_engine

    engine = make_engine(fresh_db_url, pool_size=1, max_overflow=0)
    with Session(engine) as session:
        _client(session)
        session.commit()
    assert cmd_snapshot(fresh_db_url, date=DAY.isoformat(), backfill=(DAY - timedelta(days=2)).isoformat()) == 0
    assert "wrote 3 snapshot rows" in capsys.readouterr().out
    assert cmd_snapshot(fresh_db_url, date=DAY.isoformat()) == 0
    assert "nothing to do" in capsys.readouterr().out
    with Session(engine) as session:
        assert session.execute(sa.text("SELECT count(*) FROM portfolio_snapshots")).scalar_one() == 3
        assert session.execute(sa.text("SELECT count(*) FROM portfolio_daily_totals")).scalar_one() == 3
    engine.dispose()
