"""Portfolio maths and wording (dashboard/portfolios/rules.py), without a database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dashboard.core.errors import InvalidInput
from dashboard.portfolios import rules

D0 = date(2026, 3, 1)


def test_time_weighted_index_and_drawdown_on_a_hand_computed_series() -> None:
    # values 100 -> 110 (+10%) -> deposit 50 and flat: 160 (0%) -> 144 (-10%) -> 158.4 (+10%)
    values = [Decimal("110"), Decimal("160"), Decimal("144"), Decimal("158.4")]
    flows = [Decimal("0"), Decimal("50"), Decimal("0"), Decimal("0")]
    returns = rules.flow_adjusted_returns(values, flows, Decimal("100"))
    assert returns == pytest.approx([0.10, 0.0, -0.10, 0.10])
    index = rules.twr_index(returns)
    assert index == pytest.approx([1.10, 1.10, 0.99, 1.089])
    dd = rules.drawdowns(index)
    assert dd == pytest.approx([0.0, 0.0, -0.10, -0.01])
    # the deposit does not hide the loss: the plain value series never falls below its start
    assert min(values) > Decimal("100") and min(dd) == pytest.approx(-0.10)


def test_drawdown_starts_from_the_base_and_a_missing_day_keeps_the_index() -> None:
    assert rules.drawdowns(rules.twr_index([-0.2, 0.25])) == pytest.approx([-0.2, 0.0])
    assert rules.twr_index([0.1, None, 0.1]) == pytest.approx([1.1, 1.1, 1.21])
    # a gap: the return after it links to the last known value
    returns = rules.flow_adjusted_returns([Decimal("100"), None, Decimal("120")], [Decimal("0")] * 3, None)
    assert returns[0] is None and returns[1] is None and returns[2] == pytest.approx(0.2)
    # an empty base gives a zero return, never a division by zero
    assert rules.flow_adjusted_returns([Decimal("50")], [Decimal("50")], Decimal("0")) == [0.0]


def test_gap_ranges_list_runs_of_missing_days() -> None:
    days = [D0 + timedelta(days=i) for i in range(8)]
    values = [1, None, None, 2, 3, None, 4, None]
    assert rules.gap_ranges(days, values) == [
        (D0 + timedelta(days=1), D0 + timedelta(days=2)),
        (D0 + timedelta(days=5), D0 + timedelta(days=5)),
        (D0 + timedelta(days=7), D0 + timedelta(days=7)),
    ]
    assert rules.gap_ranges(days, [1] * 8) == []


def test_downsampling_caps_the_points_and_never_bridges_a_gap() -> None:
    xs = list(range(1000))
    ys = [float(i) for i in xs]
    ys[500] = None
    dx, dy = rules.downsample(xs, ys, max_points=400)
    assert len(dx) <= 400 and dx[-1] == 999 and dy[-1] == 999.0
    assert None in dy  # the gap survives
    short_x, short_y = rules.downsample([1, 2], [None, 3])
    assert short_x == [1, 2] and short_y == [None, 3]


def test_formatting_money_and_signed_percentages() -> None:
    assert rules.fmt_money(Decimal("1234.5")) == "$1,234.50"
    assert rules.fmt_money(Decimal("-3")) == "−$3.00"
    assert rules.fmt_money(Decimal("3"), signed=True) == "+$3.00"
    assert rules.fmt_pct(0.01234) == "+1.23%"
    assert rules.fmt_pct(-0.5) == "−50.00%"
    assert rules.fmt_pct(0) == "0.00%"


def test_named_and_custom_ranges() -> None:
    last, first = date(2026, 11, 20), date(2025, 11, 21)
    assert rules.resolve_range("1M", first=first, last=last) == (date(2026, 10, 21), last)
    assert rules.resolve_range("3M", first=first, last=last) == (date(2026, 8, 21), last)
    assert rules.resolve_range("YTD", first=first, last=last) == (date(2026, 1, 1), last)
    assert rules.resolve_range("1Y", first=first, last=last) == (date(2025, 11, 21), last)
    assert rules.resolve_range("All", first=first, last=last) == (first, last)
    assert rules.resolve_range("1M", first=first, last=date(2026, 3, 31)) == (date(2026, 3, 1), date(2026, 3, 31))
    assert rules.resolve_range("Custom", "2026-01-01", "2026-02-01", first=first, last=last) == (
        date(2026, 1, 1), date(2026, 2, 1))
    for bad in [("5Y",), (None,), ({"$ne": 1},), ("Custom", "2026-02-01", "2026-01-01"),
                ("Custom", "2026-02-30", "2026-03-01"), ("Custom", "", "2026-01-01"), ("Custom", 5, ["x"]),
                ("Custom", "1900-01-01", "2026-01-01")]:
        with pytest.raises(InvalidInput):
            rules.resolve_range(*bad, first=first, last=last)
