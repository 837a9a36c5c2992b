"""Which days the snapshot job takes (dashboard/portfolios/snapshots.py), without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.core.errors import InvalidInput
from dashboard.portfolios import snapshots


@pytest.mark.parametrize(
    ("day", "backfill", "message"),
    [
        ("2026-02-30", None, "not a valid date"),
        ("tomorrow", None, "not a valid date"),
        ("2099-01-01", None, "has not ended yet"),
        ("2026-01-10", "2026-01-20", "is after the end date"),
        ("2026-01-10", "2001-01-01", "too long"),
        ("2026-01-10", "1999-12-31", "before"),
        ("", None, "expected a date"),
    ],
)
def test_bad_dates_are_refused_with_a_clear_message(day, backfill, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        snapshots.plan_days(day, backfill)


def test_default_day_is_yesterday_utc() -> None:
    assert snapshots.plan_days() == [datetime.now(UTC).date() - timedelta(days=1)]
