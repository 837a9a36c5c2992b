"""Parsing what a browser sends (dashboard/ui/forms.py): refused clearly, never cut."""

from __future__ import annotations

import pytest

from dashboard.core.errors import InvalidInput
from dashboard.ui.forms import ALL, bool_arg, choice_arg, form_fields, id_arg


def test_a_select_left_on_all_means_no_filter_but_a_search_for_all_is_kept() -> None:
    assert form_fields({"status": ALL, "search": "all"}, ("status", "search")) == {"status": "", "search": "all"}


def test_missing_fields_are_empty_and_text_is_stripped() -> None:
    assert form_fields({"a": "  x  ", "b": None}, ("a", "b", "c")) == {"a": "x", "b": "", "c": ""}


@pytest.mark.parametrize("junk", [None, "text", ["a"], 7])
def test_a_form_that_is_not_a_mapping_is_refused(junk: object) -> None:
    with pytest.raises(InvalidInput, match="could not be read"):
        form_fields(junk, ("a",))


def test_non_text_values_and_over_long_text_are_refused_not_cut() -> None:
    with pytest.raises(InvalidInput, match="expected text"):
        form_fields({"a": {"$ne": None}}, ("a",))
    with pytest.raises(InvalidInput, match="at most 10"):
        form_fields({"note": "x" * 11}, ("note",), max_length=10)
    assert form_fields({"note": "x" * 10}, ("note",), max_length=10) == {"note": "x" * 10}


def test_ids_choices_and_switches() -> None:
    assert id_arg(" 42 ") == "42" and id_arg(42) == "42"
    for junk in ("", "   ", "x" * 65, None, True, {"a": 1}):
        with pytest.raises(InvalidInput):
            id_arg(junk)
    assert choice_arg("pay", ("pay", "decline"), "dialog") == "pay"
    with pytest.raises(InvalidInput, match="Unknown dialog"):
        choice_arg("PAY", ("pay",), "dialog")
    assert bool_arg(False) is False
    with pytest.raises(InvalidInput):
        bool_arg("false")
