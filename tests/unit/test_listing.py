"""The one keyset mechanism (dashboard/core/listing.py): cursors, pages, filters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from dashboard.core.errors import InvalidInput
from dashboard.core.listing import (
    FilterSet, check_limit, cut_page, decode_cursor, encode_cursor, like_pattern, optional_cursor, where_chosen,
)

WHEN = datetime(2026, 11, 30, 9, 15, 0, 123456, tzinfo=UTC)
ID = uuid.UUID("12345678-1234-5678-1234-567812345678")


def test_a_cursor_round_trips_its_typed_key() -> None:
    text = encode_cursor(WHEN, Decimal("12.50"), ID)
    assert decode_cursor(text, (datetime, Decimal, uuid.UUID)) == (WHEN, Decimal("12.50"), ID)
    assert optional_cursor("", (datetime,)) is None and optional_cursor(None, (datetime,)) is None


@pytest.mark.parametrize("forged", [
    "", "x" * 201, "not|a|cursor", "2026-11-30T09:15:00|" + str(ID),  # naive time
    WHEN.isoformat() + "|not-a-uuid", {"$gt": ""}, 42, WHEN.isoformat() + "|NaN",
])
def test_a_forged_cursor_is_refused_with_a_message(forged: object) -> None:
    with pytest.raises(InvalidInput, match="page position is not valid"):
        decode_cursor(forged, (datetime, uuid.UUID) if "NaN" not in str(forged) else (datetime, Decimal))


def test_naive_datetimes_never_make_a_cursor() -> None:
    with pytest.raises(ValueError):
        encode_cursor(datetime(2026, 1, 1), ID)


def test_cut_page_keeps_limit_rows_and_points_after_the_last_shown() -> None:
    rows = [(i, f"r{i}") for i in range(4)]
    shown, cursor = cut_page(rows, 3, key=lambda r: (r[0],))
    assert shown == rows[:3] and cursor == "2"
    shown, cursor = cut_page(rows[:3], 3, key=lambda r: (r[0],))
    assert shown == rows[:3] and cursor is None


def test_limits_and_like_patterns() -> None:
    assert check_limit(50) == 50
    for bad in (0, 201, True, "50", None):
        with pytest.raises(InvalidInput, match="Page size"):
            check_limit(bad)
    assert like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"


@dataclass(frozen=True)
class _Filters(FilterSet):
    status: str = ""
    country: str = ""
    since: datetime | None = None


def test_a_filter_set_counts_what_narrows_the_list() -> None:
    assert _Filters().active() == 0
    assert _Filters(status="OPEN", since=WHEN).active() == 2


def test_where_chosen_adds_only_the_chosen_equalities() -> None:
    t = sa.table("t", sa.column("status"), sa.column("country"))
    query = where_chosen(sa.select(t), (t.c.status, "OPEN"), (t.c.country, ""))
    sql = str(query.compile(compile_kwargs={"literal_binds": True}))
    assert "t.status = 'OPEN'" in sql and "country =" not in sql
