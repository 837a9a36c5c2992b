"""The shared parsers of untrusted ids and text (dashboard/core/validate.py)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from dashboard.core.errors import InvalidInput
from dashboard.core.validate import clean_text, one_of, optional_date, parse_uuid


def test_a_uuid_from_text_or_a_uuid() -> None:
    ident = uuid.uuid4()
    assert parse_uuid(f"  {ident} ") == ident and parse_uuid(ident) == ident
    for bad in ("nope", 42, None, "", "x" * 65, {"$ne": 1}, True):
        with pytest.raises(InvalidInput, match="That case id is not valid."):
            parse_uuid(bad, "case")
    with pytest.raises(InvalidInput, match="^Unknown item$"):
        parse_uuid("nope", message="Unknown item")


def test_text_is_stripped_and_refused_never_cut() -> None:
    assert clean_text("  hi \n", "Reply", 10) == "hi"
    assert clean_text(None, "Note", 10) == ""
    with pytest.raises(InvalidInput, match="Reply: write something first."):
        clean_text("   ", "Reply", 10, required=True, empty="write something first.")
    with pytest.raises(InvalidInput, match=r"Title: at most 3 characters \(this one has 4\)."):
        clean_text("abcd", "Title", 3)
    assert clean_text("abc", "Title", 3) == "abc"
    with pytest.raises(InvalidInput, match="expected text"):
        clean_text(["a"], "Title", 3)


@pytest.mark.parametrize("bad", ["a\x00b", "a\x1bb", "a\x7fb"])
def test_control_characters_are_refused_so_postgres_never_sees_them(bad: str) -> None:
    for multiline in (False, True):
        with pytest.raises(InvalidInput, match="control characters are not allowed"):
            clean_text(bad, "Note", 100, multiline=multiline)


def test_line_breaks_pass_only_in_multiline_text() -> None:
    assert clean_text("one\ntwo\tthree", "Note", 100, multiline=True) == "one\ntwo\tthree"
    with pytest.raises(InvalidInput, match="control characters"):
        clean_text("one\ntwo", "Search", 100)


def test_a_choice_is_one_of_the_allowed_or_none() -> None:
    assert one_of("OPEN", ("OPEN", "ALL"), "Status") == "OPEN"
    assert one_of("ALL", ("OPEN", "ALL"), "Status") == "ALL"  # a real choice where a screen offers it
    assert one_of("", ("OPEN",), "Status") == one_of("all", ("OPEN",), "Status") == one_of(None, ("OPEN",), "S") == ""
    with pytest.raises(InvalidInput, match="Status: 'open' is not a valid choice."):
        one_of("open", ("OPEN",), "Status")


def test_an_optional_date() -> None:
    assert optional_date("2026-11-30", "From") == date(2026, 11, 30)
    assert optional_date("", "From") is None
    with pytest.raises(InvalidInput, match="From: use a date like"):
        optional_date("30/11/2026", "From")
