"""Group-treasury wording (dashboard/groups/rules.py), without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.groups import rules


def test_naira_formats_kobo_exactly() -> None:
    assert rules.naira(1_234_567) == "₦12,345.67"
    assert rules.naira(5) == "₦0.05"
    assert rules.naira(100_000_000_000_00) == "₦100,000,000,000.00"


def test_time_left_reads_as_words() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert rules.time_left(now + timedelta(days=2, hours=3), now) == "2d 3h left"
    assert rules.time_left(now + timedelta(hours=5, minutes=7), now) == "5h 7m left"
    assert rules.time_left(now - timedelta(seconds=1), now) == "Expired"
