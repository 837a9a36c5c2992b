"""The support inbox's pure rules (``dashboard/support/rules.py``): no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dashboard.core.errors import InvalidInput
from dashboard.core.format import hours_text
from dashboard.support import rules

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("priority", "hours_old", "state"), [
    ("URGENT", 2, "overdue"), ("URGENT", 0.9, "due_soon"), ("HIGH", 1, "on_time"), ("NORMAL", 17, "on_time"),
    ("NORMAL", 18, "on_time"), ("NORMAL", 18.5, "due_soon"), ("LOW", 73, "overdue"),
])
def test_an_unanswered_ticket_is_measured_against_its_priority_target(priority: str, hours_old: float,
                                                                      state: str) -> None:
    got, text = rules.first_response(priority, "OPEN", NOW - timedelta(hours=hours_old), None, NOW)
    assert got == state
    assert text.startswith("Overdue by") if state == "overdue" else text.endswith("left")


def test_an_answered_ticket_met_or_missed_its_target_and_a_closed_one_needs_no_reply() -> None:
    created = NOW - timedelta(hours=10)
    assert rules.first_response("HIGH", "IN_PROGRESS", created, created + timedelta(hours=3), NOW)[0] == "met"
    assert rules.first_response("HIGH", "RESOLVED", created, created + timedelta(hours=5), NOW) == (
        "missed", "Answered in 5 h")
    assert rules.first_response("NORMAL", "CLOSED", created, None, NOW) == ("none", "No reply needed")


@pytest.mark.parametrize(("hours", "text"), [(0.5, "30 min"), (-0.1, "0 min"), (5.9, "5 h"), (47, "47 h"),
                                             (50, "2 d")])
def test_hours_read_as_minutes_hours_or_days(hours: float, text: str) -> None:
    assert hours_text(hours) == text


def test_filters_parse_and_count_what_is_active() -> None:
    parsed = rules.parse_filters({"view": "mine", "status": "ALL", "priority": "all", "category": "NONE",
                                  "search": "  two   words "})
    assert (parsed.view, parsed.status, parsed.priority, parsed.category, parsed.search) == (
        "mine", "ALL", "", "NONE", "two words")
    assert parsed.active() == 4
    assert rules.parse_filters(None).active() == 0


@pytest.mark.parametrize("raw", [{"status": "PENDING"}, {"view": "everyone"}, {"search": "x" * 101},
                                 {"category": ["KYC"]}, "junk", {"search": "a\x00b"}])
def test_bad_filters_are_refused(raw: Any) -> None:
    with pytest.raises(InvalidInput):
        rules.parse_filters(raw)


def test_count_cards_name_a_view_or_a_status() -> None:
    assert rules.quick_filter("mine") == {"view": "mine"}
    assert rules.quick_filter("RESOLVED") == {"status": "RESOLVED"}
    with pytest.raises(InvalidInput, match="not an inbox view"):
        rules.quick_filter({"$ne": 1})


def test_ids_texts_and_positions_are_parsed_strictly() -> None:
    ident = uuid.uuid4()
    assert rules.parse_id(f"  {ident} ") == ident and rules.parse_id(ident) == ident
    for bad in ("nope", 42, None, "x" * 36):
        with pytest.raises(InvalidInput, match="ticket id"):
            rules.parse_id(bad)
    assert rules.thread_position(0) == 0
    for bad in (-1, True, "1"):
        with pytest.raises(InvalidInput):
            rules.thread_position(bad)


def test_messages_for_the_customer_and_the_agent() -> None:
    assert rules.render_canned("Hi {first_name}, <b>{other}</b>", first_name="Ada") == "Hi Ada, <b>{other}</b>"
    assert rules.render_canned("Hi {first_name}", first_name="") == "Hi there"
    assert rules.moved_on(1).startswith("1 new message arrived") and rules.MOVED_ON in rules.moved_on(3)
    assert "3 new messages" in rules.moved_on(3)
    long = "x" * 400
    assert len(rules.preview(long)) == rules.NOTIFY_PREVIEW and rules.preview(long).endswith("…")
    assert rules.unread(NOW, None) and rules.unread(NOW, NOW - timedelta(seconds=1)) and not rules.unread(NOW, NOW)
